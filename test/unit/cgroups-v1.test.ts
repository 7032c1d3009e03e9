import test from 'ava';
import * as fs from 'node:fs';
import { RecordingFs, createManager, loadManager, statsToJSON, type CgroupFs, type LinuxResources } from '../../src/cgroups/index.js';
import { detectFromRoot } from '../../src/cgroups/detect.js';
import { SysError, UnsupportedError } from '../../src/errors.js';
import { fakeV1, put, read, type FakeTree } from './cgroups-fake.js';

const ALL = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'hugetlb', 'net_cls', 'net_prio', 'rdma'];

/** A FULL linux.resources object, every v1 field set. */
export const FULL: LinuxResources = {
  devices: [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
  ],
  memory: {
    limit: 268435456, reservation: 134217728, swap: 536870912, kernel: 67108864, kernelTCP: 16777216,
    swappiness: 10, disableOOMKiller: true, useHierarchy: true, checkBeforeUpdate: true,
  },
  cpu: {
    shares: 512, quota: 50000, burst: 10000, period: 100000, realtimeRuntime: 950000, realtimePeriod: 1000000,
    cpus: '0-1', mems: '0', idle: 0,
  },
  pids: { limit: 64 },
  blockIO: {
    weight: 500, leafWeight: 400,
    weightDevice: [{ major: 8, minor: 0, weight: 300, leafWeight: 200 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }] },
  rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
};

function setup(t: { teardown(fn: () => void): void }, tree: FakeTree, cgroupsPath = '/a/b') {
  t.teardown(() => tree.cleanup());
  const rec = new RecordingFs(tree.fs);
  const layout = detectFromRoot(tree.root, tree.fs);
  const m = createManager({ id: 'c1', cgroupsPath, layout, fs: rec, hugePageSizes: ['2MB'] });
  return { rec, m, layout, r: tree.root };
}

const rel = (root: string, writes: Array<{ path: string; value: string }>) =>
  writes.map((w) => [w.path.slice(root.length + 1), w.value]);

test('v1: create makes every hierarchy directory, cpuset inherits cpus/mems top-down', (t) => {
  const { rec, m, r } = setup(t, fakeV1());
  t.is(m.mode, 'v1');
  m.create();
  const mk = rec.ops.filter((o) => o.op === 'mkdir').map((o) => o.path.slice(r.length + 1));
  t.deepEqual(mk.sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'systemd'].flatMap((h) => [`${h}/a`, `${h}/a/b`]).sort());
  t.deepEqual(rel(r, rec.writes), [
    ['cpuset/a/cpuset.cpus', '0-3'], ['cpuset/a/cpuset.mems', '0'],
    ['cpuset/a/b/cpuset.cpus', '0-3'], ['cpuset/a/b/cpuset.mems', '0'],
  ]);
  t.is(m.toJSON().created.length, 18);
});

test('v1: with the levels above there, create is one mkdir per hierarchy and no look at them first', (t) => {
  const tree = fakeV1();
  const first = setup(t, tree, '/a');
  first.m.create();
  // A second container below /a: its parent exists in every hierarchy.
  const rec = new RecordingFs(tree.fs);
  let looks = 0;
  const counting = Object.assign(Object.create(rec) as RecordingFs, { isDir: (p: string) => (looks++, rec.isDir(p)) });
  const m = createManager({ id: 'c2', cgroupsPath: '/a/c2', layout: detectFromRoot(tree.root, tree.fs), fs: counting, hugePageSizes: ['2MB'] });
  m.create();
  t.is(looks, 0);
  t.is(rec.ops.filter((o) => o.op === 'mkdir').length, 9);
  t.deepEqual(m.toJSON().created.map((d) => d.slice(tree.root.length + 1)).sort(), first.m.toJSON().created.map((d) => `${d.slice(tree.root.length + 1)}/c2`).sort());
});

