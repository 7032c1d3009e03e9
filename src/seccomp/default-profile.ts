/**
 * The default seccomp profile `tsrun spec` writes: equivalent in effect to the well-known
 * container default (moby `profiles/seccomp/default.json`, containerd `contrib/seccomp`): an
 * allow-list with default action ERRNO(EPERM), so everything not listed (settimeofday,
 * clock_settime, mount, kexec_load, bpf, ptrace, ...) fails with EPERM.
 *
 * The moby profile carries conditions (`includes`/`excludes` on capabilities and
 * architectures) that docker resolves when it creates a container; an OCI profile has none, so
 * they are resolved here, for the bounding capabilities of the spec (by default runc's:
 * AUDIT_WRITE, KILL, NET_BIND_SERVICE) and the host architecture. Deliberate differences:
 * - ptrace, process_vm_readv and process_vm_writev need CAP_SYS_PTRACE (moby also allows them
 *   without it on kernels >= 4.8; containerd did not until recently): a spec written on one host
 *   must not depend on that host's kernel, and the issue asks for ptrace to be denied.
 * - io_uring_* are not allowed (moby and containerd removed them in 2023).
 * - socket(AF_VSOCK) is denied (moby's `socket` rule with arg0 != 40).
 * Syscalls newer than this list (or than libseccomp's tables) get ENOSYS from the stub that
 * compileSeccomp() prepends, so libc falls back to older calls, as with docker and runc.
 */
import type { LinuxSeccomp, LinuxSyscall } from './compile.js';
import type { SeccompArchName } from './names.js';

/** The bounding capabilities of `runc spec` (and `tsrun spec`). */
export const RUNC_DEFAULT_CAPABILITIES: readonly string[] = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

interface Entry extends LinuxSyscall {
  /** Only with every one of these capabilities. */
  caps?: string[];
  /** Not with any of these capabilities. */
  notCaps?: string[];
  /** Only on these (Go-style) architectures. */
  arches?: string[];
  /** Not on these architectures. */
  notArches?: string[];
}

const ALLOW = 'SCMP_ACT_ALLOW';

/** clone flags that create namespaces: NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET. */
const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
const AF_VSOCK = 40;
const ENOSYS = 38;

const ALLOWED: string[] = `
accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat
fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64
futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32
geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid
getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl
io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup
io_submit ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr
lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat
mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl
msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat
_newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free
pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease
pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv
recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity
sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64
send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid
setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid
setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt
set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown
sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64
statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime
utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
`
  .trim()
  .split(/\s+/);

const eq0 = (value: number): LinuxSyscall['args'] => [{ index: 0, value, op: 'SCMP_CMP_EQ' }];

