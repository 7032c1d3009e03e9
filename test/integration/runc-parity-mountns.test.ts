/**
 * The mount namespace on tsrun and runc side by side: a mount namespace joined by path (held by
 * an `unshare --mount` process) is where the rootfs is built, and the container sees it. Without
 * a mount namespace the container shares tsrun's (runtime-spec): tsrun binds the rootfs at a
 * mount point of its own, chroots, and detaches it all at delete (runc 1.1.5 refuses a config
 * with masked paths then, and leaves its mounts behind without; docs/design.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { ROOTFS, TSRUN, containerDirs, makeBundle, privateRoot, requireRootAndBuild, runRuntime, serialUnless, tsrun, uniqueId, waitFor } from './helpers.js';
import { runContainer, sideBySide } from './runc-parity.js';

/** A process in a mount namespace of its own, killed at teardown; its namespace's path. */
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

const withoutMountNs = (s: any) => {
  s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
};

/** Lines of tsrun's mountinfo at or below the state root's chroot mount points. */
function chrootMounts(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => `${l.split(' ')[4]}/`.startsWith(`${root}/.chroot/`));
}

const tsrunOnly = serialUnless(requireRootAndBuild());

/** A bundle without a mount namespace whose process sleeps, a private root, an id deleted at teardown. */
function sleeperWithoutMountNs(t: ExecutionContext, prefix: string): { bundle: string; root: string; id: string } {
  const bundle = makeBundle(t, (s) => {
    withoutMountNs(s);
    s.process.args = ['sleep', '1000'];
  });
  const root = privateRoot(t);
  const id = uniqueId(prefix);
  t.teardown(() => tsrun(root, ['delete', '--force', id]).then(() => undefined));
  return { bundle, root, id };
}

tsrunOnly('no mount namespace: the container shares tsrun\'s, chrooted into its rootfs, with masked paths and a read-only root', async (t) => {
  const bundle = makeBundle(t, (s) => {
    withoutMountNs(s);
    s.root.readonly = true;
    s.linux.maskedPaths = ['/proc/timer_list'];
    s.process.args = ['sh', '-c', 'readlink /proc/self/ns/mnt; test -x /bin/busybox && echo rootfs; stat -c %F /proc/timer_list; touch /x 2>/dev/null || echo read-only'];
  });
  const root = privateRoot(t);
  const id = uniqueId('nomntns');
  t.teardown(() => tsrun(root, ['delete', '--force', id]).then(() => undefined));
  const r = await tsrun(root, ['run', '-b', bundle, id]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), [readlinkSync('/proc/self/ns/mnt'), 'rootfs', 'character special file', 'read-only']);
  t.deepEqual(chrootMounts(root), [], 'delete detached every mount it made in tsrun\'s namespace');
  t.false(existsSync(`${root}/.chroot/${id}`));
});

tsrunOnly('no mount namespace under a shared "/" (a systemd host): the container\'s mounts stay beneath tsrun\'s mount point, not at the rootfs\'s own path', async (t) => {
  const { bundle, root, id } = sleeperWithoutMountNs(t, 'nomntns-shared');
  const under = (dir: string) => `awk -v d=${dir}/ 'index($5, d) == 1' /proc/self/mountinfo | wc -l`;
  // A mount namespace of the test's own, "/" shared in it; it goes, with anything left, when the shell exits.
  const script = `${TSRUN} --root ${root} run -d -b ${bundle} ${id} </dev/null >/dev/null 2>&1 || exit 1; ${under(ROOTFS)}; ${under(`${root}/.chroot`)}; ${TSRUN} --root ${root} delete -f ${id}; ${under(`${root}/.chroot`)}`;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'shared', 'sh', '-c', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const [atRootfs, beneath, afterDelete] = r.stdout.trim().split('\n').map(Number);
  t.is(atRootfs, 0, 'nothing shows at the rootfs\'s own path');
  t.true(beneath! > 1, 'the rootfs and its mounts are beneath tsrun\'s mount point');
  t.is(afterDelete, 0);
});

tsrunOnly('no mount namespace: exec runs in the container\'s root; delete leaves no mount behind', async (t) => {
  const { bundle, root, id } = sleeperWithoutMountNs(t, 'nomntns-exec');
  t.is((await tsrun(root, ['run', '-d', '-b', bundle, id])).code, 0);
  t.true(chrootMounts(root).length > 1, 'the rootfs and its mounts are in tsrun\'s namespace while it runs');
  const e = await tsrun(root, ['exec', id, 'sh', '-c', 'test -x /bin/busybox && cat /proc/1/cmdline']);
  t.is(e.code, 0, e.stderr);
  t.regex(e.stdout, /^sleep/);
  t.is((await tsrun(root, ['delete', '--force', id])).code, 0);
  t.deepEqual(chrootMounts(root), []);
});

tsrunOnly('no mount namespace: a create that fails half-way detaches what it mounted', async (t) => {
  const bundle = makeBundle(t, (s) => {
    withoutMountNs(s);
    s.mounts.push({ destination: '/data', type: 'bind', source: '/nonexistent-tsrun-source', options: ['bind'] });
  });
  const root = privateRoot(t);
  const r = await tsrun(root, ['create', '-b', bundle, uniqueId('nomntns-fail')]);
  t.not(r.code, 0);
  t.regex(r.stderr, /nonexistent-tsrun-source/);
  t.deepEqual(chrootMounts(root), []);
  t.deepEqual(containerDirs(root), []);
});

tsrunOnly('no mount namespace: a user namespace, or rootfsPropagation, is refused naming the field; so is tsrun\'s own namespace by path', async (t) => {
  const root = privateRoot(t);
  const cases: Array<[(s: any) => void, RegExp]> = [
    [(s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }, /\/linux\/namespaces: a user namespace needs a mount namespace too/],
    [(s) => (s.linux.rootfsPropagation = 'rslave'), /\/linux\/rootfsPropagation: needs a mount namespace/],
  ];
  for (const [patch, error] of cases) {
    const r = await tsrun(root, ['run', '-b', makeBundle(t, (s) => (withoutMountNs(s), patch(s))), uniqueId('nomntns-bad')]);
    t.not(r.code, 0);
    t.regex(r.stderr, error);
  }
  const own = makeBundle(t, (s) => {
    s.linux.namespaces = s.linux.namespaces.map((n: { type: string }) => (n.type === 'mount' ? { type: 'mount', path: '/proc/self/ns/mnt' } : n));
  });
  const r = await tsrun(root, ['run', '-b', own, uniqueId('nomntns-own')]);
  t.not(r.code, 0);
  t.regex(r.stderr, /the mount namespace at \/proc\/self\/ns\/mnt is the runtime's own/);
  t.deepEqual(chrootMounts(root), []);
  t.deepEqual(containerDirs(root), []);
});

sideBySide('--no-pivot: exec runs in the container\'s root', async (t, rt) => {
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sleep', '1000'];
  });
  const root = privateRoot(t);
  const id = uniqueId('nopivot-exec');
  t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
  const c = await runRuntime(rt.bin, root, ['run', '-d', '--no-pivot', '-b', bundle, id]);
  t.is(c.code, 0, c.stderr);
  const e = await runRuntime(rt.bin, root, ['exec', id, 'sh', '-c', 'test -x /bin/busybox && cat /proc/1/cmdline']);
  t.is(e.code, 0, e.stderr);
  t.regex(e.stdout, /^sleep/);
});