test('v1: FULL resources give exactly these writes, in this order', (t) => {
  const tree = fakeV1({ hierarchies: ALL });
  // a CFQ-style blkio with the classic weight files
  const blk = tree.fs.templates.get(`${tree.root}/blkio`)!;
  delete blk['blkio.bfq.weight'];
  Object.assign(blk, { 'blkio.weight': '500', 'blkio.weight_device': '', 'blkio.leaf_weight': '500', 'blkio.leaf_weight_device': '' });
  const { rec, m, r } = setup(t, tree);
  m.create();
  rec.clear();
  const writes = m.setResources(FULL);
  t.deepEqual(rel(r, writes), rel(r, rec.writes));
  t.deepEqual(rel(r, writes), [
    ['cpuset/a/b/cpuset.cpus', '0-1'],
    ['cpuset/a/b/cpuset.mems', '0'],
    ['devices/a/b/devices.deny', 'a *:* rwm'],
    ['devices/a/b/devices.allow', 'c 10:229 rw'],
    ['devices/a/b/devices.allow', 'c *:* m'],
    ['devices/a/b/devices.allow', 'b *:* m'],
    ['devices/a/b/devices.allow', 'c 1:3 rwm'],
    ['devices/a/b/devices.allow', 'c 1:8 rwm'],
    ['devices/a/b/devices.allow', 'c 1:7 rwm'],
    ['devices/a/b/devices.allow', 'c 5:0 rwm'],
    ['devices/a/b/devices.allow', 'c 1:5 rwm'],
    ['devices/a/b/devices.allow', 'c 1:9 rwm'],
    ['devices/a/b/devices.allow', 'c 5:1 rwm'],
    ['devices/a/b/devices.allow', 'c 136:* rwm'],
    ['devices/a/b/devices.allow', 'c 5:2 rwm'],
    ['devices/a/b/devices.allow', 'c 10:200 rwm'],
    ['memory/a/b/memory.limit_in_bytes', '268435456'],
    ['memory/a/b/memory.memsw.limit_in_bytes', '536870912'],
    ['memory/a/b/memory.kmem.limit_in_bytes', '67108864'],
    ['memory/a/b/memory.kmem.tcp.limit_in_bytes', '16777216'],
    ['memory/a/b/memory.use_hierarchy', '1'],
    ['memory/a/b/memory.soft_limit_in_bytes', '134217728'],
    ['memory/a/b/memory.oom_control', '1'],
    ['memory/a/b/memory.swappiness', '10'],
    ['cpu/a/b/cpu.shares', '512'],
    ['cpu/a/b/cpu.cfs_period_us', '100000'],
    ['cpu/a/b/cpu.cfs_burst_us', '10000'],
    ['cpu/a/b/cpu.cfs_quota_us', '50000'],
    ['cpu/a/b/cpu.idle', '0'],
    ['cpu/a/b/cpu.rt_period_us', '1000000'],
    ['cpu/a/b/cpu.rt_runtime_us', '950000'],
    ['pids/a/b/pids.max', '64'],
    ['blkio/a/b/blkio.weight', '500'],
    ['blkio/a/b/blkio.leaf_weight', '400'],
    ['blkio/a/b/blkio.weight_device', '8:0 300'],
    ['blkio/a/b/blkio.leaf_weight_device', '8:0 200'],
    ['blkio/a/b/blkio.throttle.read_bps_device', '8:0 1048576'],
    ['blkio/a/b/blkio.throttle.write_bps_device', '8:0 2097152'],
    ['blkio/a/b/blkio.throttle.read_iops_device', '8:0 100'],
    ['blkio/a/b/blkio.throttle.write_iops_device', '8:0 200'],
    ['hugetlb/a/b/hugetlb.2MB.limit_in_bytes', '4194304'],
    ['hugetlb/a/b/hugetlb.2MB.rsvd.limit_in_bytes', '4194304'],
    ['net_cls/a/b/net_cls.classid', '1048577'],
    ['net_prio/a/b/net_prio.ifpriomap', 'eth0 5'],
    ['rdma/a/b/rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'],
  ]);
});

