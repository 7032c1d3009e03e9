/**
 * The cgroup layer on this host's real hierarchies (root only): v1 (hybrid) limits, joining,
 * freezing, pids, stats, device rules, OOM counting and clean removal; the cgroup2 mount (at
 * /sys/fs/cgroup/unified here) for a v2 leaf, cgroup.freeze, hugetlb and the eBPF device filter.
 * Every cgroup made here is removed in t.teardown, even when a test fails, and the cgroup2
 * root's subtree_control is put back as it was.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import {
  attachedDeviceFilters, createManager, detectHost, type CgroupLayout, type CgroupManager, type DeviceRule, type LinuxResources,
} from '../../src/cgroups/index.js';
import { blockDevice, firstExisting, hugePageSizes, kernelConfig, rdmaDevices, swapWithoutAccounting, unifiedHas } from '../support/host.js';
import { isRoot, serialUnless, unless } from './helpers.js';

const host = isRoot ? detectHost() : undefined;
const name = () => `tsrun-test-${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NULL_ONLY: DeviceRule[] = [
  { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
];

/** Waits until it has been moved into the cgroup, then tries /dev/null and /dev/full. */
const DEVICE_PROBE =
  'sleep 0.5; ' +
  'if echo x >/dev/null; then echo null-ok; else echo null-denied; fi; ' +
  'if head -c1 /dev/full >/dev/null 2>&1; then echo full-ok; else echo full-denied; fi';

function exited(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve();
    else p.once('exit', () => resolve());
  });
}

function output(p: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.once('close', () => resolve(out));
  });
}

