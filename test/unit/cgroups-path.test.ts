import test from 'ava';
import {
  assertSystemdRunning, cleanPath, createManager, detectFromMountinfo, expandSlice, parseMountinfo, parseProcCgroup,
  parseSystemdCgroupsPath, resolveCgroupPaths, SYSTEMD_NOT_RUNNING, v1Hierarchies,
} from '../../src/cgroups/index.js';
import { ConfigError, UnsupportedError } from '../../src/errors.js';
import { joinClean, relativeUnder } from '../../src/cgroups/path.js';
import { posix } from 'node:path';

/** This host's mountinfo (cgroup lines) and /proc/self/cgroup. */
export const HOST_MOUNTINFO = `23 1 0:21 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

export const HOST_SELF = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/3dbaaa7ce81a95990ca9f2baebd64cfd
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

const DEBIAN_V1 = `25 20 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,net_cls,net_prio
31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
`;

const V2 = `30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

test('detect: hybrid (this host), v1 with co-mounted controllers, v2', (t) => {
  const h = detectFromMountinfo(HOST_MOUNTINFO);
  t.is(h.mode, 'hybrid');
  t.deepEqual(h.unified, { mountPoint: '/sys/fs/cgroup/unified', root: '/' });
  t.deepEqual(Object.keys(h.v1).sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'name=systemd', 'pids']);
  t.is(h.v1.memory!.mountPoint, '/sys/fs/cgroup/memory');
  t.is(h.v1['name=systemd']!.mountPoint, '/sys/fs/cgroup/systemd');

  const d = detectFromMountinfo(DEBIAN_V1);
  t.is(d.mode, 'v1');
  t.is(d.v1.cpu, d.v1.cpuacct);
  t.deepEqual(d.v1.cpu!.controllers, ['cpu', 'cpuacct']);
  t.is(d.v1.net_prio!.mountPoint, '/sys/fs/cgroup/net_cls,net_prio');
  t.deepEqual(v1Hierarchies(d).map((x) => x.mountPoint), [
    '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/net_cls,net_prio', '/sys/fs/cgroup/systemd',
  ]);

  const v2 = detectFromMountinfo(V2);
  t.is(v2.mode, 'v2');
  t.deepEqual(v2.v1, {});
  t.throws(() => detectFromMountinfo('1 0 0:1 / / rw - ext4 /dev/sda rw\n'), { message: /no cgroup file system/ });
  t.is(parseMountinfo('5 1 0:9 / /mnt/a\\040b rw shared:1 master:2 - tmpfs x rw\n')[0]!.mountPoint, '/mnt/a b');
});

test('cleanPath is runc\'s CleanPath', (t) => {
  t.is(cleanPath(''), '');
  t.is(cleanPath('/a/b/'), '/a/b');
  t.is(cleanPath('/a/../../b'), '/b');
  t.is(cleanPath('a/../../b'), 'b');
  t.is(cleanPath('../../etc'), 'etc');
  t.is(cleanPath('a//b/./c'), 'a/b/c');
});

test('joinClean and relativeUnder agree with join and relative for cleanPath\'s output', (t) => {
  const bases = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup', '/', '/mnt/cg x'];
  const inners = ['/tsbx/c1', 'a/b', '/', '.', 'c', ...['//a//b/', '../../x', 'a/./b/..', '/a b/c'].map(cleanPath)];
  for (const base of bases) {
    for (const inner of inners) {
      const joined = joinClean(base, inner);
      t.is(joined, posix.join(base, inner).replace(/(.)\/$/, '$1'), `${base} + ${inner}`);
      t.is(relativeUnder(base, joined), posix.relative(base, joined), `${joined} from ${base}`);
    }
  }
  // Paths not under the base take relative() itself.
  t.is(relativeUnder('/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuset/x'), '../cpuset/x');
  t.is(relativeUnder('/a/b', '/a/b/c/'), 'c');
});