test('v1 on a host-like tree: BFQ weight files; leafWeight, hugetlb, net_cls, rdma name field and file', (t) => {
  const { m, r } = setup(t, fakeV1());
  m.create();
  t.deepEqual(rel(r, m.setResources({ blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } }, { update: true })), [
    ['blkio/a/b/blkio.bfq.weight', '300'],
    ['blkio/a/b/blkio.bfq.weight_device', '8:0 200'],
  ]);
  const e1 = t.throws(() => m.setResources({ blockIO: { leafWeight: 400 } }, { update: true }), { instanceOf: UnsupportedError });
  t.is(e1.message, `linux.resources.blockIO.leafWeight: cannot apply: ${r}/blkio/a/b/blkio.leaf_weight does not exist`);
  const e2 = t.throws(() => m.setResources({ hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] }, { update: true }), { instanceOf: UnsupportedError });
  t.is(e2.message, 'linux.resources.hugepageLimits[0]: cannot apply: the hugetlb cgroup controller is not available on this host (no hugetlb.2MB.limit_in_bytes)');
  const e3 = t.throws(() => m.setResources({ network: { classID: 7 } }, { update: true }), { instanceOf: UnsupportedError });
  t.regex(e3.message, /^linux\.resources\.network\.classID: cannot apply: the net_cls cgroup controller is not available .*net_cls\.classid/);
  t.throws(() => m.setResources({ network: { priorities: [{ name: 'lo', priority: 1 }] } }, { update: true }), { message: /network\.priorities\[0\].*net_prio/ });
  t.throws(() => m.setResources({ rdma: { mlx4: { hcaHandles: 1 } } }, { update: true }), { message: /rdma\["mlx4"\].*rdma cgroup controller/ });
});

/** A v1 tree whose new blkio cgroups have these weight files (the throttle files stay). */
function blkioTree(weightFiles: Record<string, string>): FakeTree {
  const tree = fakeV1();
  const blk = tree.fs.templates.get(`${tree.root}/blkio`)!;
  for (const f of ['blkio.bfq.weight', 'blkio.bfq.weight_device']) delete blk[f];
  Object.assign(blk, weightFiles);
  return tree;
}

/** The writes to blkio files; the default device rules are written on every set. */
const blkioWrites = (root: string, writes: Array<{ path: string; value: string }>) => rel(root, writes).filter(([p]) => p!.startsWith('blkio/'));

const BLKIO_WEIGHTS: LinuxResources = { blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } };

test('v1 blkio weight: blkio.weight when it exists, else the BFQ files', (t) => {
  const trees: Array<[string, Record<string, string>, string[]]> = [
    ['classic', { 'blkio.weight': '500', 'blkio.weight_device': '' }, ['blkio.weight', 'blkio.weight_device']],
    ['BFQ only', { 'blkio.bfq.weight': '100', 'blkio.bfq.weight_device': '' }, ['blkio.bfq.weight', 'blkio.bfq.weight_device']],
    ['both', { 'blkio.weight': '500', 'blkio.weight_device': '', 'blkio.bfq.weight': '100', 'blkio.bfq.weight_device': '' }, ['blkio.weight', 'blkio.weight_device']],
  ];
  for (const [name, files, [weightFile, deviceFile]] of trees) {
    const { rec, m, r } = setup(t, blkioTree(files));
    m.create();
    rec.clear();
    const want = [[`blkio/a/b/${weightFile}`, '300'], [`blkio/a/b/${deviceFile}`, '8:0 200']];
    t.deepEqual(blkioWrites(r, m.setResources(BLKIO_WEIGHTS)), want, name);
    t.deepEqual(blkioWrites(r, rec.writes), want, name);
    t.is(read(`${r}/blkio/a/b/${weightFile}`), '300', name);
  }
});

test('v1 blkio weight: with neither blkio.weight nor blkio.bfq.weight, an error naming the field and nothing written', (t) => {
  const { rec, m, r } = setup(t, blkioTree({}));
  m.create();
  rec.clear();
  const throttle = { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] };
  const e1 = t.throws(() => m.setResources({ blockIO: { weight: 300, ...throttle } }), { instanceOf: UnsupportedError });
  t.is(e1.message, `linux.resources.blockIO.weight: cannot apply: ${r}/blkio/a/b/blkio.weight does not exist`);
  const e2 = t.throws(() => m.setResources({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 200 }], ...throttle } }), { instanceOf: UnsupportedError });
  t.is(e2.message, `linux.resources.blockIO.weightDevice[0].weight: cannot apply: ${r}/blkio/a/b/blkio.weight_device does not exist`);
  t.deepEqual(blkioWrites(r, rec.writes), []);
  t.false(fs.existsSync(`${r}/blkio/a/b/blkio.weight`));
  t.false(fs.existsSync(`${r}/blkio/a/b/blkio.weight_device`));
});