/** Kills every process we started and removes every directory under the given roots, deepest first. */
function cleanupAll(t: ExecutionContext, procs: ChildProcess[], roots: string[]): void {
  t.teardown(async () => {
    for (const p of procs) {
      if (p.exitCode === null && p.signalCode === null) {
        try {
          p.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    await Promise.all(procs.map(exited));
    const walk = (d: string): void => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(`${d}/${e.name}`);
      for (let i = 0; i < 50; i++) {
        try {
          fs.rmdirSync(d);
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EBUSY') return;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    };
    for (const root of roots) walk(root);
  });
}

/** Puts a cgroup2 root's cgroup.subtree_control back as it was when the test started. */
function restoreSubtree(t: ExecutionContext, mount: string): void {
  const file = `${mount}/cgroup.subtree_control`;
  const list = () => fs.readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean);
  const before = list();
  t.teardown(() => {
    for (const c of list()) {
      if (before.includes(c)) continue;
      try {
        fs.writeFileSync(file, `-${c}`);
      } catch {
        /* in use elsewhere */
      }
    }
  });
}

function v1Roots(layout: CgroupLayout, n: string): string[] {
  const mounts = new Set(Object.values(layout.v1).map((h) => h.mountPoint));
  if (layout.unified) mounts.add(layout.unified.mountPoint);
  return [...mounts].map((m) => `${m}/${n}`);
}

async function drained(m: CgroupManager): Promise<void> {
  for (let i = 0; i < 200 && m.pids().length > 0; i++) await sleep(10);
}

const v1Test = serialUnless(!isRoot ? 'needs root' : host!.mode === 'v2' ? 'this host has only cgroup2, no v1 hierarchies' : undefined);

/** A v1 manager for /<n>/<id> on this host, removed (with the level above) at teardown. */
function v1Manager(t: ExecutionContext, procs: ChildProcess[], id = 'ctr'): { m: CgroupManager; n: string } {
  const layout = host!;
  const n = name();
  cleanupAll(t, procs, v1Roots(layout, n));
  if (layout.unified) restoreSubtree(t, layout.unified.mountPoint);
  return { m: createManager({ id, cgroupsPath: `/${n}/${id}`, layout }), n };
}

v1Test('v1 (this host): create, limits, join, freeze/thaw, pids, stats, devices, kill --all, destroy', async (t) => {
  const layout = host!;
  const procs: ChildProcess[] = [];
  const { m, n } = v1Manager(t, procs);
  // a pre-existing level that destroy must leave alone
  const pidsLevel = `${layout.v1.pids!.mountPoint}/${n}`;
  fs.mkdirSync(pidsLevel);
  m.create();
  const p = m.paths();
  for (const [c, dir] of Object.entries(p)) t.true(fs.existsSync(dir), `${c}: ${dir}`);
  t.false(m.toJSON().created.includes(pidsLevel));

  // Only limits every v1 host has; the others are in 'limits only some hosts have' below.
  m.setResources({
    memory: { limit: 64 << 20, reservation: 32 << 20 },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 32 },
  });
  const rd = (c: string, f: string) => fs.readFileSync(`${p[c]}/${f}`, 'utf8').trim();
  t.is(rd('memory', 'memory.limit_in_bytes'), String(64 << 20));
  t.is(rd('memory', 'memory.soft_limit_in_bytes'), String(32 << 20));
  t.is(rd('cpu', 'cpu.shares'), '512');
  t.is(rd('cpu', 'cpu.cfs_quota_us'), '50000');
  t.is(rd('cpu', 'cpu.cfs_period_us'), '100000');
  t.is(rd('cpuset', 'cpuset.cpus'), '0');
  t.is(rd('cpuset', 'cpuset.mems'), '0');
  t.is(rd('pids', 'pids.max'), '32');
  const devs = rd('devices', 'devices.list').split('\n');
  t.true(devs.includes('c 1:3 rwm'));
  t.false(devs.includes('a *:* rwm'));

  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  procs.push(sleeper);
  m.apply(sleeper.pid!);
  const cg = fs.readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8');
  for (const c of ['memory', 'pids', 'cpu', 'devices', 'freezer']) t.regex(cg, new RegExp(`:${c}:/${n}/ctr\\n`), c);
  if (layout.unified) t.regex(cg, new RegExp(`^0::/${n}/ctr$`, 'm'));
  t.deepEqual(m.pids(), [sleeper.pid!]);

  m.freeze();
  t.is(rd('freezer', 'freezer.state'), 'FROZEN');
  t.true(m.isFrozen());
  m.thaw();
  t.is(rd('freezer', 'freezer.state'), 'THAWED');
  t.false(m.isFrozen());

  const st = m.stats();
  t.is(st.pids.current, 1);
  t.is(st.pids.limit, 32);
  t.is(st.memory.usage.limit, 64 << 20);
  t.true(st.cpu.usage.percpu.length > 0);
  t.is(m.oomKillCount(), 0);

  // devices: only /dev/null
  m.setResources({}, { update: true, deviceRules: NULL_ONLY });
  t.deepEqual(rd('devices', 'devices.list').split('\n'), ['c 1:3 rwm']);
  const probe = spawn('sh', ['-c', DEVICE_PROBE], { stdio: ['ignore', 'pipe', 'ignore'] });
  procs.push(probe);
  const out = output(probe);
  m.apply(probe.pid!);
  t.deepEqual((await out).trim().split('\n'), ['null-ok', 'full-denied']);

  t.deepEqual(m.killAll('SIGKILL'), [sleeper.pid!]);
  await exited(sleeper);
  t.is(sleeper.signalCode, 'SIGKILL');
  await drained(m);

  m.destroy();
  // The container's level goes; the one above stays, pre-existing or made by create, as runc
  // leaves it (cleanupAll removes it).
  for (const root of v1Roots(layout, n)) {
    t.true(fs.existsSync(root), `${root} stays`);
    t.false(fs.existsSync(`${root}/ctr`), `${root}/ctr removed`);
  }
});

/**
 * A limit only some hosts can apply: where the kernel offers its file (`file`, found beforehand),
 * set and read back; elsewhere tsrun must refuse it naming the field.
 */
interface HostLimit {
  field: string;
  res: LinuxResources;
  /** The file that carries it on this host, or undefined when the host has none. */
  file: string | undefined;
  /** What the file reads back; undefined where the kernel takes the write and ignores it. */
  readsBack?: string;
}

/** The file, among `names`, that the parent of a test cgroup dir has (the kernel names some two ways). */
function fileFor(dir: string | undefined, names: readonly string[]): string | undefined {
  const name = firstExisting(dir && dirname(dir), names);
  return name && `${dir}/${name}`;
}

/**
 * The hugetlb limit of each of the host's page sizes (/sys/kernel/mm/hugepages), in the cgroup
 * dir `at` with its file suffix (limit_in_bytes on v1, max on cgroup2), or refused without one.
 */
function hugetlbLimits(at: { dir: string | undefined; suffix: string } | undefined): HostLimit[] {
  const sizes = hugePageSizes();
  if (!at || sizes.length === 0) {
    return [{ field: 'linux.resources.hugepageLimits[0]', res: { hugepageLimits: [{ pageSize: sizes[0]?.name ?? '2MB', limit: 4 << 20 }] }, file: undefined }];
  }
  // Two pages of each size: a limit, nothing is allocated.
  return sizes.map(({ name: size, bytes }) => ({
    field: 'linux.resources.hugepageLimits[0]',
    res: { hugepageLimits: [{ pageSize: size, limit: 2 * bytes }] },
    file: `${at.dir}/hugetlb.${size}.${at.suffix}`,
    readsBack: String(2 * bytes),
  }));
}

/** The v1 limits whose files depend on the kernel, its configuration or the I/O scheduler. */
function v1HostLimits(layout: CgroupLayout, p: Record<string, string>): HostLimit[] {
  return [
    { field: 'linux.resources.memory.swap', res: { memory: { limit: 64 << 20, swap: 128 << 20 } }, file: fileFor(p.memory, ['memory.memsw.limit_in_bytes']), readsBack: String(128 << 20) },
    // The kernel takes kmem writes and ignores them since 5.16: only the write is checked.
    { field: 'linux.resources.memory.kernel', res: { memory: { kernel: 32 << 20 } }, file: fileFor(p.memory, ['memory.kmem.limit_in_bytes']) },
    { field: 'linux.resources.cpu.burst', res: { cpu: { quota: 50000, period: 100000, burst: 1000 } }, file: fileFor(p.cpu, ['cpu.cfs_burst_us']), readsBack: '1000' },
    // blkio.weight with CFQ, blkio.bfq.weight with BFQ; neither with other schedulers (none, mq-deadline).
    { field: 'linux.resources.blockIO.weight', res: { blockIO: { weight: 300 } }, file: fileFor(p.blkio, ['blkio.weight', 'blkio.bfq.weight']), readsBack: '300' },
    { field: 'linux.resources.network.classID', res: { network: { classID: 0x100001 } }, file: fileFor(p.net_cls, ['net_cls.classid']), readsBack: String(0x100001) },
    ...hugetlbLimits(layout.v1.hugetlb ? { dir: p.hugetlb, suffix: 'limit_in_bytes' }
      : unifiedHas(layout.unified?.mountPoint, 'hugetlb') ? { dir: p[''], suffix: 'max' } : undefined),
  ];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Applies the limit and reads it back where the host has its file; elsewhere expects tsrun's refusal naming the field. */
function appliedOrRefused(t: ExecutionContext, m: CgroupManager, limit: HostLimit): void {
  if (limit.file === undefined) {
    t.throws(() => m.setResources(limit.res, { update: true }), { message: new RegExp(`^${escapeRe(limit.field)}: cannot apply: `) }, `${limit.field}: refused, the host lacks it`);
    return;
  }
  const writes = m.setResources(limit.res, { update: true });
  t.true(writes.some((w) => w.path === limit.file), `${limit.field} written to ${limit.file}`);
  if (limit.readsBack !== undefined) t.is(fs.readFileSync(limit.file, 'utf8').trim(), limit.readsBack, limit.field);
}

v1Test('v1 (this host): limits only some hosts have are applied and read back, or refused naming the field', (t) => {
  const procs: ChildProcess[] = [];
  const { m } = v1Manager(t, procs);
  m.create();
  const limits = v1HostLimits(host!, m.paths());
  for (const limit of limits) appliedOrRefused(t, m, limit);
  t.log(limits.map((l) => `${l.field}: ${l.file ? `applied (${l.file.replace(/^.*\//, '')})` : 'refused (not on this host)'}`).join('\n'));
  m.destroy();
});

// rdma.max takes limits for the host's RDMA devices only: with the controller but no device there is nothing to try.
const rdmaDevice = rdmaDevices()[0];
unless(v1Test, isRoot && host!.v1.rdma && !rdmaDevice ? 'the rdma controller is here but no RDMA device (/sys/class/infiniband)' : undefined)(
  `v1 (this host): an rdma limit ${rdmaDevice ? `on ${rdmaDevice}` : 'is refused without the rdma controller'}`,
  (t) => {
    const procs: ChildProcess[] = [];
    const { m } = v1Manager(t, procs);
    m.create();
    const device = rdmaDevice ?? 'mlx5_0';
    const res = { rdma: { [device]: { hcaHandles: 3, hcaObjects: 4 } } };
    appliedOrRefused(t, m, { field: `linux.resources.rdma[${JSON.stringify(device)}]`, res, file: fileFor(m.paths().rdma, ['rdma.max']) });
    if (rdmaDevice) t.regex(fs.readFileSync(`${m.paths().rdma}/rdma.max`, 'utf8'), new RegExp(`^${rdmaDevice} hca_handle=3 hca_object=4$`, 'm'));
    m.destroy();
  },
);

const disk = blockDevice();
unless(v1Test, disk ? undefined : 'this host has no block device in /sys/block')(
  `v1 (this host): a blkio throttle limit on ${disk?.name ?? 'a block device'}, by the major:minor of /sys/block/<dev>/dev`,
  (t) => {
    const { major, minor } = disk!;
    const procs: ChildProcess[] = [];
    const { m } = v1Manager(t, procs);
    m.create();
    const file = fileFor(m.paths().blkio, ['blkio.throttle.read_bps_device']);
    const res = { blockIO: { throttleReadBpsDevice: [{ major, minor, rate: 10 << 20 }] } };
    appliedOrRefused(t, m, { field: 'linux.resources.blockIO.throttleReadBpsDevice[0]', res, file, readsBack: `${major}:${minor} ${10 << 20}` });
    m.destroy();
  },
);

// Without a memory+swap limit the hog would be swapped out instead of killed.
unless(v1Test, isRoot ? swapWithoutAccounting(host!.v1.memory?.mountPoint) : undefined)('v1: an OOM kill in the cgroup is counted and watched', async (t) => {
  const layout = host!;
  const n = name();
  const procs: ChildProcess[] = [];
  cleanupAll(t, procs, v1Roots(layout, n));
  const m = createManager({ id: 'oom', cgroupsPath: `/${n}`, layout });
  m.create();
  const swapAccounted = fs.existsSync(`${m.paths().memory}/memory.memsw.limit_in_bytes`);
  m.setResources({ memory: { limit: 16 << 20, ...(swapAccounted ? { swap: 16 << 20 } : {}) } });
  const seen: number[] = [];
  const stop = m.watchOom((total) => seen.push(total), 50);
  t.teardown(stop);
  const hog = spawn('sh', ['-c', 'sleep 0.3; a=$(head -c 64000000 /dev/zero | tr "\\0" x); echo survived'], { stdio: ['ignore', 'pipe', 'ignore'] });
  procs.push(hog);
  const out = output(hog);
  m.apply(hog.pid!);
  t.not((await out).trim(), 'survived');
  for (let i = 0; i < 40 && seen.length === 0; i++) await sleep(50);
  t.true(m.oomKillCount() >= 1);
  t.true(seen.length >= 1 && seen[0]! >= 1);
  stop();
  await drained(m);
  m.destroy();
  t.false(fs.existsSync(`${layout.v1.memory!.mountPoint}/${n}`));
});

test('--systemd-cgroup on this host', (t) => {
  const mk = () => createManager({ id: 'c', cgroupsPath: 'system.slice:tsrun:c', systemd: true });
  // With systemd, the manager names its unit and makes nothing before start (systemd-driver.test.ts runs it).
  if (fs.existsSync('/run/systemd/system')) t.like(mk().toJSON(), { driver: 'systemd', systemd: { unit: 'tsrun-c.scope', slice: 'system.slice' }, created: [] });
  else t.throws(mk, { message: 'systemd cgroup driver: systemd is not running as PID 1' });
});

const unifiedMount = host?.unified?.mountPoint;
const v2Test = serialUnless(!isRoot ? 'needs root' : unifiedMount ? undefined : 'this host has no cgroup2 mount');

v2Test('v2 (the cgroup2 mount): leaf, join, cgroup.freeze, hugetlb, eBPF device filter, cgroup.kill, destroy', async (t) => {
  const mount = unifiedMount!;
  const layout: CgroupLayout = { mode: 'v2', v1: {}, unified: { mountPoint: mount, root: '/' } };
  const n = name();
  const procs: ChildProcess[] = [];
  cleanupAll(t, procs, [`${mount}/${n}`]);
  restoreSubtree(t, mount);

  const m = createManager({ id: 'ctr', cgroupsPath: `/${n}/ctr`, layout });
  t.is(m.mode, 'v2');
  m.create();
  const dir = `${mount}/${n}/ctr`;
  t.true(fs.existsSync(dir));

  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  procs.push(sleeper);
  m.apply(sleeper.pid!);
  t.regex(fs.readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8'), new RegExp(`^0::/${n}/ctr$`, 'm'));
  t.deepEqual(m.pids(), [sleeper.pid!]);

  m.freeze();
  t.is(fs.readFileSync(`${dir}/cgroup.freeze`, 'utf8').trim(), '1');
  t.regex(fs.readFileSync(`${dir}/cgroup.events`, 'utf8'), /^frozen 1$/m);
  t.true(m.isFrozen());
  m.thaw();
  t.false(m.isFrozen());

  const hugetlb = unifiedHas(mount, 'hugetlb');
  for (const limit of hugetlbLimits(hugetlb ? { dir, suffix: 'max' } : undefined)) {
    appliedOrRefused(t, m, limit);
    // The reservation limit follows, where the kernel has it.
    const rsvd = limit.file?.replace(/\.max$/, '.rsvd.max');
    if (rsvd && limit.readsBack !== undefined && fs.existsSync(rsvd)) t.is(fs.readFileSync(rsvd, 'utf8').trim(), limit.readsBack);
  }
  for (const { name: size } of hugetlb ? hugePageSizes() : []) t.is(m.stats().hugetlb[size]?.usage, 0, `hugetlb ${size} usage`);
  // a controller this cgroup2 mount lacks is named precisely (the hybrid one here has only hugetlb)
  const pidsMax = fs.existsSync(`${dir}/pids.max`) ? `${dir}/pids.max` : undefined;
  appliedOrRefused(t, m, { field: 'linux.resources.pids.limit', res: { pids: { limit: 5 } }, file: pidsMax, readsBack: '5' });

  // eBPF device programs need CONFIG_CGROUP_BPF; a kernel whose config is not published is taken to have it.
  if (kernelConfig('CONFIG_CGROUP_BPF') === 'n') {
    t.throws(() => m.setResources({}, { update: true, deviceRules: NULL_ONLY }), undefined, 'no CONFIG_CGROUP_BPF: the device filter is refused');
  } else {
    m.setResources({}, { update: true, deviceRules: NULL_ONLY });
    t.is(attachedDeviceFilters(dir).length, 1);
    const probe = spawn('sh', ['-c', DEVICE_PROBE], { stdio: ['ignore', 'pipe', 'ignore'] });
    procs.push(probe);
    const out = output(probe);
    m.apply(probe.pid!);
    t.deepEqual((await out).trim().split('\n'), ['null-ok', 'full-denied']);
    // the default rules (which allow /dev/full) replace the program: still exactly one attached
    m.setResources({ devices: [] }, { update: true });
    t.is(attachedDeviceFilters(dir).length, 1);
    const probe2 = spawn('sh', ['-c', DEVICE_PROBE], { stdio: ['ignore', 'pipe', 'ignore'] });
    procs.push(probe2);
    const out2 = output(probe2);
    m.apply(probe2.pid!);
    t.deepEqual((await out2).trim().split('\n'), ['null-ok', 'full-ok']);
  }

  t.true(Number(m.stats().cpu.usage.total) >= 0);

  t.true(m.killAll('SIGKILL').includes(sleeper.pid!));
  await exited(sleeper);
  t.is(sleeper.signalCode, 'SIGKILL');
  await drained(m);
  m.destroy();
  t.false(fs.existsSync(`${mount}/${n}/ctr`));
  t.true(fs.existsSync(`${mount}/${n}`), 'the level above stays (cleanupAll removes it)');
});
