/** Seccomp in real containers, and the threat model: the executor's host binary, leaked fds, mounts. */
import { openSync, readlinkSync, closeSync, constants } from 'node:fs';
import { makeBundle, privateRoot, needsCommand, requireRootAndBuild, serialUnless, unless, stateOf, tsrun, uniqueId } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

async function runIn(t: any, script: string, patch: (s: any) => void) {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sh', '-c', script];
    patch(s);
  });
  return tsrun(root, ['run', '-b', bundle, uniqueId('sec')]);
}

const allowAll = (syscalls: unknown[]) => ({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls });

it('settimeofday denied with errnoRet returns that errno and the host clock is untouched', async (t) => {
  const before = Date.now();
  // date -s sets the time it already is; without CAP_SYS_TIME (not granted) it would fail with EPERM anyway.
  const r = await runIn(t, 'date -s "@$(date +%s)" >/dev/null; echo "rc=$?"', (s) => {
    s.linux.seccomp = allowAll([{ names: ['settimeofday', 'clock_settime', 'clock_settime64'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 }]);
  });
  t.is(r.code, 0, r.stderr);
  // busybox date reports the failure and still exits 0: the message carries the errno.
  t.regex(r.stdout + r.stderr, /can't set date: File descriptor in bad state/, 'errno 77 (EBADFD), not EPERM');
  t.true(Math.abs(Date.now() - before) < 60_000);
});

it('SCMP_ACT_KILL_PROCESS kills the process (SIGSYS)', async (t) => {
  const r = await runIn(t, 'uname', (s) => {
    s.linux.seccomp = allowAll([{ names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' }]);
  });
  t.is(r.code, 128 + 31, r.stderr);
});

it('argument conditions match only the intended calls', async (t) => {
  const r = await runIn(t, 'linux64 true && echo per0-ok; linux32 true 2>/dev/null || echo per8-denied', (s) => {
    s.linux.seccomp = allowAll([{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 77, args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }]);
  });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'per0-ok\nper8-denied\n');
});

it('a filter loads without no_new_privs too (before capabilities are dropped)', async (t) => {
  const r = await runIn(t, 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; mkdir /dev/shm/x 2>&1; true', (s) => {
    s.process.noNewPrivileges = false;
    s.linux.seccomp = allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 }]);
  });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /NoNewPrivs:\s+0\nSeccomp:\s+2\n.*File descriptor in bad state/s);
});

it('the default profile of `tsrun spec` runs a shell and denies mount, ptrace, kexec', async (t) => {
  const r = await runIn(t, 'echo ok; grep Seccomp: /proc/self/status', () => undefined);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^ok\nSeccomp:\s+2\n/);
});

it('an unknown seccomp action is one clear config error', async (t) => {
  const r = await runIn(t, 'true', (s) => (s.linux.seccomp = allowAll([{ names: ['uname'], action: 'SCMP_ACT_BOGUS' }])));
  t.is(r.code, 1);
  t.is(r.stderr.trim().split('\n').length, 1);
  t.regex(r.stderr, /seccomp.*SCMP_ACT_BOGUS/);
});

it('the executor inside a container runs from a sealed copy: the host binary is out of reach', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['true']));
  const id = uniqueId('sealed');
  t.is((await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] })).code, 0);
  const { pid } = await stateOf(root, id);
  // While created, the init is still the executor, living in the container's namespaces.
  t.regex(readlinkSync(`/proc/${pid}/exe`), /^\/memfd:tsrun-executor/);
  const err = t.throws(() => closeSync(openSync(`/proc/${pid}/exe`, constants.O_WRONLY)));
  t.true(['ETXTBSY', 'EPERM', 'EACCES'].includes((err as NodeJS.ErrnoException).code!), String(err));
});

unless(it, needsCommand('python3'))('SCMP_ACT_NOTIFY: the listener receives the state and the fd, and answers the call', async (t) => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { REPO, waitFor } = await import('./helpers.js');
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'listener.sock');
  const agent = spawn('python3', [join(REPO, 'test', 'integration', 'seccomp_listener.py'), sock], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => agent.kill('SIGKILL'));
  let out = '';
  agent.stdout.on('data', (d) => (out += d));
  agent.stderr.on('data', (d) => (out += d));
  await waitFor(() => out.includes('listening'), 5000, 'the listener');
  // mkdir on a read-only root fails with EROFS unless the agent answers "success" without running it.
  const r = await runIn(t, 'mkdir /not-really && echo agent-said-yes; ls -d /not-really 2>/dev/null || echo not-created', (s) => {
    s.linux.seccomp = {
      ...allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }]),
      listenerPath: sock,
      listenerMetadata: 'tsrun-test-metadata',
    };
  });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'agent-said-yes\nnot-created\n');
  await waitFor(() => /syscall \d+/.test(out), 5000, 'the agent saw the call');
  const state = JSON.parse(/^state (.*)$/m.exec(out)![1]!);
  t.deepEqual(state.fds, ['seccompFd']);
  t.is(state.metadata, 'tsrun-test-metadata');
  t.true(state.pid > 0);
  t.is(state.state.status, 'creating');
});