test('v1: default values need no controller and no file', (t) => {
  const { m } = setup(t, fakeV1({ hierarchies: ['cpu', 'memory', 'devices'] }));
  m.create();
  const writes = m.setResources({
    pids: { limit: -1 },
    blockIO: { weight: 0, leafWeight: 0, weightDevice: [] },
    network: { classID: 0, priorities: [] },
    hugepageLimits: [],
    rdma: {},
    cpu: { cpus: '', mems: '' },
    memory: { limit: -1 },
  });
  // only memory (-1 -> unlimited, swap follows) and devices are written
  t.deepEqual(writes.filter((w) => !w.path.includes('devices')).map((w) => [w.path.split('/').slice(-1)[0], w.value]), [
    ['memory.memsw.limit_in_bytes', '-1'],
    ['memory.limit_in_bytes', '-1'],
  ]);
  t.throws(() => m.setResources({ pids: { limit: 10 } }), {
    message: 'linux.resources.pids.limit: cannot apply: the pids cgroup controller is not available on this host (no pids.max)',
  });
});

test('v1: unified is an error on a v1 host, before any write', (t) => {
  const { rec, m } = setup(t, fakeV1());
  m.create();
  rec.clear();
  t.throws(() => m.setResources({ pids: { limit: 5 }, unified: { 'pids.max': '5' } }), {
    instanceOf: UnsupportedError,
    message: 'linux.resources.unified: cannot apply: this host uses cgroup v1 (unified needs cgroup v2)',
  });
  t.deepEqual(rec.writes, []);
});

test('v1 memory: swap first when it grows above the current limit; update checks usage', (t) => {
  const { m, r } = setup(t, fakeV1());
  m.create();
  put(`${r}/memory/a/b/memory.limit_in_bytes`, '104857600\n');
  t.deepEqual(rel(r, m.setResources({ memory: { limit: 209715200, swap: 419430400 } }, { update: true })), [
    ['memory/a/b/memory.memsw.limit_in_bytes', '419430400'],
    ['memory/a/b/memory.limit_in_bytes', '209715200'],
  ]);
  put(`${r}/memory/a/b/memory.usage_in_bytes`, '300000000\n');
  t.throws(() => m.setResources({ memory: { limit: 209715200, checkBeforeUpdate: true } }, { update: true }), {
    message: 'linux.resources.memory.limit: rejecting memory limit 209715200 <= usage 300000000',
  });
  t.throws(() => m.setResources({ memory: { swappiness: 101 } }, { update: true }), { message: /swappiness: invalid value 101/ });
  // swappiness -1 (and 2^64-1 as JSON gives it) means unset
  t.deepEqual(m.setResources({ memory: { swappiness: -1 } }, { update: true }), []);
  t.deepEqual(m.setResources({ memory: { swappiness: 18446744073709551615 } }, { update: true }), []);
});

/** Wraps a CgroupFs and fails writes to files matching `file` with `code`, `times` times. */
function failing(inner: CgroupFs, file: string, code: string, times = 1): CgroupFs {
  let left = times;
  return {
    ...inner,
    readFile: (p) => inner.readFile(p),
    mkdir: (p) => inner.mkdir(p),
    rmdir: (p) => inner.rmdir(p),
    exists: (p) => inner.exists(p),
    readdir: (p) => inner.readdir(p),
    writeFile(p, d) {
      if (p.endsWith(`/${file}`) && left > 0) {
        left--;
        const e = new Error(code) as NodeJS.ErrnoException;
        e.code = code;
        throw e;
      }
      inner.writeFile(p, d);
    },
  };
}

test('v1 cpu: a period refused with EINVAL is written again after the quota', (t) => {
  const tree = fakeV1();
  t.teardown(() => tree.cleanup());
  const layout = detectFromRoot(tree.root, tree.fs);
  const rec = new RecordingFs(failing(tree.fs, 'cpu.cfs_period_us', 'EINVAL'));
  const m = createManager({ id: 'c1', cgroupsPath: '/x', layout, fs: rec });
  m.create();
  rec.clear();
  t.deepEqual(rel(tree.root, m.setResources({ cpu: { quota: 20000, period: 50000 } }, { update: true })), [
    ['cpu/x/cpu.cfs_quota_us', '20000'],
    ['cpu/x/cpu.cfs_period_us', '50000'],
  ]);
});

