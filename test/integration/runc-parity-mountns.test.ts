/**
 * The mount namespace on tsrun and runc side by side: a mount namespace joined by path (held by
 * an `unshare --mount` process) is where the rootfs is built, and the container sees it. Without
 * a mount namespace tsrun refuses (runc 1.1.5 sets the rootfs up in its own namespace with
 * chroot and leaves those mounts there after delete; docs/design.md).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { ROOTFS, makeBundle, privateRoot, requireRootAndBuild, serialUnless, tsrun, uniqueId, waitFor } from './helpers.js';
import { runContainer, sideBySide } from './runc-parity.js';

/** A process in a mount namespace of its own, killed at teardown; its namespace's path. */
/** The host's mounts at or below the rootfs (other tests on the host mount elsewhere). */
function mountsAtRootfs(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => `${l.split(' ')[4]}/`.startsWith(`${ROOTFS}/`));
}

async function heldMountNamespace(t: ExecutionContext): Promise<string> {
  const holder = spawn('unshare', ['--mount', 'sleep', '10000'], { stdio: 'ignore' });
  t.teardown(() => void holder.kill('SIGKILL'));
  const path = `/proc/${holder.pid}/ns/mnt`;
  const own = readlinkSync('/proc/self/ns/mnt');
  // unshare has its own namespace once it runs sleep; until then the link is ours.
  await waitFor(() => {
    try {
      return readlinkSync(path) !== own;
    } catch {
      return false;
    }
  }, 5000, 'the unshare process in a new mount namespace');
  return path;
}

sideBySide('a mount namespace joined by path: the container runs in it and sees its rootfs', async (t, rt) => {
  const nsPath = await heldMountNamespace(t);
  const bundle = makeBundle(t, (s) => {
    s.linux.namespaces = s.linux.namespaces.map((n: { type: string }) => (n.type === 'mount' ? { type: 'mount', path: nsPath } : n));
    s.process.args = ['sh', '-c', 'test -x /bin/busybox && readlink /proc/self/ns/mnt'];
  });
  const r = await runContainer(t, rt, privateRoot(t), bundle, uniqueId('mntns'));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), readlinkSync(nsPath));
});

serialUnless(requireRootAndBuild())('no mount namespace: tsrun refuses at create, naming the field, and mounts nothing in its own namespace', async (t) => {
  const bundle = makeBundle(t, (s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
  });
  const root = privateRoot(t);
  const before = mountsAtRootfs();
  const r = await tsrun(root, ['run', '-b', bundle, uniqueId('nomntns')]);
  t.not(r.code, 0);
  t.regex(r.stderr, /\/linux\/namespaces: a mount namespace \(new, or joined by path\) is required/);
  t.deepEqual(mountsAtRootfs(), before);
});