test('cgroupsPath: absolute, relative to the caller, empty = the id (runc)', (t) => {
  const layout = detectFromMountinfo(HOST_MOUNTINFO);
  const self = parseProcCgroup(HOST_SELF);
  t.is(self.v1.memory, '/process_api/3dbaaa7ce81a95990ca9f2baebd64cfd');
  t.is(self.unified, '/');

  const abs = resolveCgroupPaths({ cgroupsPath: '/tsrun/c1', id: 'c1', layout, self });
  t.false(abs.relative);
  t.is(abs.v1.memory, '/sys/fs/cgroup/memory/tsrun/c1');
  t.is(abs.v1['name=systemd'], '/sys/fs/cgroup/systemd/tsrun/c1');
  t.is(abs.unified, '/sys/fs/cgroup/unified/tsrun/c1');

  const relp = resolveCgroupPaths({ cgroupsPath: 'pod1/c1', id: 'c1', layout, self });
  t.true(relp.relative);
  t.is(relp.v1.memory, '/sys/fs/cgroup/memory/process_api/3dbaaa7ce81a95990ca9f2baebd64cfd/pod1/c1');
  t.is(relp.v1.pids, '/sys/fs/cgroup/pids/pod1/c1');
  t.is(relp.unified, '/sys/fs/cgroup/unified/pod1/c1');

  const empty = resolveCgroupPaths({ id: 'c1', layout, self });
  t.is(empty.inner, 'c1');
  t.is(empty.v1.cpu, '/sys/fs/cgroup/cpu/c1');
  t.is(empty.v1.memory, '/sys/fs/cgroup/memory/process_api/3dbaaa7ce81a95990ca9f2baebd64cfd/c1');

  // ".." cannot climb out
  t.is(resolveCgroupPaths({ cgroupsPath: '/../../etc', id: 'x', layout, self }).v1.cpu, '/sys/fs/cgroup/cpu/etc');
  t.is(resolveCgroupPaths({ cgroupsPath: '../../x', id: 'x', layout, self }).v1.cpu, '/sys/fs/cgroup/cpu/x');
});

test('cgroupsPath on v2: relative means a sibling of the caller (its parent has no processes)', (t) => {
  const layout = detectFromMountinfo(V2);
  const self = parseProcCgroup('0::/user.slice/user-1000.slice/session-3.scope\n');
  t.is(resolveCgroupPaths({ id: 'c1', layout, self }).unified, '/sys/fs/cgroup/user.slice/user-1000.slice/c1');
  t.is(resolveCgroupPaths({ cgroupsPath: '/machine/c1', id: 'c1', layout, self }).unified, '/sys/fs/cgroup/machine/c1');
  // inside a cgroup namespace-like mount whose root is not "/"
  const nested = detectFromMountinfo('30 24 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
  const s2 = parseProcCgroup('0::/docker/abc/init\n');
  t.is(resolveCgroupPaths({ cgroupsPath: 'c1', id: 'c1', layout: nested, self: s2 }).unified, '/sys/fs/cgroup/c1');
});

test('systemd driver: slice:prefix:name, and a clear error without systemd', (t) => {
  t.deepEqual(parseSystemdCgroupsPath('system.slice:docker:abc', 'abc'), {
    slice: 'system.slice', prefix: 'docker', name: 'abc', unit: 'docker-abc.scope', path: '/system.slice/docker-abc.scope',
  });
  t.is(parseSystemdCgroupsPath('', 'c1').path, '/system.slice/tsrun-c1.scope');
  t.is(parseSystemdCgroupsPath('user-1000.slice:p:n', 'c1').path, '/user.slice/user-1000.slice/p-n.scope');
  t.is(parseSystemdCgroupsPath(':p:machine-x.slice', 'c1').path, '/machine.slice/machine-x.slice');
  t.is(expandSlice('-.slice'), '/');
  t.throws(() => expandSlice('a--b.slice'), { instanceOf: ConfigError });
  t.throws(() => parseSystemdCgroupsPath('/a/b', 'c1'), {
    instanceOf: ConfigError,
    message: 'linux.cgroupsPath: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/a/b" instead',
  });
  t.throws(() => assertSystemdRunning(() => false), { instanceOf: UnsupportedError, message: SYSTEMD_NOT_RUNNING });
  t.notThrows(() => assertSystemdRunning(() => true));
  t.is(SYSTEMD_NOT_RUNNING, 'systemd cgroup driver: systemd is not running as PID 1');
  // a bad format is reported before the systemd check
  t.throws(() => createManager({ id: 'c1', cgroupsPath: 'nope', systemd: true }), { instanceOf: ConfigError });
});
