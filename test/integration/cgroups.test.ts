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
import {
  attachedDeviceFilters, createManager, detectHost, type CgroupLayout, type CgroupManager, type DeviceRule,
} from '../../src/cgroups/index.js';

const isRoot = process.getuid?.() === 0;
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

const v1Test = isRoot && host && host.mode !== 'v2' ? test.serial : test.skip;

v1Test('v1 (this host): create, limits, join, freeze/thaw, pids, stats, devices, kill --all, destroy', async (t) => {
  const layout = host!;
  const n = name();
  const procs: ChildProcess[] = [];
  cleanupAll(t, procs, v1Roots(layout, n));
  if (layout.unified) restoreSubtree(t, layout.unified.mountPoint);
  // a pre-existing level that destroy must leave alone
  fs.mkdirSync(`/sys/fs/cgroup/pids/${n}`);
  const m = createManager({ id: 'ctr', cgroupsPath: `/${n}/ctr`, layout });
  m.create();
  const p = m.paths();
  for (const [c, dir] of Object.entries(p)) t.true(fs.existsSync(dir), `${c}: ${dir}`);
  t.false(m.toJSON().created.includes(`/sys/fs/cgroup/pids/${n}`));

  const writes = m.setResources({
    memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, kernel: 32 << 20 },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0', burst: 1000 },
    pids: { limit: 32 },
    blockIO: { weight: 300, ...(fs.existsSync('/sys/block/vda') ? { throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 10 << 20 }] } : {}) },
  });
  t.true(writes.length > 10);
  const rd = (c: string, f: string) => fs.readFileSync(`${p[c]}/${f}`, 'utf8').trim();
  t.is(rd('memory', 'memory.limit_in_bytes'), String(64 << 20));
  t.is(rd('memory', 'memory.memsw.limit_in_bytes'), String(128 << 20));
  t.is(rd('memory', 'memory.soft_limit_in_bytes'), String(32 << 20));
  t.is(rd('cpu', 'cpu.shares'), '512');
  t.is(rd('cpu', 'cpu.cfs_quota_us'), '50000');
  t.is(rd('cpu', 'cpu.cfs_burst_us'), '1000');
  t.is(rd('cpuset', 'cpuset.cpus'), '0');
  t.is(rd('pids', 'pids.max'), '32');
  t.is(rd('blkio', 'blkio.bfq.weight'), '300');
  if (fs.existsSync('/sys/block/vda')) t.regex(rd('blkio', 'blkio.throttle.read_bps_device'), /254:0 10485760/);
  const devs = rd('devices', 'devices.list').split('\n');
  t.true(devs.includes('c 1:3 rwm'));
  t.false(devs.includes('a *:* rwm'));

  // hybrid: no v1 hugetlb hierarchy, but the cgroup2 tree has the controller
  const unifiedHugetlb = !layout.v1.hugetlb && !!layout.unified
    && fs.readFileSync(`${layout.unified.mountPoint}/cgroup.controllers`, 'utf8').split(/\s+/).includes('hugetlb');
  if (unifiedHugetlb) {
    m.setResources({ hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }] }, { update: true });
    t.is(fs.readFileSync(`${p['']}/hugetlb.2MB.max`, 'utf8').trim(), String(2 << 20));
  } else if (!layout.v1.hugetlb) {
    t.throws(() => m.setResources({ hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }] }, { update: true }), { message: /hugepageLimits\[0\]: cannot apply/ });
  }
  // no net_cls hierarchy on this kind of host
  if (!layout.v1.net_cls) {
    t.throws(() => m.setResources({ network: { classID: 0x100001 } }, { update: true }), { message: /^linux\.resources\.network\.classID: cannot apply/ });
  }

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

v1Test('v1: an OOM kill in the cgroup is counted and watched', async (t) => {
  const layout = host!;
  const n = name();
  const procs: ChildProcess[] = [];
  cleanupAll(t, procs, v1Roots(layout, n));
  const m = createManager({ id: 'oom', cgroupsPath: `/${n}`, layout });
  m.create();
  m.setResources({ memory: { limit: 16 << 20, swap: 16 << 20 } });
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
  t.false(fs.existsSync(`/sys/fs/cgroup/memory/${n}`));
});

test('--systemd-cgroup on this host', (t) => {
  const mk = () => createManager({ id: 'c', cgroupsPath: 'system.slice:tsrun:c', systemd: true });
  if (fs.existsSync('/run/systemd/system')) t.throws(mk, { message: /systemd cgroup driver/ });
  else t.throws(mk, { message: 'systemd cgroup driver: systemd is not running as PID 1' });
});

const unifiedMount = host?.unified?.mountPoint;
const v2Test = isRoot && unifiedMount ? test.serial : test.skip;

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

  if (fs.existsSync(`${dir}/hugetlb.2MB.max`)) {
    m.setResources({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] }, { update: true });
    t.is(fs.readFileSync(`${dir}/hugetlb.2MB.max`, 'utf8').trim(), String(4 << 20));
    if (fs.existsSync(`${dir}/hugetlb.2MB.rsvd.max`)) t.is(fs.readFileSync(`${dir}/hugetlb.2MB.rsvd.max`, 'utf8').trim(), String(4 << 20));
    t.is(m.stats().hugetlb['2MB']?.usage, 0);
  } else {
    t.log('hugetlb: no hugetlb.2MB.max in the v2 leaf (controller not available); skipped');
  }
  // controllers this cgroup2 mount lacks are named precisely
  if (!fs.existsSync(`${dir}/pids.max`)) {
    t.throws(() => m.setResources({ pids: { limit: 5 } }, { update: true }), { message: `linux.resources.pids.limit: cannot apply: ${dir}/pids.max does not exist` });
  }

  let attached = false;
  try {
    m.setResources({}, { update: true, deviceRules: NULL_ONLY });
    attached = true;
  } catch (err) {
    t.log(`eBPF device filter: the kernel refused (${(err as Error).message}); device checks skipped`);
  }
  if (attached) {
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

test('without root the integration tests are skipped', (t) => {
  if (!isRoot) t.log('not root: cgroup integration tests skipped');
  t.pass();
});
