/**
 * Compiled seccomp programs loaded for real. Node cannot fork, so a tiny C helper (compiled here
 * with gcc into a temp dir) reads a program file, sets no_new_privs, calls seccomp(2) with the
 * compiled flags, gives up root (nobody, no capabilities), then makes the syscall under test or
 * execs a command. Root is not needed; as root the helper drops to nobody itself.
 *
 * The clock is never at risk: the helper exits before anything else when the filter does not
 * load, refuses to go on while it still holds CAP_SYS_TIME, and "sets" the clock to the time it
 * just read. The filters return a distinctive errno (EBADFD, 77) so a denial by the filter
 * cannot be mistaken for the kernel's own EPERM.
 *
 * Run: npx tsc -p tsconfig.json && npx ava dist/test/integration/seccomp.test.js
 */
import type { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { concurrentUnless, needsCommand, unless } from './helpers.js';
import { compileSeccomp, defaultSeccompProfile, type CompiledSeccomp } from '../../src/seccomp/index.js';

const EBADFD = 77;
const ENOSYS = 38;
const SYS = { getpid: 39, personality: 135, mount: 165, bpf: 321, clone3: 435, none: 1000 } as const;
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));

const HELPER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CAP_SYS_TIME 25

static void die(const char *what) {
  fprintf(stderr, "helper: %s: %s\n", what, strerror(errno));
  exit(100);
}

/* Whether CAP_SYS_TIME is effective or permitted (or the answer is unknown). */
static int may_set_time(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 1;
  char line[256];
  unsigned long long eff = ~0ULL, prm = ~0ULL, v;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "CapEff: %llx", &v) == 1) eff = v;
    if (sscanf(line, "CapPrm: %llx", &v) == 1) prm = v;
  }
  fclose(f);
  return (int)(((eff | prm) >> CAP_SYS_TIME) & 1);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: helper PROGRAM FLAGS MODE [ARGS...]\n");
    return 100;
  }
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open program");
  struct stat st;
  if (fstat(fd, &st) < 0) die("fstat program");
  if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) != 0) {
    fprintf(stderr, "helper: bad program size %lld\n", (long long)st.st_size);
    return 100;
  }
  struct sock_filter *insns = malloc(st.st_size);
  if (!insns || read(fd, insns, st.st_size) != st.st_size) die("read program");
  close(fd);
  struct sock_fprog prog = { .len = (unsigned short)(st.st_size / sizeof(struct sock_filter)), .filter = insns };
  unsigned long flags = strtoul(argv[2], NULL, 0);

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("prctl(PR_SET_NO_NEW_PRIVS)");
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) die("seccomp(SECCOMP_SET_MODE_FILTER)");
  printf("loaded=%ld\n", rc);
  fflush(stdout);

  /* Belt and braces: no root, no CAP_SYS_TIME, before anything is tried. */
  if (geteuid() == 0) {
    if (setgroups(0, NULL) < 0) die("setgroups");
    if (setgid(65534) < 0) die("setgid");
    if (setuid(65534) < 0) die("setuid");
  }
  if (may_set_time()) {
    fprintf(stderr, "helper: still holds CAP_SYS_TIME, refusing to go on\n");
    return 101;
  }

  const char *mode = argv[3];
  if (strcmp(mode, "exec")) printf("uid=%d\n", (int)getuid());
  if (!strcmp(mode, "settime")) {
    struct timeval tv;
    gettimeofday(&tv, NULL); /* the current time: even a leak would change nothing */
    errno = 0;
    long r1 = syscall(SYS_settimeofday, &tv, NULL);
    int e1 = r1 < 0 ? errno : 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    errno = 0;
    long r2 = syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
    int e2 = r2 < 0 ? errno : 0;
    printf("settimeofday=%ld errno=%d\nclock_settime=%ld errno=%d\n", r1, e1, r2, e2);
    return 0;
  }
  if (!strcmp(mode, "syscall") && argc >= 5) {
    long nr = strtol(argv[4], NULL, 0);
    unsigned long a[6] = { 0 };
    for (int i = 0; i < 6 && 5 + i < argc; i++) a[i] = strtoul(argv[5 + i], NULL, 0);
    errno = 0;
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    printf("ret=%ld errno=%d\n", r, r < 0 ? errno : 0);
    return 0;
  }
  if (!strcmp(mode, "exec") && argc >= 5) {
    execv(argv[4], argv + 4);
    die("execv");
  }
  fprintf(stderr, "helper: bad mode %s\n", mode);
  return 100;
}
`;

// The syscall numbers and filter architectures here are x86_64's.
const maybe = concurrentUnless(process.arch === 'x64' ? needsCommand('gcc', 'it builds the helper') : `needs x86_64 (this is ${process.arch})`);

let workdir = '';
let helper = '';

maybe.before(() => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-seccomp-it-'));
  fs.chmodSync(workdir, 0o755); // the helper runs on as nobody
  fs.writeFileSync(path.join(workdir, 'helper.c'), HELPER_C);
  helper = path.join(workdir, 'helper');
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', helper, path.join(workdir, 'helper.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc failed:\n${cc.stderr}`);
});

