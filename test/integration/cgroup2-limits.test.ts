/**
 * cgroup v2 with real controllers (the test VM is such a host: make test-vm), on tsrun and runc
 * side by side with the cgroupfs driver: limits written and read back (memory, cpu, cpuset, io,
 * pids, hugetlb, the unified map), enforced (an OOM kill counted and reported by `events`,
 * memory.oom.group, the eBPF device filter), and the commands that act on the cgroup (pause and
 * resume through cgroup.freeze, kill --all, ps, events --stats, update). On a host without a pure
 * cgroup2 hierarchy, or without a controller, the tests are skips that say so.
 */
import type { ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { blockDevice, hugePageSizes, unifiedHas } from '../support/host.js';
import { eachRuntime, makeBundle, privateRoot, requireRootAndBuild, runRuntime, serialUnless, uniqueId, unless, waitFor, type Suite } from './helpers.js';

const MiB = 1024 * 1024;
const MOUNT = '/sys/fs/cgroup';

/** Why this host cannot run these tests: not root or not built, or not a pure cgroup2 host. */
function pureV2(): string | undefined {
  const basic = requireRootAndBuild();
  if (basic) return basic;
  if (!existsSync(`${MOUNT}/cgroup.controllers`)) return `needs a pure cgroup v2 host (${MOUNT} is not cgroup2 here; the test VM is one: make test-vm)`;
  return undefined;
}

/** Why a test needing these controllers cannot run here, or undefined. */
function needs(...controllers: string[]): string | undefined {
  const missing = controllers.filter((c) => !unifiedHas(MOUNT, c));
  return missing.length ? `the cgroup2 root offers no ${missing.join(', ')} controller here` : undefined;
}

type Runtime = { name: string; bin: string };

/** A detached container from a patched default spec, force-deleted at teardown: its id, pid and cgroup dir. */
async function start(t: ExecutionContext, rt: Runtime, root: string, patch: (s: any) => void): Promise<{ id: string; pid: number; dir: string }> {
  const id = uniqueId('v2');
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sleep', '1000'];
    patch(s);
  });
  t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
  const r = await runRuntime(rt.bin, root, ['run', '-d', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(r.code, 0, r.stderr);
  const st = JSON.parse((await runRuntime(rt.bin, root, ['state', id])).stdout);
  return { id, pid: st.pid, dir: cgroupDir(st.pid) };
}

/** A process's cgroup2 directory, from its "0::/path" line of /proc/PID/cgroup. */
function cgroupDir(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
  if (line === undefined) throw new Error(`process ${pid} has no cgroup2 line`);
  return `${MOUNT}${line.slice(3)}`.replace(/\/$/, '');
}

const read = (dir: string, file: string) => readFileSync(`${dir}/${file}`, 'utf8').trim();
/** One key of a flat-keyed cgroup file (memory.events, cgroup.events, cpu.stat). */
const keyOf = (dir: string, file: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(read(dir, file))?.[1]);

/** Runs a shell in the container that builds 100 MB of output under a smaller limit. */
const hog = (rt: Runtime, root: string, id: string) =>
  runRuntime(rt.bin, root, ['exec', id, 'sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'], { timeoutMs: 120_000 });

/** Whether the installed runc is older than major.minor (`runc --version`'s first line). */
function runcBefore(major: number, minor: number): boolean {
  const m = /version (\d+)\.(\d+)/.exec(spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout ?? '');
  return m !== null && (Number(m[1]) < major || (Number(m[1]) === major && Number(m[2]) < minor));
}

const base = serialUnless(pureV2());
const disk = blockDevice();
const hugePage = hugePageSizes()[0];

eachRuntime(base, (rt, it) => {
  const name = (title: string) => `${title} (${rt.name})`;
  const skipIf = (reason: string | undefined): Suite => unless(it, reason);

  skipIf(needs('memory', 'cpu', 'cpuset', 'pids'))(name('memory, cpu, cpuset and pids limits are written to their v2 files'), async (t) => {
    const root = privateRoot(t);
    const { dir } = await start(t, rt, root, (s) => {
      s.linux.resources.memory = { limit: 64 * MiB, reservation: 16 * MiB, swap: 96 * MiB };
      s.linux.resources.cpu = { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' };
      s.linux.resources.pids = { limit: 42 };
    });
    t.is(read(dir, 'memory.max'), String(64 * MiB));
    t.is(read(dir, 'memory.low'), String(16 * MiB));
    // The spec's swap is memory+swap; memory.swap.max is the swap alone.
    if (existsSync(`${dir}/memory.swap.max`)) t.is(read(dir, 'memory.swap.max'), String(32 * MiB));
    // shares 512 -> weight 1 + (510 * 9999) / 262142.
    t.is(read(dir, 'cpu.weight'), '20');
    t.is(read(dir, 'cpu.max'), '50000 100000');
    t.is(read(dir, 'cpuset.cpus'), '0');
    t.is(read(dir, 'cpuset.mems'), '0');
    t.is(read(dir, 'pids.max'), '42');
  });

  skipIf(needs('memory', 'cpu'))(name('the unified map writes its files as given (memory.high, memory.min, memory.oom.group, cpu.idle)'), async (t) => {
    const root = privateRoot(t);
    const { dir } = await start(t, rt, root, (s) => {
      s.linux.resources.unified = { 'memory.high': String(48 * MiB), 'memory.min': String(4 * MiB), 'memory.oom.group': '1', 'cpu.idle': '1' };
    });
    t.is(read(dir, 'memory.high'), String(48 * MiB));
    t.is(read(dir, 'memory.min'), String(4 * MiB));
    t.is(read(dir, 'memory.oom.group'), '1');
    t.is(read(dir, 'cpu.idle'), '1');
  });

  skipIf(needs('io') ?? (disk ? undefined : 'no block device here'))(name('blockIO throttles become io.max lines for the disk'), async (t) => {
    const root = privateRoot(t);
    const dev = disk!;
    const { dir } = await start(t, rt, root, (s) => {
      s.linux.resources.blockIO = {
        throttleReadBpsDevice: [{ major: dev.major, minor: dev.minor, rate: MiB }],
        throttleWriteIOPSDevice: [{ major: dev.major, minor: dev.minor, rate: 100 }],
      };
    });
    const line = read(dir, 'io.max').split('\n').find((l) => l.startsWith(`${dev.major}:${dev.minor} `));
    t.is(line, `${dev.major}:${dev.minor} rbps=${MiB} wbps=max riops=max wiops=100`);
  });

  skipIf(needs('io'))(name('blockIO.weight becomes io.bfq.weight when BFQ offers it, else io.weight converted'), async (t) => {
    const root = privateRoot(t);
    const { dir } = await start(t, rt, root, (s) => (s.linux.resources.blockIO = { weight: 300 }));
    if (existsSync(`${dir}/io.bfq.weight`)) t.regex(read(dir, 'io.bfq.weight'), /^default 300$/m);
    else t.regex(read(dir, 'io.weight'), /^default 2930$/m, '1 + (300 - 10) * 9999 / 990');
  });

  skipIf(needs('hugetlb') ?? (hugePage ? undefined : 'no huge page size here'))(name('hugepageLimits set hugetlb.<size>.max'), async (t) => {
    const root = privateRoot(t);
    const { dir } = await start(t, rt, root, (s) => (s.linux.resources.hugepageLimits = [{ pageSize: hugePage!.name, limit: 2 * hugePage!.bytes }]));
    t.is(read(dir, `hugetlb.${hugePage!.name}.max`), String(2 * hugePage!.bytes));
  });

  skipIf(needs('memory'))(name('a memory hog over memory.max is OOM-killed, counted in memory.events and reported by events'), async (t) => {
    const root = privateRoot(t);
    const { id, dir } = await start(t, rt, root, (s) => (s.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB }));
    t.is(read(dir, 'memory.max'), String(32 * MiB));
    const h = await hog(rt, root, id);
    t.notRegex(h.stdout, /survived/, 'the memory limit holds');
    t.is(h.code, 137, `SIGKILLed; stderr: ${h.stderr}`);
    t.true(keyOf(dir, 'memory.events', 'oom_kill') >= 1, read(dir, 'memory.events'));
    const stats = await runRuntime(rt.bin, root, ['events', '--stats', id]);
    t.is(stats.code, 0, stats.stderr);
    t.is(JSON.parse(stats.stdout).data.memory.usage.limit, 32 * MiB);
    t.is(JSON.parse((await runRuntime(rt.bin, root, ['state', id])).stdout).status, 'running', 'the init survives');
  });

  skipIf(needs('memory'))(name('events streams an oom event when the kernel OOM-kills in the container'), async (t) => {
    const root = privateRoot(t);
    const { id } = await start(t, rt, root, (s) => (s.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB }));
    const child = spawn(rt.bin, ['--root', root, 'events', '--interval', '1s', id], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.teardown(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('"stats"'), 30_000, 'a first stats event');
    await hog(rt, root, id);
    await waitFor(() => out.includes('"oom"'), 10_000, 'an oom event');
    const oom = out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'oom');
    t.like(oom, { type: 'oom', id });
  });

  skipIf(needs('memory'))(name('memory.oom.group makes an OOM kill take the whole container'), async (t) => {
    const root = privateRoot(t);
    const { id } = await start(t, rt, root, (s) => {
      s.process.args = ['sh', '-c', 'sleep 1000 & wait'];
      s.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB };
      s.linux.resources.unified = { 'memory.oom.group': '1' };
    });
    const h = await hog(rt, root, id);
    t.notRegex(h.stdout, /survived/);
    const status = async () => JSON.parse((await runRuntime(rt.bin, root, ['state', id])).stdout).status;
    await waitFor(async () => (await status()) === 'stopped', 20_000, 'the container to stop');
    t.is(await status(), 'stopped', 'the init went with the hog');
  });

  skipIf(needs('cpu') ?? (rt.name === 'runc' && runcBefore(1, 2) ? 'runc before 1.2 does not apply cpu.burst' : undefined))(name('cpu.burst is written to cpu.max.burst'), async (t) => {
    const root = privateRoot(t);
    const { dir } = await start(t, rt, root, (s) => (s.linux.resources.cpu = { quota: 50000, period: 100000, burst: 20000 }));
    t.is(read(dir, 'cpu.max'), '50000 100000');
    t.is(read(dir, 'cpu.max.burst'), '20000');
  });

  unless(it, disk ? undefined : 'no block device here')(name('the eBPF device filter refuses a device no rule allows, and opens it once a rule does'), async (t) => {
    const root = privateRoot(t);
    const dev = disk!;
    // The disk bind-mounted in: the default rules allow /dev/null, /dev/full and the like, never a disk.
    const run = async (rules: any[]) => {
      const id = uniqueId('v2dev');
      const bundle = makeBundle(t, (s) => {
        s.process.args = ['sh', '-c', 'echo x >/dev/null && echo null-ok; head -c1 /dev/disk >/dev/null && echo disk-ok; echo done'];
        s.mounts.push({ destination: '/dev/disk', type: 'bind', source: `/dev/${dev.name}`, options: ['bind'] });
        s.linux.resources.devices.push(...rules);
      });
      t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
      const r = await runRuntime(rt.bin, root, ['run', '-b', bundle, id]);
      t.is(r.code, 0, r.stderr);
      t.regex(r.stdout, /null-ok/);
      return r;
    };
    const denied = await run([]);
    t.notRegex(denied.stdout, /disk-ok/);
    t.regex(denied.stderr, /\/dev\/disk.*Operation not permitted/);
    const allowed = await run([{ allow: true, type: 'b', major: dev.major, minor: dev.minor, access: 'r' }]);
    t.regex(allowed.stdout, /disk-ok/, allowed.stderr);
  });

  it(name('pause freezes through cgroup.freeze and resume thaws'), async (t) => {
    const root = privateRoot(t);
    const { id, dir } = await start(t, rt, root, () => undefined);
    t.is((await runRuntime(rt.bin, root, ['pause', id])).code, 0);
    t.is(read(dir, 'cgroup.freeze'), '1');
    await waitFor(() => keyOf(dir, 'cgroup.events', 'frozen') === 1, 10_000, 'frozen 1');
    t.is(JSON.parse((await runRuntime(rt.bin, root, ['state', id])).stdout).status, 'paused');
    t.is((await runRuntime(rt.bin, root, ['resume', id])).code, 0);
    t.is(read(dir, 'cgroup.freeze'), '0');
    t.is(keyOf(dir, 'cgroup.events', 'frozen'), 0);
  });

  it(name('kill --all empties the cgroup, and delete removes it'), async (t) => {
    const root = privateRoot(t);
    const { id, dir } = await start(t, rt, root, (s) => (s.process.args = ['sh', '-c', 'sleep 1001 & sleep 1002 & wait']));
    await waitFor(() => read(dir, 'cgroup.procs').split('\n').length === 3, 20_000, '3 processes');
    const ps = await runRuntime(rt.bin, root, ['ps', '--format', 'json', id]);
    t.is(ps.code, 0, ps.stderr);
    t.deepEqual((JSON.parse(ps.stdout) as number[]).sort(), read(dir, 'cgroup.procs').split('\n').map(Number).sort());
    t.is((await runRuntime(rt.bin, root, ['kill', '--all', id, 'KILL'])).code, 0);
    await waitFor(() => keyOf(dir, 'cgroup.events', 'populated') === 0, 20_000, 'an empty cgroup');
    t.is((await runRuntime(rt.bin, root, ['delete', id])).code, 0);
    t.false(existsSync(dir), `${dir} is gone`);
  });

  skipIf(needs('memory', 'cpu', 'pids'))(name('events --stats reads v2 memory, cpu and pids'), async (t) => {
    const root = privateRoot(t);
    const { id } = await start(t, rt, root, (s) => {
      s.process.args = ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; sleep 1000 & sleep 1000 & wait'];
      s.linux.resources.memory = { limit: 64 * MiB };
      s.linux.resources.pids = { limit: 100 };
    });
    let ev: any;
    await waitFor(async () => {
      const r = await runRuntime(rt.bin, root, ['events', '--stats', id]);
      ev = JSON.parse(r.stdout);
      return ev.data.pids.current === 3;
    }, 30_000, '3 processes');
    t.is(ev.type, 'stats');
    t.deepEqual(ev.data.pids, { current: 3, limit: 100 });
    t.true(ev.data.cpu.usage.total > 0, 'cpu usage');
    t.true(ev.data.memory.usage.usage > 0, 'memory usage');
    t.is(ev.data.memory.usage.limit, 64 * MiB);
  });

  skipIf(needs('memory', 'cpu', 'cpuset', 'pids') ?? (cpus().length < 2 ? 'needs 2 CPUs' : undefined))(name('update changes memory.max, cpu.max, cpuset.cpus and pids.max live'), async (t) => {
    const root = privateRoot(t);
    const { id, pid, dir } = await start(t, rt, root, (s) => {
      s.linux.resources.memory = { limit: 32 * MiB };
      s.linux.resources.cpu = { cpus: '0' };
    });
    const u = await runRuntime(rt.bin, root, ['update', '--memory', '64m', '--cpu-quota', '20000', '--cpu-period', '100000', '--cpuset-cpus', '1', '--pids-limit', '50', id]);
    t.is(u.code, 0, u.stderr);
    t.is(read(dir, 'memory.max'), String(64 * MiB));
    t.is(read(dir, 'cpu.max'), '20000 100000');
    t.is(read(dir, 'cpuset.cpus'), '1');
    t.is(/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1], '1');
    t.is(read(dir, 'pids.max'), '50');
  });
});
