/**
 * seccomp where runc's own integration tests found tsrun apart from runc, on tsrun and on runc side
 * by side: startContainer hooks run under the container's filter, and an SCMP_ACT_NOTIFY filter
 * loaded without no_new_privs (so before the init's own start-up) gets its agent in time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eachRuntime, makeBundle, makeDir, privateRoot, REPO, requireRootAndBuild, runRuntime, serialUnless, uniqueId, waitFor } from './helpers.js';
import { sideBySide } from './runc-parity.js';

const python = spawnSync('python3', ['-c', 'import socket; socket.socket.recvmsg'], { stdio: 'ignore' }).status === 0;
const ARCHES = process.arch === 'arm64' ? ['SCMP_ARCH_AARCH64'] : ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
/** runRuntime without a stdin pipe: a runtime or container may be gone before its empty write (EPIPE). */
const run = (bin: string, root: string, args: string[]) => runRuntime(bin, root, args, { stdio: ['ignore', 'pipe', 'pipe'] });
const allowAll = (syscalls: unknown[]) => ({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ARCHES, syscalls });

sideBySide('a startContainer hook runs under the container seccomp filter: a killed syscall kills the hook', async (t, { bin, name }) => {
  const root = privateRoot(t);
  const out = makeDir(t, 'tsrun-hookseccomp-');
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sleep', '30'];
    s.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
    s.linux.seccomp = allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }]);
    // The hook proves it ran, then becomes mkdir, which the filter kills (SIGSYS).
    s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo ran > /out/ran; exec mkdir /out/made'] }] };
  });
  const id = uniqueId('hookscmp');
  t.teardown(() => run(bin, root, ['delete', '--force', id]).then(() => undefined));
  const c = await run(bin, root, ['create', '--bundle', bundle, id]);
  t.is(c.code, 0, c.stderr);
  const s = await run(bin, root, ['start', id]);
  await waitFor(() => existsSync(join(out, 'ran')), 5000, 'the hook to run');
  t.is(readFileSync(join(out, 'ran'), 'utf8'), 'ran\n');
  t.false(existsSync(join(out, 'made')), 'mkdir was killed by the filter');
  // runc's start has released the init before its hooks run, so only the container's end tells.
  if (name === 'tsrun') {
    t.not(s.code, 0);
    t.regex(s.stderr, /startContainer hook #0.*(SIGSYS|bad system call)/);
  }
  await waitFor(async () => JSON.parse((await run(bin, root, ['state', id])).stdout).status === 'stopped', 5000, 'the container to stop');
});

const notifyTitle = 'SCMP_ACT_NOTIFY on execve, openat, read and close without noNewPrivileges: the agent answers the init start-up';
eachRuntime(serialUnless(requireRootAndBuild() ?? (python ? undefined : 'needs python3 for the agent')), (rt, it) => {
  it(`${notifyTitle} (${rt.name})`, async (t) => {
    const root = privateRoot(t);
    const dir = makeDir(t, 'tsrun-notify-nnp-');
    const sock = join(dir, 'listener.sock');
    // The agent lets every notified call go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
    const agent = spawn('python3', [join(REPO, 'test', 'integration', 'seccomp_listener.py'), sock, 'continue'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => agent.kill('SIGKILL'));
    let out = '';
    agent.stdout.on('data', (d) => (out += d));
    agent.stderr.on('data', (d) => (out += d));
    await waitFor(() => out.includes('listening'), 5000, 'the listener');
    const bundle = makeBundle(t, (s) => {
      s.process.noNewPrivileges = false;
      s.process.args = ['sh', '-c', 'echo hello; cat /etc/hostname >/dev/null && echo read-ok'];
      s.linux.seccomp = { ...allowAll([{ names: ['execve', 'openat', 'read', 'close'], action: 'SCMP_ACT_NOTIFY' }]), listenerPath: sock };
    });
    const id = uniqueId('notifynnp');
    t.teardown(() => run(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
    const r = await run(rt.bin, root, ['run', '--bundle', bundle, id]);
    t.is(r.code, 0, `${r.stderr}\nagent: ${out}`);
    t.is(r.stdout, 'hello\nread-ok\n');
    t.regex(out, /^state \{.*"seccompFd".*\}$/m);
    t.regex(out, /^syscall \d+$/m, 'the agent saw notified calls');
  });
});
