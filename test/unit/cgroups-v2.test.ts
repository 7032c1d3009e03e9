import test from 'ava';
import * as fs from 'node:fs';
import {
  RecordingFs, blkioWeightToIoWeight, createManager, memorySwapToV2, sharesToWeight, statsToJSON,
  type DeviceFilter, type DeviceFilterAttacher, type LinuxResources,
} from '../../src/cgroups/index.js';
import { detectFromRoot } from '../../src/cgroups/detect.js';
import { ConfigError, UnsupportedError } from '../../src/errors.js';
import { fakeV2, put, read, type FakeTree } from './cgroups-fake.js';

/** Every field that has a v2 equivalent, plus unified. */
const FULL_V2: LinuxResources = {
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }],
  memory: { limit: 268435456, reservation: 134217728, swap: 536870912, useHierarchy: true, checkBeforeUpdate: true },
  cpu: { shares: 512, quota: 50000, burst: 10000, period: 100000, cpus: '0-1', mems: '0', idle: 0 },
  pids: { limit: 64 },
  blockIO: {
    weight: 500,
    weightDevice: [{ major: 8, minor: 0, weight: 300 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
  unified: { 'cpu.weight': '50', 'io.max': '8:16 rbps=1\n8:16 wbps=2' },
};

class RecordingAttacher implements DeviceFilterAttacher {
  readonly attached: Array<{ dir: string; filter: DeviceFilter }> = [];
  attach(dir: string, filter: DeviceFilter): void {
    this.attached.push({ dir, filter });
  }
}

function setup(t: { teardown(fn: () => void): void }, tree: FakeTree, cgroupsPath = '/a/b') {
  t.teardown(() => tree.cleanup());
  const rec = new RecordingFs(tree.fs);
  const attacher = new RecordingAttacher();
  const layout = detectFromRoot(tree.root, tree.fs);
  const m = createManager({ id: 'c1', cgroupsPath, layout, fs: rec, attacher, hugePageSizes: ['2MB'] });
  return { rec, m, attacher, r: tree.root };
}

const rel = (root: string, writes: Array<{ path: string; value: string }>) =>
  writes.map((w) => [w.path.slice(root.length + 1), w.value]);

test('conversions as runc and crun make them', (t) => {
  t.is(sharesToWeight(0), 0);
  t.is(sharesToWeight(2), 1);
  t.is(sharesToWeight(1024), 39);
  t.is(sharesToWeight(512), 20);
  t.is(sharesToWeight(262144), 10000);
  t.is(sharesToWeight(1), 1); // clamped, not a uint64 wrap
  t.is(sharesToWeight(10 ** 9), 10000);
  t.is(blkioWeightToIoWeight(10), 1);
  t.is(blkioWeightToIoWeight(500), 4950);
  t.is(blkioWeightToIoWeight(1000), 10000);
  t.is(memorySwapToV2(536870912, 268435456), 268435456);
  t.is(memorySwapToV2(268435456, 268435456), 0);
  t.is(memorySwapToV2(0, -1), -1);
  t.is(memorySwapToV2(-1, 100), -1);
  t.is(memorySwapToV2(1000, -1), 1000);
  t.throws(() => memorySwapToV2(1000, 0), { instanceOf: ConfigError, message: /without memory limit/ });
  t.throws(() => memorySwapToV2(100, 1000), { message: /should be >= memory limit/ });
});

test('v2: create enables the root controllers on every level above the leaf', (t) => {
  const { rec, m, r } = setup(t, fakeV2());
  t.is(m.mode, 'v2');
  m.create();
  t.deepEqual(rec.ops.map((o) => [o.op, o.path.slice(r.length + 1), 'value' in o ? o.value : '']), [
    ['mkdir', 'a', ''],
    ['write', 'cgroup.subtree_control', '+cpuset +cpu +io +memory +hugetlb +pids +rdma'],
    ['write', 'a/cgroup.subtree_control', '+cpuset +cpu +io +memory +hugetlb +pids +rdma'],
    ['mkdir', 'a/b', ''],
  ]);
  t.deepEqual(m.paths(), { '': `${r}/a/b` });
  // already enabled levels are left alone
  const m2 = createManager({ id: 'c2', cgroupsPath: '/a/c', layout: detectFromRoot(r, rec), fs: rec });
  rec.clear();
  m2.create();
  t.deepEqual(rec.ops.map((o) => o.op), ['mkdir']);
});

test('v2: FULL resources give exactly these writes, in this order; devices become one BPF program', (t) => {
  const { rec, m, attacher, r } = setup(t, fakeV2());
  m.create();
  rec.clear();
  const writes = m.setResources(FULL_V2);
  t.deepEqual(rel(r, writes), rel(r, rec.writes));
  t.deepEqual(rel(r, writes), [
    ['a/b/pids.max', '64'],
    ['a/b/memory.swap.max', '268435456'],
    ['a/b/memory.max', '268435456'],
    ['a/b/memory.low', '134217728'],
    ['a/b/io.weight', '4950'],
    ['a/b/io.weight', '8:0 2930'],
    ['a/b/io.max', '8:0 rbps=1048576'],
    ['a/b/io.max', '8:0 wbps=2097152'],
    ['a/b/io.max', '8:0 riops=100'],
    ['a/b/io.max', '8:0 wiops=200'],
    ['a/b/cpu.idle', '0'],
    ['a/b/cpu.weight', '20'],
    ['a/b/cpu.max.burst', '10000'],
    ['a/b/cpu.max', '50000 100000'],
    ['a/b/cpuset.cpus', '0-1'],
    ['a/b/cpuset.mems', '0'],
    ['a/b/hugetlb.2MB.max', '4194304'],
    ['a/b/hugetlb.2MB.rsvd.max', '4194304'],
    ['a/b/rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'],
    ['a/b/cpu.weight', '50'],
    ['a/b/io.max', '8:16 rbps=1'],
    ['a/b/io.max', '8:16 wbps=2'],
  ]);
  t.is(attacher.attached.length, 1);
  t.is(attacher.attached[0]!.dir, `${r}/a/b`);
  t.false(attacher.attached[0]!.filter.defaultAllow);
});

test('v2: BFQ weights are written as given', (t) => {
  const tree = fakeV2();
  tree.fs.templates.get(tree.root)!['io.bfq.weight'] = 'default 100';
  const { m, r } = setup(t, tree);
  m.create();
  t.deepEqual(rel(r, m.setResources({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }] } }, { update: true })), [
    ['a/b/io.bfq.weight', '500'],
    ['a/b/io.bfq.weight', '8:0 300'],
  ]);
});

