/**
 * seccomp where runc's own integration tests found tsrun apart from runc, on tsrun and on runc side
 * by side: startContainer hooks run under the container's filter, and an SCMP_ACT_NOTIFY filter
 * loaded without no_new_privs (so before the init's own start-up) gets its agent in time.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, REPO, requireRootAndBuild, runRuntime, RUNTIMES, uniqueId, waitFor } from './helpers.js';

const skip = requireRootAndBuild();
const python = spawnSync('python3', ['-c', 'import socket; socket.socket.recvmsg'], { stdio: 'ignore' }).status === 0;
const ARCHES = process.arch === 'arm64' ? ['SCMP_ARCH_AARCH64'] : ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
const allowAll = (syscalls: unknown[]) => ({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ARCHES, syscalls });

/** One test per runtime; a runtime that is missing (or a host that cannot run it) is a named skip. */
function sideBySide(title: string, needs: string | undefined, body: (t: any, bin: string, name: string) => Promise<void>): void {
  for (const rt of RUNTIMES) {
    const why = skip ?? needs ?? (rt.bin ? undefined : `${rt.name} is not installed`);
    const full = `${title} (${rt.name})`;
    if (why) test.skip(`${full} (skipped: ${why})`, () => undefined);
    else test.serial(full, (t) => body(t, rt.bin!, rt.name));
  }
}

sideBySide(
  'SCMP_ACT_NOTIFY on execve, openat, read and close without noNewPrivileges: the agent answers the init start-up',
  python ? undefined : 'needs python3 for the agent',
  async (t, bin) => {
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
    const r = await runRuntime(bin, root, ['run', '--bundle', bundle, uniqueId('notifynnp')], { timeoutMs: 20_000 });
    t.is(r.code, 0, `${r.stderr}\nagent: ${out}`);
    t.is(r.stdout, 'hello\nread-ok\n');
    t.regex(out, /^state \{.*"seccompFd".*\}$/m);
    t.regex(out, /^syscall \d+$/m, 'the agent saw notified calls');
  },
);