test('v1: write failures name the value, the file and the errno', (t) => {
  const tree = fakeV1();
  t.teardown(() => tree.cleanup());
  const layout = detectFromRoot(tree.root, tree.fs);
  const m = createManager({ id: 'c1', cgroupsPath: '/x', layout, fs: failing(tree.fs, 'pids.max', 'EACCES') });
  m.create();
  const e = t.throws(() => m.setResources({ pids: { limit: -1 } }), { instanceOf: SysError });
  t.is(e.message, `cgroup: write "max" to ${tree.root}/pids/x/pids.max: permission denied (EACCES)`);
  const m2 = createManager({ id: 'c1', cgroupsPath: '/x', layout, fs: failing(tree.fs, 'memory.limit_in_bytes', 'EBUSY') });
  put(`${tree.root}/memory/x/memory.usage_in_bytes`, '5000\n');
  put(`${tree.root}/memory/x/memory.max_usage_in_bytes`, '7000\n');
  t.throws(() => m2.setResources({ memory: { limit: 4096 } }), {
    message: `cgroup: write "4096" to ${tree.root}/memory/x/memory.limit_in_bytes: unable to set memory limit to 4096 (current usage: 5000, peak usage: 7000)`,
  });
});

test('v1 devices: an update writes only the transition from devices.list', (t) => {
  const { m, r } = setup(t, fakeV1());
  m.create();
  put(`${r}/devices/a/b/devices.list`, 'c 1:3 rwm\nc 1:5 rwm\nc 4:1 rwm\n');
  const writes = m.setResources({}, {
    update: true,
    deviceRules: [
      { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'rw' },
    ],
  });
  t.deepEqual(rel(r, writes), [
    ['devices/a/b/devices.deny', 'c 1:5 wm'],
    ['devices/a/b/devices.deny', 'c 4:1 rwm'],
    ['devices/a/b/devices.allow', 'c 1:9 rw'],
  ]);
  // without devices in an update, nothing happens to them
  t.deepEqual(m.setResources({}, { update: true }), []);
});

test('v1: apply joins every hierarchy; pids() is recursive; freeze/thaw; destroy removes the container cgroups create made', (t) => {
  const tree = fakeV1({ unified: true });
  const r = tree.root;
  // /a pre-exists in the memory hierarchy only
  fs.mkdirSync(`${r}/memory/a`);
  put(`${r}/memory/a/cgroup.procs`, '');
  const { rec, m } = setup(t, tree);
  t.is(m.mode, 'hybrid');
  m.create();
  t.false(m.toJSON().created.includes(`${r}/memory/a`));
  t.true(m.toJSON().created.includes(`${r}/unified/a/b`));
  rec.clear();
  m.apply(4242);
  t.deepEqual(rel(r, rec.writes).map(([p]) => p).sort(), [
    'blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'systemd', 'unified',
  ].map((h) => `${h}/a/b/cgroup.procs`));
  t.true(rec.writes.every((w) => w.value === '4242'));
  // The executor's own join: every hierarchy's tasks file, and the cgroup2 leaf for the fork.
  const join = m.joinTargets();
  t.deepEqual(join.tasks.map((p) => p.slice(r.length + 1)).sort(), [
    'blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'systemd',
  ].map((h) => `${h}/a/b/tasks`));
  t.is(join.unified, `${r}/unified/a/b`);

  put(`${r}/pids/a/b/cgroup.procs`, '10\n11\n');
  fs.mkdirSync(`${r}/pids/a/b/sub`);
  put(`${r}/pids/a/b/sub/cgroup.procs`, '12\n');
  t.deepEqual(m.pids().sort(), [10, 11, 12]);

  t.false(m.isFrozen());
  m.freeze();
  t.is(read(`${r}/freezer/a/b/freezer.state`), 'FROZEN');
  t.true(m.isFrozen());
  m.thaw();
  t.is(m.freezerState(), 'THAWED');

  // reload from the state.json description, then destroy
  const again = loadManager(JSON.parse(JSON.stringify(m.toJSON())), { fs: tree.fs });
  again.destroy();
  // The container's level goes everywhere; the level above stays, made by create or not (as
  // runc leaves it: another container may be making its own below it right now).
  for (const h of ['cpu', 'memory', 'pids', 'systemd', 'unified']) {
    t.false(fs.existsSync(`${r}/${h}/a/b`), h);
    t.true(fs.existsSync(`${r}/${h}/a`), h);
  }
  t.false(again.toJSON().created.some((d) => d.endsWith('/a/b')));
});