maybe.after.always(() => {
  if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
});

let seq = 0;
function run(t: ExecutionContext, compiled: CompiledSeccomp, ...args: string[]) {
  const file = path.join(workdir, `prog-${++seq}.bpf`);
  fs.writeFileSync(file, compiled.program, { mode: 0o644 });
  const r = spawnSync(helper, [file, String(compiled.flags), ...args], { encoding: 'utf8', cwd: workdir, timeout: 20_000 });
  if (r.status !== 0) t.log(`helper ${args.join(' ')} -> status ${r.status}\n${r.stdout}${r.stderr}`);
  // The helper runs the test as a user without CAP_SYS_TIME, never as root.
  if (args[0] !== 'exec') t.regex(r.stdout, /^uid=[1-9]\d*$/m);
  return r;
}

function syscallResult(stdout: string): { ret: number; errno: number } {
  const m = /ret=(-?\d+) errno=(\d+)/.exec(stdout);
  if (!m) throw new Error(`no result in ${JSON.stringify(stdout)}`);
  return { ret: Number(m[1]), errno: Number(m[2]) };
}

const compile = (profile: object, opts = {}) => compileSeccomp(profile, { cacheDir: false, ...opts });

const denyTime = {
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    { names: ['settimeofday', 'clock_settime', 'stime', 'adjtimex', 'clock_adjtime'], action: 'SCMP_ACT_ERRNO', errnoRet: EBADFD },
  ],
};

maybe('a direct settimeofday/clock_settime gets the chosen errno from the loaded filter', (t) => {
  const r = run(t, compile(denyTime), 'settime');
  t.is(r.status, 0);
  t.regex(r.stdout, /^loaded=0$/m);
  t.regex(r.stdout, new RegExp(`^settimeofday=-1 errno=${EBADFD}$`, 'm'));
  t.regex(r.stdout, new RegExp(`^clock_settime=-1 errno=${EBADFD}$`, 'm'));
});

unless(maybe, BUSYBOX ? undefined : 'needs busybox (/bin or /usr/bin)')('busybox date -s fails with the filter errno', (t) => {
  const now = Math.floor(Date.now() / 1000);
  const r = run(t, compile(denyTime), 'exec', BUSYBOX!, 'date', '-s', `@${now}`);
  t.regex(r.stderr, /can't set date: File descriptor in bad state/);
  t.notRegex(r.stderr, /Operation not permitted/);
});

maybe('argument conditions hold in the kernel: personality(0) allowed, personality(8) denied', (t) => {
  const compiled = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: EBADFD, args: [{ index: 0, value: 0, op: 'SCMP_CMP_NE' }] },
    ],
  });
  t.deepEqual(syscallResult(run(t, compiled, 'syscall', String(SYS.personality), '0').stdout), { ret: 0, errno: 0 });
  t.deepEqual(syscallResult(run(t, compiled, 'syscall', String(SYS.personality), '8').stdout), { ret: -1, errno: EBADFD });
});