test('v2: memory and cpu edge cases', (t) => {
  const { m, r } = setup(t, fakeV2());
  m.create();
  const u = { update: true };
  // swap == limit disables swap; -1 is max
  t.deepEqual(rel(r, m.setResources({ memory: { limit: 1048576, swap: 1048576 } }, u)), [
    ['a/b/memory.swap.max', '0'], ['a/b/memory.max', '1048576'],
  ]);
  t.deepEqual(rel(r, m.setResources({ memory: { limit: -1 } }, u)), [['a/b/memory.swap.max', 'max'], ['a/b/memory.max', 'max']]);
  // a period alone: max quota
  t.deepEqual(rel(r, m.setResources({ cpu: { period: 50000 } }, u)), [['a/b/cpu.max', 'max 50000']]);
  t.deepEqual(rel(r, m.setResources({ cpu: { quota: 20000 } }, u)), [['a/b/cpu.max', '20000 100000']]);
  put(`${r}/a/b/memory.current`, '2000000\n');
  t.throws(() => m.setResources({ memory: { limit: 1048576, checkBeforeUpdate: true } }, u), {
    message: 'linux.resources.memory.limit: rejecting memory limit 1048576 <= usage 2000000',
  });
  t.throws(() => m.setResources({ memory: { swap: 100 } }, u), { message: /unable to set swap limit without memory limit/ });
});

test('v2: v1-only fields are errors unless default', (t) => {
  const { m } = setup(t, fakeV2());
  m.create();
  const u = { update: true };
  const cases: Array<[LinuxResources, RegExp]> = [
    [{ memory: { kernel: 1 << 20 } }, /^linux\.resources\.memory\.kernel: cannot apply: a kernel memory limit .* does not exist on cgroup v2$/],
    [{ memory: { kernelTCP: 1 << 20 } }, /memory\.kernelTCP: cannot apply/],
    [{ memory: { swappiness: 0 } }, /memory\.swappiness: cannot apply/],
    [{ memory: { disableOOMKiller: true } }, /memory\.disableOOMKiller: cannot apply/],
    [{ memory: { useHierarchy: false } }, /memory\.useHierarchy: cannot apply/],
    [{ cpu: { realtimeRuntime: 1000 } }, /cpu\.realtimeRuntime: cannot apply: realtime/],
    [{ cpu: { realtimePeriod: 1000 } }, /cpu\.realtimePeriod: cannot apply/],
    [{ blockIO: { leafWeight: 100 } }, /blockIO\.leafWeight: cannot apply/],
    [{ blockIO: { weightDevice: [{ major: 8, minor: 0, leafWeight: 10 }] } }, /weightDevice\[0\]\.leafWeight: cannot apply/],
    [{ network: { classID: 1 } }, /^linux\.resources\.network\.classID: cannot apply: net_cls\.classid does not exist on cgroup v2$/],
    [{ network: { priorities: [{ name: 'eth0', priority: 1 }] } }, /network\.priorities: cannot apply/],
  ];
  for (const [res, re] of cases) t.throws(() => m.setResources(res, u), { instanceOf: UnsupportedError, message: re });
  t.deepEqual(m.setResources({
    memory: { kernel: 0, kernelTCP: -1, swappiness: -1, disableOOMKiller: false, useHierarchy: true },
    cpu: { realtimePeriod: 0, realtimeRuntime: 0 },
    blockIO: { leafWeight: 0 },
    network: { classID: 0, priorities: [] },
  }, u), []);
});