const ENTRIES: Entry[] = [
  { names: ALLOWED, action: ALLOW },
  { names: ['socket'], action: ALLOW, args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
  // personality(): PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the 0xffffffff query.
  { names: ['personality'], action: ALLOW, args: eq0(0x0) },
  { names: ['personality'], action: ALLOW, args: eq0(0x8) },
  { names: ['personality'], action: ALLOW, args: eq0(0x20000) },
  { names: ['personality'], action: ALLOW, args: eq0(0x20008) },
  { names: ['personality'], action: ALLOW, args: eq0(0xffffffff) },
  { names: ['sync_file_range2', 'swapcontext'], action: ALLOW, arches: ['ppc64le'] },
  {
    names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
    action: ALLOW,
    arches: ['arm', 'arm64'],
  },
  { names: ['arch_prctl'], action: ALLOW, arches: ['amd64', 'x32'] },
  { names: ['modify_ldt'], action: ALLOW, arches: ['amd64', 'x32', 'x86', '386'] },
  { names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'], action: ALLOW, arches: ['s390', 's390x'] },
  { names: ['riscv_flush_icache'], action: ALLOW, arches: ['riscv64'] },
  { names: ['open_by_handle_at'], action: ALLOW, caps: ['CAP_DAC_READ_SEARCH'] },
  {
    names: [
      'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount',
      'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname',
      'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare',
    ],
    action: ALLOW,
    caps: ['CAP_SYS_ADMIN'],
  },
  // Without CAP_SYS_ADMIN, clone() may not create namespaces (the flags are argument 1 on s390).
  {
    names: ['clone'],
    action: ALLOW,
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    notCaps: ['CAP_SYS_ADMIN'],
    notArches: ['s390', 's390x'],
  },
  {
    names: ['clone'],
    action: ALLOW,
    args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    arches: ['s390', 's390x'],
    notCaps: ['CAP_SYS_ADMIN'],
  },
  // clone3() passes its flags in memory, out of the filter's reach: make libc fall back to clone().
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, notCaps: ['CAP_SYS_ADMIN'] },
  { names: ['reboot'], action: ALLOW, caps: ['CAP_SYS_BOOT'] },
  { names: ['chroot'], action: ALLOW, caps: ['CAP_SYS_CHROOT'] },
  { names: ['delete_module', 'init_module', 'finit_module'], action: ALLOW, caps: ['CAP_SYS_MODULE'] },
  { names: ['acct'], action: ALLOW, caps: ['CAP_SYS_PACCT'] },
  {
    names: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
    action: ALLOW,
    caps: ['CAP_SYS_PTRACE'],
  },
  { names: ['iopl', 'ioperm'], action: ALLOW, caps: ['CAP_SYS_RAWIO'] },
  { names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], action: ALLOW, caps: ['CAP_SYS_TIME'] },
  { names: ['vhangup'], action: ALLOW, caps: ['CAP_SYS_TTY_CONFIG'] },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], action: ALLOW, caps: ['CAP_SYS_NICE'] },
  { names: ['syslog'], action: ALLOW, caps: ['CAP_SYSLOG'] },
  { names: ['bpf'], action: ALLOW, caps: ['CAP_BPF'] },
  { names: ['perf_event_open'], action: ALLOW, caps: ['CAP_PERFMON'] },
];

/** Node's process.arch -> the Go GOARCH the moby conditions are written against. */
const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm: 'arm',
  arm64: 'arm64',
  s390x: 's390x',
  s390: 's390',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  mips: 'mips',
  mipsel: 'mipsle',
  mips64el: 'mips64le',
  loong64: 'loong64',
};

/** Architectures of the filter per host architecture (the native one and its compat ABIs). */
const ARCH_MAP: Record<string, SeccompArchName[]> = {
  amd64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  '386': ['SCMP_ARCH_X86'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  arm: ['SCMP_ARCH_ARM'],
  s390x: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
  s390: ['SCMP_ARCH_S390'],
  ppc64le: ['SCMP_ARCH_PPC64LE'],
  riscv64: ['SCMP_ARCH_RISCV64'],
  mips: ['SCMP_ARCH_MIPS'],
  mipsle: ['SCMP_ARCH_MIPSEL'],
  mips64le: ['SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'],
  loong64: ['SCMP_ARCH_LOONGARCH64'],
};

export interface DefaultProfileOptions {
  /** Bounding capabilities of the container; default RUNC_DEFAULT_CAPABILITIES. */
  capabilities?: readonly string[];
  /** Host architecture as Node names it (process.arch); default the running one. */
  arch?: string;
}

/** The default profile as an OCI `linux.seccomp` object (a fresh copy each call). */
export function defaultSeccompProfile(opts: DefaultProfileOptions = {}): LinuxSeccomp {
  const caps = new Set(opts.capabilities ?? RUNC_DEFAULT_CAPABILITIES);
  const goArch = GO_ARCH[opts.arch ?? process.arch] ?? opts.arch ?? process.arch;
  const syscalls: LinuxSyscall[] = [];
  for (const e of ENTRIES) {
    if (e.caps && !e.caps.every((c) => caps.has(c))) continue;
    if (e.notCaps && e.notCaps.some((c) => caps.has(c))) continue;
    if (e.arches && !e.arches.includes(goArch)) continue;
    if (e.notArches && e.notArches.includes(goArch)) continue;
    const s: LinuxSyscall = { names: [...e.names], action: e.action };
    if (e.errnoRet !== undefined) s.errnoRet = e.errnoRet;
    if (e.args) s.args = e.args.map((a) => ({ ...a }));
    syscalls.push(s);
  }
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: [...(ARCH_MAP[goArch] ?? [])],
    syscalls,
  };
}
