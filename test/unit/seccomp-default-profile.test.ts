import test from 'ava';
import { compileSeccomp, defaultSeccompProfile, RUNC_DEFAULT_CAPABILITIES } from '../../src/seccomp/index.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, NR, NR_I386, RET, X32_SYSCALL_BIT, runFilter, x64, x64Test } from './seccomp-bpf-interpreter.js';

const EPERM = 1;
const ENOSYS = 38;
const DENIED = RET.ERRNO(EPERM);
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNS = 0x00020000;
const CLONE_THREAD_FLAGS = 0x3d0f00; // VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID

const compile = (caps?: readonly string[]) =>
  compileSeccomp(defaultSeccompProfile({ arch: 'x64', ...(caps ? { capabilities: caps } : {}) }), { cacheDir: false });

test('shape: an OCI linux.seccomp object, plain JSON, fresh each call', (t) => {
  const p = defaultSeccompProfile({ arch: 'x64' });
  t.is(p.defaultAction, 'SCMP_ACT_ERRNO');
  t.is(p.defaultErrnoRet, 1);
  t.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  t.deepEqual(JSON.parse(JSON.stringify(p)), p);
  t.true(p.syscalls!.length > 5);
  for (const s of p.syscalls!) {
    t.true(s.names.length > 0);
    t.true(['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO'].includes(s.action));
    t.false('caps' in s || 'includes' in s || 'excludes' in s || 'arches' in s);
  }
  p.syscalls![0]!.names.push('kexec_load');
  t.false(defaultSeccompProfile({ arch: 'x64' }).syscalls![0]!.names.includes('kexec_load'));
  t.deepEqual(defaultSeccompProfile({ arch: 'arm64' }).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  t.deepEqual(defaultSeccompProfile({ arch: 's390x' }).architectures, ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
  t.deepEqual([...RUNC_DEFAULT_CAPABILITIES], ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
});

test('conditional parts resolved for runc default capabilities and the architecture', (t) => {
  const names = (p = defaultSeccompProfile({ arch: 'x64' })) => new Set(p.syscalls!.flatMap((s) => s.names));
  const x = names();
  for (const n of ['arch_prctl', 'modify_ldt', 'clone', 'clone3', 'personality', 'socket']) t.true(x.has(n), n);
  for (const n of ['mount', 'bpf', 'ptrace', 'settimeofday', 'chroot', 'reboot', 'syslog', 'kexec_load', 'io_uring_setup']) {
    t.false(x.has(n), n);
  }
  const arm = names(defaultSeccompProfile({ arch: 'arm64' }));
  t.true(arm.has('cacheflush'));
  t.false(arm.has('arch_prctl'));
  const admin = names(defaultSeccompProfile({ arch: 'x64', capabilities: [...RUNC_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] }));
  t.true(admin.has('mount') && admin.has('bpf') && admin.has('setns'));
  const cloneRules = defaultSeccompProfile({ arch: 's390x' }).syscalls!.filter((s) => s.names.includes('clone') && s.args);
  t.is(cloneRules.length, 1);
  t.is(cloneRules[0]!.args![0]!.index, 1); // s390 passes clone flags in argument 1
});

x64Test('compiles without errors or warnings for this libseccomp, into one kernel-sized program', (t) => {
  const r = compile();
  t.true(r.program.length > 0 && r.program.length % 8 === 0);
  t.true(r.program.length / 8 <= 4096);
  t.is(r.flags, 0);
  t.false(r.notify);
  for (const w of r.warnings) t.regex(w, /unknown syscall/); // only names newer than libseccomp
  t.deepEqual(Buffer.from(compile().program), Buffer.from(r.program));
});

x64Test('denies settimeofday, clock_settime, mount, kexec_load, bpf, ptrace and friends with EPERM', (t) => {
  const { program } = compile();
  for (const name of [
    'settimeofday', 'clock_settime', 'mount', 'umount2', 'kexec_load', 'bpf', 'ptrace', 'process_vm_readv',
    'kcmp', 'reboot', 'swapon', 'init_module', 'iopl', 'keyctl', 'unshare', 'setns', 'sethostname', 'chroot',
    'syslog', 'open_by_handle_at', 'userfaultfd',
  ] as const) {
    t.is(x64(program, NR[name]), DENIED, name);
  }
});

x64Test('allows read, write, execve, exit_group and the ordinary calls', (t) => {
  const { program } = compile();
  for (const name of ['read', 'write', 'open', 'close', 'mmap', 'execve', 'exit', 'exit_group', 'getpid', 'getuid', 'setuid', 'kill', 'uname', 'fork', 'mkdir', 'ioctl'] as const) {
    t.is(x64(program, NR[name]), RET.ALLOW, name);
  }
  // Allowed, or (with a libseccomp that does not know it yet) ENOSYS so libc falls back: never EPERM.
  t.true([RET.ALLOW, RET.ERRNO(ENOSYS)].includes(x64(program, NR.fchmodat2)));
});

x64Test('argument-conditional rules: personality, clone namespaces, clone3, AF_VSOCK', (t) => {
  const { program } = compile();
  for (const p of [0x0, 0x8, 0x20000, 0x20008, 0xffffffff]) t.is(x64(program, NR.personality, p), RET.ALLOW, `personality(${p})`);
  t.is(x64(program, NR.personality, 0x0040000), DENIED); // ADDR_NO_RANDOMIZE
  t.is(x64(program, NR.personality, 0x1), DENIED);
  t.is(x64(program, NR.clone, CLONE_THREAD_FLAGS), RET.ALLOW);
  t.is(x64(program, NR.clone, 17 /* SIGCHLD: fork */), RET.ALLOW);
  t.is(x64(program, NR.clone, CLONE_NEWUSER | 17), DENIED);
  t.is(x64(program, NR.clone, CLONE_NEWNS | CLONE_THREAD_FLAGS), DENIED);
  t.is(x64(program, NR.clone3), RET.ERRNO(ENOSYS)); // libc falls back to clone()
  t.is(x64(program, NR.socket, 2 /* AF_INET */, 1), RET.ALLOW);
  t.is(x64(program, NR.socket, 1 /* AF_UNIX */, 1), RET.ALLOW);
  t.is(x64(program, NR.socket, 40 /* AF_VSOCK */, 1), DENIED);
});

x64Test('32-bit ABIs are covered and future syscalls get ENOSYS', (t) => {
  const { program } = compile();
  const i386 = (nr: number, ...args: number[]) => runFilter(program, { nr, arch: AUDIT_ARCH_I386, args });
  t.is(i386(NR_I386.read), RET.ALLOW);
  t.is(i386(NR_I386.settimeofday), DENIED);
  t.is(i386(NR_I386.clock_settime), DENIED);
  t.is(i386(NR_I386.mount), DENIED);
  const x32 = (nr: number) => runFilter(program, { nr: (nr | X32_SYSCALL_BIT) >>> 0, arch: AUDIT_ARCH_X86_64 });
  t.is(x32(NR.read), RET.ALLOW);
  t.is(x32(NR.settimeofday), DENIED);
  t.is(x64(program, 1000), RET.ERRNO(ENOSYS));
  t.is(runFilter(program, { nr: 2000, arch: AUDIT_ARCH_I386 }), RET.ERRNO(ENOSYS));
});

x64Test('capabilities re-enable their syscalls', (t) => {
  const admin = compile([...RUNC_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']).program;
  t.is(x64(admin, NR.mount), RET.ALLOW);
  t.is(x64(admin, NR.clone, CLONE_NEWUSER | 17), RET.ALLOW);
  t.is(x64(admin, NR.clone3), RET.ALLOW);
  t.is(x64(admin, NR.settimeofday), DENIED);
  const time = compile([...RUNC_DEFAULT_CAPABILITIES, 'CAP_SYS_TIME']).program;
  t.is(x64(time, NR.settimeofday), RET.ALLOW);
  t.is(x64(time, NR.clock_settime), RET.ALLOW);
  t.is(x64(time, NR.mount), DENIED);
  const ptrace = compile([...RUNC_DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE']).program;
  t.is(x64(ptrace, NR.ptrace), RET.ALLOW);
  t.is(x64(ptrace, NR.kexec_load), DENIED);
});