test('v2: a missing controller names the field and the file, unless the value is the default', (t) => {
  const { m, r } = setup(t, fakeV2({ controllers: 'hugetlb', omit: ['pids.max', 'memory.max', 'memory.swap.max', 'memory.low', 'cpu.weight', 'cpu.max'] }));
  m.create();
  const u = { update: true };
  t.throws(() => m.setResources({ pids: { limit: 10 } }, u), {
    instanceOf: UnsupportedError, message: `linux.resources.pids.limit: cannot apply: ${r}/a/b/pids.max does not exist`,
  });
  t.throws(() => m.setResources({ memory: { limit: 1 << 20 } }, u), { message: /memory\.limit: cannot apply: .*memory\.max does not exist/ });
  t.deepEqual(m.setResources({ pids: { limit: -1 }, memory: { limit: -1 }, cpu: { shares: 1024, quota: -1 } }, u), []);
  t.throws(() => m.setResources({ unified: { 'pids.max': '10' } }, u), {
    message: `linux.resources.unified["pids.max"]: cannot apply: ${r}/a/b/pids.max does not exist (the pids controller is not available in ${r}/a/b/cgroup.controllers)`,
  });
  t.throws(() => m.setResources({ unified: { '../x': '1' } }, u), { instanceOf: ConfigError, message: /must be a file name/ });
});

test('v2: freeze/thaw through cgroup.freeze and cgroup.events; kill --all uses cgroup.kill for SIGKILL', (t) => {
  const { m, r, rec } = setup(t, fakeV2());
  m.create();
  t.is(m.freezerState(), 'THAWED');
  m.freeze();
  t.is(read(`${r}/a/b/cgroup.freeze`), '1');
  t.true(m.isFrozen());
  m.thaw();
  t.false(m.isFrozen());
  rec.clear();
  t.deepEqual(m.killAll('SIGKILL'), []);
  t.deepEqual(rel(r, rec.writes), [['a/b/cgroup.kill', '1']]);
});

test('v2: destroy removes the leaf and its sub-cgroups, not the level above', (t) => {
  const tree = fakeV2();
  fs.mkdirSync(`${tree.root}/a`);
  const { m, r } = setup(t, tree);
  m.create();
  t.deepEqual(m.toJSON().created, [`${r}/a/b`]);
  t.deepEqual(m.joinTargets(), { tasks: [], unified: `${r}/a/b` }, 'v2: the fork goes straight into the leaf');
  fs.mkdirSync(`${r}/a/b/inner`);
  m.destroy();
  t.false(fs.existsSync(`${r}/a/b`));
  t.true(fs.existsSync(`${r}/a`));
});

test('v2 stats: cpu.stat, memory, io.stat, pids, hugetlb in runc shape; OOM kills from memory.events', (t) => {
  const { m, r } = setup(t, fakeV2());
  m.create();
  const d = `${r}/a/b`;
  put(`${d}/cpu.stat`, 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 30\n');
  put(`${d}/memory.stat`, 'anon 8192\nfile 4096\n');
  put(`${d}/memory.current`, '12288\n');
  put(`${d}/memory.max`, '268435456\n');
  put(`${d}/memory.swap.current`, '4096\n');
  put(`${d}/memory.swap.max`, 'max\n');
  put(`${d}/memory.events`, 'low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n');
  put(`${d}/io.stat`, '8:0 rbytes=4096 wbytes=512 rios=2 wios=1 dbytes=0 dios=0\n');
  put(`${d}/pids.current`, '2\n');
  put(`${d}/hugetlb.2MB.current`, '2097152\n');
  put(`${d}/hugetlb.2MB.events`, 'max 3\n');
  const st = m.stats();
  t.deepEqual(st.cpu.usage, { total: 1500000, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 500000, user: 1000000 });
  t.deepEqual(st.cpu.throttling, { periods: 4, throttledPeriods: 1, throttledTime: 30000 });
  t.is(st.memory.cache, 4096);
  t.deepEqual(st.memory.usage, { usage: 12288, limit: 268435456, max: 0, failcnt: 5 });
  t.deepEqual(st.memory.swap, { usage: 16384, limit: 18446744073709551615n, max: 0, failcnt: 0 });
  t.deepEqual(st.blkio.ioServiceBytesRecursive, [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 512 }]);
  t.deepEqual(st.blkio.ioServicedRecursive, [{ major: 8, minor: 0, op: 'Read', value: 2 }, { major: 8, minor: 0, op: 'Write', value: 1 }]);
  t.deepEqual(st.pids, { current: 2, limit: 0 });
  t.deepEqual(st.hugetlb, { '2MB': { usage: 2097152, max: 0, failcnt: 3 } });
  t.is(m.oomKillCount(), 1);
  const json = statsToJSON(st);
  t.true(json.includes('"swap":{"limit":18446744073709551615,"usage":16384,"failcnt":0}'));
  t.true(json.includes('"pids":{"current":2}'));
});
