/**
 * User namespaces as root: mappings (one range and several), what the host sees of the
 * container's processes and files, joining namespaces in the right order, mounts inside a user
 * namespace, id-mapped mounts, exec, and `features` against what these tests measured.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId, ROOTFS, TSRUN, waitFor } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

const HOST = 100000;
const MAP = [{ containerID: 0, hostID: HOST, size: 65536 }];

/** The busybox rootfs as the mapped root owns it (the shared one is owned by host root: nobody inside). */
let mappedRootfs = '';
it.before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-userns-rootfs-'));
  mappedRootfs = join(dir, 'rootfs');
  const cp = spawnSync('cp', ['-a', ROOTFS, mappedRootfs]);
  if (cp.status !== 0) throw new Error(`cp -a ${ROOTFS}: ${cp.stderr}`);
  const ch = spawnSync('chown', ['-R', `${HOST}:${HOST}`, dir]);
  if (ch.status !== 0) throw new Error(`chown: ${ch.stderr}`);
});
it.after.always(() => {
  if (mappedRootfs) rmSync(join(mappedRootfs, '..'), { recursive: true, force: true });
});

/** A bundle with a user namespace mapping 0 → 100000 (65536 ids) on the mapped rootfs. */
function usernsBundle(t: any, patch: (s: any) => void = () => undefined): string {
  return makeBundle(
    t,
    (s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = MAP;
      s.linux.gidMappings = MAP;
      patch(s);
    },
    mappedRootfs,
  );
}

function hostIds(pid: number): { uid: string; gid: string } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: /^Uid:\s+(.*)$/m.exec(status)![1]!.trim(), gid: /^Gid:\s+(.*)$/m.exec(status)![1]!.trim() };
}

async function runOut(t: any, root: string, bundle: string): Promise<string> {
  const r = await tsrun(root, ['run', '--bundle', bundle, uniqueId('uns')]);
  t.is(r.code, 0, r.stderr);
  return r.stdout;
}