test('v1 destroy of a failed create (parents): the levels it made go too, unless something else now uses one', (t) => {
  const { m, r } = setup(t, fakeV1({ hierarchies: ['pids', 'memory'] }));
  m.create();
  fs.mkdirSync(`${r}/pids/a/other`);
  m.destroy({ parents: true });
  t.false(fs.existsSync(`${r}/pids/a/b`));
  t.true(fs.existsSync(`${r}/pids/a/other`));
  t.false(fs.existsSync(`${r}/memory/a`));
});

test('v1 create: a level that vanishes before the mkdir below it is made again', (t) => {
  const tree = fakeV1({ hierarchies: ['pids'] });
  t.teardown(() => tree.cleanup());
  const r = tree.root;
  fs.mkdirSync(`${r}/pids/a`);
  // Someone removes /a right after tsrun saw it (another container's failed create undoing it).
  let removed = false;
  const fsRacing: CgroupFs = Object.assign(Object.create(tree.fs) as CgroupFs, {
    mkdir(p: string) {
      if (!removed && p === `${r}/pids/a/b`) {
        removed = true;
        fs.rmSync(`${r}/pids/a`, { recursive: true });
      }
      tree.fs.mkdir(p);
    },
  });
  const m = createManager({ id: 'c1', cgroupsPath: '/a/b', layout: detectFromRoot(r, tree.fs), fs: fsRacing });
  m.create();
  t.true(removed);
  t.true(fs.existsSync(`${r}/pids/a/b`));
  t.deepEqual(m.toJSON().created.map((p) => p.slice(r.length + 1)), ['pids/a', 'pids/a/b']);
});

test('v1 destroy without wait: a cgroup tasks keep busy fails at once, stays recorded, and goes on a later destroy', (t) => {
  const tree = fakeV1({ hierarchies: ['pids'] });
  t.teardown(() => tree.cleanup());
  const r = tree.root;
  // rmdir refuses these directories with EBUSY, as the kernel does while tasks are still inside.
  const busy = new Set([`${r}/pids/a/b`]);
  const tries: string[] = [];
  const fsBusy: CgroupFs = Object.assign(Object.create(tree.fs) as CgroupFs, {
    rmdir(p: string) {
      tries.push(p);
      if (busy.has(p)) throw Object.assign(new Error(`rmdir ${p}: EBUSY`), { code: 'EBUSY' });
      tree.fs.rmdir(p);
    },
  });
  const m = createManager({ id: 'c1', cgroupsPath: '/a/b', layout: detectFromRoot(r, tree.fs), fs: fsBusy });
  m.create();
  const err = t.throws(() => m.destroy({ wait: false }), { instanceOf: SysError });
  t.is(err?.errno, 'EBUSY');
  // One rmdir, then one more after its sub-cgroups (none) are gone, no pauses.
  t.deepEqual(tries.map((p) => p.slice(r.length + 1)), ['pids/a/b', 'pids/a/b']);
  t.true(fs.existsSync(`${r}/pids/a/b`));
  t.deepEqual(m.toJSON().created.map((p) => p.slice(r.length + 1)).sort(), ['pids/a', 'pids/a/b']);
  busy.clear();
  m.destroy();
  t.false(fs.existsSync(`${r}/pids/a/b`));
  t.deepEqual(m.toJSON().created.map((p) => p.slice(r.length + 1)), ['pids/a']);
});