maybe('the default profile: a real process runs under it, denied calls and the -ENOSYS stub', (t) => {
  // The default profile with its default errno made distinctive (EPERM would be ambiguous).
  const profile = { ...defaultSeccompProfile(), defaultErrnoRet: EBADFD };
  const compiled = compile(profile);
  if (BUSYBOX) {
    const ok = run(t, compiled, 'exec', BUSYBOX, 'echo', 'hello from the default profile');
    t.is(ok.status, 0);
    t.regex(ok.stdout, /hello from the default profile/);
    const date = run(t, compiled, 'exec', BUSYBOX, 'date', '-s', `@${Math.floor(Date.now() / 1000)}`);
    t.regex(date.stderr, /can't set date: File descriptor in bad state/);
  }
  const time = run(t, compiled, 'settime');
  t.regex(time.stdout, new RegExp(`^settimeofday=-1 errno=${EBADFD}$`, 'm'));
  t.regex(time.stdout, new RegExp(`^clock_settime=-1 errno=${EBADFD}$`, 'm'));
  t.deepEqual(syscallResult(run(t, compiled, 'syscall', String(SYS.mount), '0', '0', '0', '0', '0').stdout), { ret: -1, errno: EBADFD });
  t.deepEqual(syscallResult(run(t, compiled, 'syscall', String(SYS.bpf), '999').stdout), { ret: -1, errno: EBADFD });
  t.deepEqual(syscallResult(run(t, compiled, 'syscall', String(SYS.clone3), '0', '0').stdout), { ret: -1, errno: ENOSYS });
  t.true(syscallResult(run(t, compiled, 'syscall', String(SYS.getpid)).stdout).ret > 0);
  // A syscall number beyond the profile: ENOSYS from the stub, the default errno without it.
  t.deepEqual(syscallResult(run(t, compiled, 'syscall', String(SYS.none)).stdout), { ret: -1, errno: ENOSYS });
  const noStub = compile(profile, { enosysStub: false });
  t.deepEqual(syscallResult(run(t, noStub, 'syscall', String(SYS.none)).stdout), { ret: -1, errno: EBADFD });
});

maybe('the kernel accepts the compiled flags: TSYNC|LOG|SPEC_ALLOW, NEW_LISTENER (+WAIT_KILLABLE_RECV)', (t) => {
  const flagged = compile({
    ...denyTime,
    flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
  });
  t.is(flagged.flags, 7);
  const a = run(t, flagged, 'settime');
  t.regex(a.stdout, /^loaded=0$/m);
  t.regex(a.stdout, new RegExp(`^settimeofday=-1 errno=${EBADFD}$`, 'm'));

  const notify = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: '/run/unused.sock',
    flags: ['SECCOMP_FILTER_FLAG_TSYNC'],
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  });
  t.true(notify.notify);
  t.is(notify.flags, 8); // TSYNC dropped: it conflicts with NEW_LISTENER
  const b = run(t, notify, 'syscall', String(SYS.getpid));
  t.regex(b.stdout, /^loaded=[1-9]\d*$/m); // the listener fd
  t.true(syscallResult(b.stdout).ret > 0);

  const [major, minor] = os.release().split('.').map(Number) as [number, number];
  if (major > 5 || (major === 5 && minor >= 19)) {
    const killable = compile({
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: '/run/unused.sock',
      flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    });
    t.is(killable.flags, 8 | 32);
    t.regex(run(t, killable, 'syscall', String(SYS.getpid)).stdout, /^loaded=[1-9]\d*$/m);
  }
});

maybe('a program from the cache loads and behaves the same', (t) => {
  const dir = path.join(workdir, 'cache');
  const first = compileSeccomp(denyTime, { cacheDir: dir });
  const second = compileSeccomp(denyTime, { cacheDir: dir });
  t.false(first.fromCache);
  t.true(second.fromCache);
  t.regex(run(t, second, 'settime').stdout, new RegExp(`^settimeofday=-1 errno=${EBADFD}$`, 'm'));
});