/** A detached `sleep` container; returns its id and init pid. */
async function sleeper(t: any, root: string, bundle: string): Promise<{ id: string; pid: number }> {
  const id = uniqueId('uns');
  const r = await tsrun(root, ['run', '-d', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(r.code, 0, r.stderr);
  return { id, pid: (await stateOf(root, id)).pid };
}

it('a 0→100000 mapping: root inside, 100000 on the host, for the init and for exec', async (t) => {
  const root = privateRoot(t);
  const bundle = usernsBundle(t, (s) => (s.process.args = ['sleep', '1000']));
  const { id, pid } = await sleeper(t, root, bundle);
  t.deepEqual(hostIds(pid), { uid: `${HOST}\t${HOST}\t${HOST}\t${HOST}`, gid: `${HOST}\t${HOST}\t${HOST}\t${HOST}` });
  const r = await tsrun(root, ['exec', id, 'sh', '-c', 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  t.deepEqual(lines.slice(0, 5), ['0', '0', `0 ${HOST} 65536`, `0 ${HOST} 65536`, 'allow'], 'root writes the maps: setgroups stays allowed');
  // A detached exec: its process too is 100000 on the host.
  const dir = makeDir(t, 'tsrun-uns-exec-');
  const pidFile = join(dir, 'exec.pid');
  const d = await tsrun(root, ['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '1000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(d.code, 0, d.stderr);
  t.is(hostIds(Number(readFileSync(pidFile, 'utf8'))).uid, `${HOST}\t${HOST}\t${HOST}\t${HOST}`);
});

it('files the container creates on a bind-mounted host directory belong to 100000 on the host', async (t) => {
  const root = privateRoot(t);
  const data = makeDir(t, 'tsrun-uns-data-');
  chownSync(data, HOST, HOST);
  const bundle = usernsBundle(t, (s) => {
    s.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
    s.process.args = ['sh', '-c', 'touch /data/file && mkdir /data/dir && stat -c "%u %g" /data/file'];
  });
  t.is((await runOut(t, root, bundle)).trim(), '0 0');
  for (const name of ['file', 'dir']) {
    const st = statSync(join(data, name));
    t.deepEqual([st.uid, st.gid], [HOST, HOST], name);
  }
});

it('several ranges: each maps as given, and a container user lands in its range on the host', async (t) => {
  const root = privateRoot(t);
  const maps = [{ containerID: 0, hostID: HOST, size: 1000 }, { containerID: 1000, hostID: 200000, size: 1000 }];
  const bundle = usernsBundle(t, (s) => {
    s.linux.uidMappings = maps;
    s.linux.gidMappings = maps;
    s.process.user = { uid: 1000, gid: 1001 };
    s.process.args = ['sleep', '1000'];
  });
  const { id, pid } = await sleeper(t, root, bundle);
  t.is(hostIds(pid).uid.split('\t')[0], '200000');
  t.is(hostIds(pid).gid.split('\t')[0], '200001');
  const r = await tsrun(root, ['exec', id, 'cat', '/proc/self/uid_map']);
  t.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')), [`0 ${HOST} 1000`, '1000 200000 1000']);
});

it('devpts, mqueue, shm and /dev belong to the mapped root; proc and sysfs work', async (t) => {
  const root = privateRoot(t);
  const bundle = usernsBundle(t, (s) => {
    s.process.args = ['sh', '-c', 'stat -c "%u:%g %n" /dev /dev/pts /dev/pts/ptmx /dev/mqueue /dev/shm; cat /proc/1/cmdline; echo; ls /sys/class/net; sleep 1000'];
  });
  const id = uniqueId('uns');
  const dir = makeDir(t, 'tsrun-uns-out-');
  const out = join(dir, 'out');
  const fd = openSync(out, 'w');
  const r = await tsrun(root, ['run', '-d', '--bundle', bundle, id], { stdio: ['ignore', fd, 'pipe'] });
  t.is(r.code, 0, r.stderr);
  await waitFor(() => readFileSync(out, 'utf8').includes('lo'), 5000, 'output');
  const text = readFileSync(out, 'utf8').split('\n');
  t.deepEqual(text.slice(0, 5), ['0:0 /dev', '0:0 /dev/pts', '0:0 /dev/pts/ptmx', '0:0 /dev/mqueue', '0:0 /dev/shm']);
  t.regex(text[5]!, /^sh\0-c/);
  t.deepEqual(text.slice(6).filter(Boolean), ['lo'], 'a sysfs of its own network namespace');
  // From the host, the same files belong to the mapped root.
  const pid = (await stateOf(root, id)).pid;
  for (const p of ['dev', 'dev/pts', 'dev/mqueue', 'dev/shm']) t.is(statSync(`/proc/${pid}/root/${p}`).uid, HOST, p);
});

it('sysfs without a network namespace of its own is the host /sys, bound with its flags', async (t) => {
  const root = privateRoot(t);
  const bundle = usernsBundle(t, (s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'network');
    s.process.args = ['sh', '-c', 'ls /sys/class/net; grep " /sys " /proc/self/mountinfo'];
  });
  const out = await runOut(t, root, bundle);
  const host = readdirSync('/sys/class/net').sort();
  for (const n of host) t.true(out.split('\n').includes(n), `host interface ${n}`);
  t.regex(out, / \/sys ro,nosuid,nodev,noexec/);
});

it('bind mounts keep the nosuid, nodev and ro of their source (no EPERM on the remount)', async (t) => {
  const root = privateRoot(t);
  const src = makeDir(t, 'tsrun-uns-locked-');
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,ro,mode=755', 'tmpfs', src]);
  t.is(m.status, 0, String(m.stderr));
  t.teardown(() => void spawnSync('umount', ['-l', src]));
  const bundle = usernsBundle(t, (s) => {
    // Only noexec asked for: the remount must keep what the kernel locked.
    s.mounts.push({ destination: '/locked', type: 'bind', source: src, options: ['bind', 'noexec'] });
    s.process.args = ['sh', '-c', 'grep " /locked " /proc/self/mountinfo'];
  });
  const out = await runOut(t, root, bundle);
  const opts = / \/locked (\S+)/.exec(out)?.[1]?.split(',') ?? [];
  for (const o of ['ro', 'nosuid', 'nodev', 'noexec']) t.true(opts.includes(o), `${o} in ${opts.join(',')}`);
});

it('joining a user namespace by path leaves its maps as they are', async (t) => {
  const root = privateRoot(t);
  const a = await sleeper(t, root, usernsBundle(t, (s) => (s.process.args = ['sleep', '1000'])));
  const bundle = makeBundle(
    t,
    (s) => {
      s.linux.namespaces = [
        { type: 'user', path: `/proc/${a.pid}/ns/user` },
        { type: 'network', path: `/proc/${a.pid}/ns/net` },
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
      ];
      s.process.args = ['sleep', '1000'];
    },
    mappedRootfs,
  );
  const b = await sleeper(t, root, bundle);
  t.is(statSync(`/proc/${b.pid}/ns/user`).ino, statSync(`/proc/${a.pid}/ns/user`).ino);
  t.is(statSync(`/proc/${b.pid}/ns/net`).ino, statSync(`/proc/${a.pid}/ns/net`).ino);
  t.not(statSync(`/proc/${b.pid}/ns/pid`).ino, statSync(`/proc/${a.pid}/ns/pid`).ino);
  t.is(readFileSync(`/proc/${b.pid}/uid_map`, 'utf8'), readFileSync(`/proc/${a.pid}/uid_map`, 'utf8'));
  t.deepEqual(hostIds(b.pid), hostIds(a.pid));
  const r = await tsrun(root, ['exec', b.id, 'id', '-u']);
  t.is(r.stdout.trim(), '0', r.stderr);
});

it('a network namespace of the host is joined before the new user namespace is made', async (t) => {
  const root = privateRoot(t);
  // A network namespace owned by the host's user namespace: setns into it from inside the
  // container's user namespace would be refused.
  const holder: ChildProcess = spawn('unshare', ['--net', 'sleep', '1000'], { stdio: 'ignore' });
  t.teardown(() => void holder.kill('SIGKILL'));
  const netns = `/proc/${holder.pid}/ns/net`;
  await waitFor(() => {
    try {
      return statSync(netns).ino !== statSync('/proc/self/ns/net').ino;
    } catch {
      return false;
    }
  }, 5000, 'the holder netns');
  const bundle = usernsBundle(t, (s) => {
    s.linux.namespaces = s.linux.namespaces.map((n: any) => (n.type === 'network' ? { type: 'network', path: netns } : n));
    s.process.args = ['sleep', '1000'];
  });
  const c = await sleeper(t, root, bundle);
  t.is(statSync(`/proc/${c.pid}/ns/net`).ino, statSync(netns).ino);
  t.not(statSync(`/proc/${c.pid}/ns/user`).ino, statSync('/proc/self/ns/user').ino);
  // exec too: root joins that network namespace before the container's user namespace.
  const r = await tsrun(root, ['exec', c.id, 'sh', '-c', 'id -u; readlink /proc/self/ns/net']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['0', `net:[${statSync(netns).ino}]`]);
});

/** Whether the id-mapped mount tests below passed: `features` must say the same. */
let idmapWorked: boolean | undefined;

it('an id-mapped mount shows host files owned by the mapped ids', async (t) => {
  idmapWorked = false;
  const root = privateRoot(t);
  const src = makeDir(t, 'tsrun-uns-idmap-');
  chmodSync(src, 0o777);
  writeFileSync(join(src, 'root-file'), 'r');
  writeFileSync(join(src, 'user-file'), 'u');
  chownSync(join(src, 'user-file'), 1000, 1000);
  const stat = 'stat -c "%u:%g %n" /idm/root-file /idm/user-file';

  // 1. `idmap` with the container's maps: host owners show as they are on the host, inside.
  const withUserns = usernsBundle(t, (s) => {
    s.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap'] });
    s.process.args = ['sh', '-c', `${stat}; touch /idm/new; stat -c "%u:%g" /idm/new`];
  });
  t.deepEqual((await runOut(t, root, withUserns)).trim().split('\n'), ['0:0 /idm/root-file', '1000:1000 /idm/user-file', '0:0']);
  // What the container root made through the mapping is host root's, not 100000's.
  t.deepEqual([statSync(join(src, 'new')).uid, statSync(join(src, 'new')).gid], [0, 0]);

  // 2. The mount's own maps, without a user namespace: ids on disk show as their hostID.
  const noUserns = makeBundle(t, (s) => {
    s.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['rbind'], uidMappings: MAP, gidMappings: MAP });
    s.process.args = ['sh', '-c', stat];
  });
  t.deepEqual((await runOut(t, root, noUserns)).trim().split('\n'), [`${HOST}:${HOST} /idm/root-file`, `${HOST + 1000}:${HOST + 1000} /idm/user-file`]);

  // 3. Maps of the mount's own, different from the container's.
  const other = usernsBundle(t, (s) => {
    s.mounts.push({
      destination: '/idm',
      type: 'bind',
      source: src,
      options: ['bind', 'ro'],
      uidMappings: [{ containerID: 0, hostID: HOST + 5, size: 1 }, { containerID: 1000, hostID: HOST + 7, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: HOST + 6, size: 1 }, { containerID: 1000, hostID: HOST + 8, size: 1 }],
    });
    s.process.args = ['sh', '-c', `${stat}; grep " /idm " /proc/self/mountinfo`];
  });
  const out = (await runOut(t, root, other)).trim().split('\n');
  t.deepEqual(out.slice(0, 2), ['5:6 /idm/root-file', '7:8 /idm/user-file']);
  t.regex(out[2]!, / \/idm ro,.*idmapped/);
  idmapWorked = true;
});

it('features advertises id-mapped mounts exactly when they work', async (t) => {
  const r = spawnSync(TSRUN, ['features'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const f = JSON.parse(r.stdout);
  t.not(idmapWorked, undefined, 'the id-mapped mount test ran first');
  t.is(f.linux.mountExtensions.idmap.enabled, idmapWorked);
  t.is(f.mountOptions.includes('idmap'), idmapWorked);
  t.is(f.mountOptions.includes('ridmap'), idmapWorked);
  t.true(f.linux.namespaces.includes('user'));
});

it('an idmap mount on a filesystem that cannot id-map is a clear error', async (t) => {
  const root = privateRoot(t);
  // procfs has no id-mapping support.
  const bundle = usernsBundle(t, (s) => {
    s.mounts.push({ destination: '/p', type: 'bind', source: '/proc/sys', options: ['bind', 'idmap'] });
    s.process.args = ['true'];
  });
  const r = await tsrun(root, ['run', '--bundle', bundle, uniqueId('uns')]);
  t.is(r.code, 1);
  t.regex(r.stderr, /id-mapped mount of "\/proc\/sys": mount_setattr\(MOUNT_ATTR_IDMAP\): its filesystem does not support id-mapped mounts/);
  t.deepEqual(readdirSync(root).filter((n) => !n.startsWith('.')), []);
});