test('hybrid: hugepage limits go to the cgroup2 tree when v1 has no hugetlb', (t) => {
  const { m, r, rec } = setup(t, fakeV1({ unified: true }));
  m.create();
  rec.clear();
  t.deepEqual(rel(r, m.setResources({ hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] }, { update: true })), [
    ['unified/cgroup.subtree_control', '+hugetlb'],
    ['unified/a/cgroup.subtree_control', '+hugetlb'],
    ['unified/a/b/hugetlb.2MB.max', '2097152'],
    ['unified/a/b/hugetlb.2MB.rsvd.max', '2097152'],
  ]);
});

test('v1 stats: runc events --stats shape from the files', (t) => {
  const { m, r } = setup(t, fakeV1({ hierarchies: ['cpu,cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb'] }));
  m.create();
  const d = (h: string) => `${r}/${h}/a/b`;
  put(`${d('cpu,cpuacct')}/cpuacct.usage`, '3000000000\n');
  put(`${d('cpu,cpuacct')}/cpuacct.usage_percpu`, '1000000000 2000000000 \n');
  put(`${d('cpu,cpuacct')}/cpuacct.usage_all`, 'cpu user system\n0 600 400\n1 1500 500\n');
  put(`${d('cpu,cpuacct')}/cpuacct.stat`, 'user 200\nsystem 100\n');
  put(`${d('cpu,cpuacct')}/cpu.stat`, 'nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n');
  put(`${d('cpuset')}/cpuset.cpus`, '0-1,3\n');
  put(`${d('memory')}/memory.stat`, 'cache 4096\nrss 8192\n');
  put(`${d('memory')}/memory.usage_in_bytes`, '12288\n');
  put(`${d('memory')}/memory.max_usage_in_bytes`, '16384\n');
  put(`${d('memory')}/memory.limit_in_bytes`, '268435456\n');
  put(`${d('memory')}/memory.failcnt`, '3\n');
  put(`${d('memory')}/memory.oom_control`, 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  put(`${d('pids')}/pids.current`, '3\n');
  put(`${d('pids')}/pids.max`, '64\n');
  put(`${d('blkio')}/blkio.throttle.io_serviced_recursive`, '8:0 Read 4\n8:0 Write 6\n8:0 Total 10\nTotal 10\n');
  put(`${d('blkio')}/blkio.throttle.io_service_bytes_recursive`, '8:0 Read 4096\n8:0 Write 0\nTotal 4096\n');
  put(`${d('hugetlb')}/hugetlb.2MB.usage_in_bytes`, '2097152\n');
  put(`${d('hugetlb')}/hugetlb.2MB.failcnt`, '1\n');
  const st = m.stats();
  t.deepEqual(st.cpu.usage, {
    total: 3000000000, percpu: [1000000000, 2000000000], percpu_kernel: [400, 500], percpu_user: [600, 1500],
    kernel: 1000000000, user: 2000000000,
  });
  t.deepEqual(st.cpu.throttling, { periods: 10, throttledPeriods: 2, throttledTime: 5000 });
  t.deepEqual(st.cpuset.cpus, [0, 1, 3]);
  t.is(st.memory.cache, 4096);
  t.deepEqual(st.memory.usage, { usage: 12288, max: 16384, failcnt: 3, limit: 268435456 });
  t.deepEqual(st.memory.raw, { cache: 4096, rss: 8192 });
  t.deepEqual(st.pids, { current: 3, limit: 64 });
  t.deepEqual(st.blkio.ioServicedRecursive, [
    { major: 8, minor: 0, op: 'Read', value: 4 }, { major: 8, minor: 0, op: 'Write', value: 6 }, { major: 8, minor: 0, op: 'Total', value: 10 },
  ]);
  t.deepEqual(st.hugetlb, { '2MB': { usage: 2097152, max: 0, failcnt: 1 } });
  t.is(m.oomKillCount(), 2);
  const json = JSON.parse(statsToJSON(st));
  t.deepEqual(json.pids, { current: 3, limit: 64 });
  t.deepEqual(json.blkio.ioServiceBytesRecursive, [{ major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write' }]);
  t.deepEqual(json.hugetlb, { '2MB': { usage: 2097152, failcnt: 1 } });
  t.deepEqual(json.memory.kernelTCP, { limit: 9223372036854771712, failcnt: 0 });
  t.is(json.network_interfaces, null);
  t.true(statsToJSON(st).includes('"limit":9223372036854771712'));
});
