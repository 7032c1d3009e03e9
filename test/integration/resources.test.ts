/**
 * The commands that control a running container, on real containers (root): limits the kernel
 * enforces (memory → OOM kill reported by `events`, pids, cpuset, devices), `update` changing
 * a live limit, `pause`/`resume`, `ps`, `events --stats` and the event stream, and `kill --all` /
 * `delete --force` of a paused container. Each test has its own --root; privateRoot's teardown
 * force-deletes whatever a test leaves.
 */
import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { detectHost } from '../../src/cgroups/index.js';
import { firstExisting, swapWithoutAccounting } from '../support/host.js';
import { cgroupBases } from '../support/procs.js';
import { removeCgroupTree } from './managers/common.js';
import { containerDirs, makeBundle, privateRoot, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId, unless, waitFor, TSRUN } from './helpers.js';

// The checks read the v1 files (memory.oom_control, freezer.state, ...) or, on a pure cgroup2
// host, their v2 counterparts (v1v2 names both).
const host = requireRootAndBuild() ? undefined : detectHost();
const it = serialUnless(requireRootAndBuild());
const v2 = host?.mode === 'v2';
const v1v2 = (v1: string, v2file: string) => (v2 ? v2file : v1);
const memoryMount = v2 ? host?.unified?.mountPoint : host?.v1.memory?.mountPoint;
/** Whether a memory+swap limit can be set (swap accounting on): without it swap: is refused. */
const swapAccounted = memoryMount !== undefined && existsSync(join(memoryMount, v1v2('memory.memsw.limit_in_bytes', 'memory.swap.current')));

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a detached container from a patched default spec; returns its id and init pid. */
async function startContainer(t: ExecutionContext, root: string, patch: (s: any) => void, prefix = 'res'): Promise<{ id: string; pid: number }> {
  const bundle = makeBundle(t, patch);
  const id = uniqueId(prefix);
  const r = await tsrun(root, ['run', '-d', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(r.code, 0, r.stderr);
  const st = await stateOf(root, id);
  t.is(st.status, 'running');
  return { id, pid: st.pid };
}

/** The host directory of a process's cgroup in one v1 hierarchy (or its cgroup2 one), from /proc/PID/cgroup. */
function cgroupDir(pid: number, controller: string): string {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [id, list, path] = line.split(':');
    if (v2 && id === '0') return `${memoryMount}${path}`;
    if (list !== undefined && list.split(',').includes(controller)) return `/sys/fs/cgroup/${controller}${path}`;
  }
  throw new Error(`process ${pid} has no ${controller} cgroup`);
}

const cgRead = (pid: number, controller: string, file: string) => readFileSync(`${cgroupDir(pid, controller)}/${file}`, 'utf8').trim();

/** `tsrun events ...` in the background, its stdout split into JSON events. */
function eventsStream(t: ExecutionContext, root: string, args: string[]): { child: ChildProcess; events: any[]; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(TSRUN, ['--root', root, 'events', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: any[] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, events, exit, stderr: () => err };
}

const oomKills = (pid: number) => Number(/^oom_kill (\d+)$/m.exec(cgRead(pid, 'memory', v1v2('memory.oom_control', 'memory.events')))![1]);
const memoryLimitFile = v1v2('memory.limit_in_bytes', 'memory.max');

/**
 * Execs a shell that accumulates 100 MB of command-substitution output, far over the container's
 * 32 MiB: the limit must hold (it never prints "survived"), the kernel must OOM-kill it (tsrun
 * exec exits 137, 128 + SIGKILL) and count the kill in memory.oom_control. Once (CI, 2026-11-28)
 * the hog ended without the count; we could not reproduce it in hundreds of runs, so a SIGKILL
 * without a count is logged with what the cgroup says and tried once more. Anything else fails
 * at once, with exec's stderr.
 */
async function runHogUntilOomKill(t: ExecutionContext, root: string, id: string, pid: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // 100 MB through a pipe takes seconds here, minutes under emulation (the test VM).
    const hog = await tsrun(root, ['exec', id, 'sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'], { timeoutMs: 180_000 });
    t.notRegex(hog.stdout, /survived/, 'the memory limit holds');
    if (oomKills(pid) >= 1) {
      t.is(hog.code, 137, `the hog was SIGKILLed; exec's stderr: ${hog.stderr}`);
      return;
    }
    const what = [
      `exec exited ${hog.code}, stderr ${JSON.stringify(hog.stderr)}`,
      ...(v2 ? ['memory.events', 'memory.current'] : ['memory.oom_control', 'memory.failcnt', 'memory.max_usage_in_bytes']).map((f) => `${f}: ${cgRead(pid, 'memory', f).replace(/\n/g, ', ')}`),
    ].join('; ');
    if (hog.code !== 137 || attempt === 2) return t.fail(`the kernel counted no OOM kill (attempt ${attempt}): ${what}`);
    t.log(`attempt ${attempt}: SIGKILL without an OOM kill counted; ${what}`);
  }
}

// Without a memory+swap limit the hog would be swapped out instead of killed.
unless(it, swapWithoutAccounting(memoryMount))('a memory hog over the limit is OOM-killed by the kernel and events reports an oom event', async (t) => {
  const root = privateRoot(t);
  const { id, pid } = await startContainer(t, root, (s) => {
    s.process.args = ['sleep', '1000'];
    s.linux.resources.memory = { limit: 32 * MiB, ...(swapAccounted ? { swap: 32 * MiB } : {}) };
  });
  t.is(cgRead(pid, 'memory', memoryLimitFile), String(32 * MiB));
  const ev = eventsStream(t, root, ['--interval', '300ms', id]);
  await waitFor(() => ev.events.some((e) => e.type === 'stats'), 10_000, 'a first stats event');
  t.deepEqual(ev.events.filter((e) => e.type === 'oom'), []);
  await runHogUntilOomKill(t, root, id, pid);
  await waitFor(() => ev.events.some((e) => e.type === 'oom'), 5000, 'an oom event');
  t.deepEqual(ev.events.find((e) => e.type === 'oom'), { type: 'oom', id });
  t.is((await stateOf(root, id)).status, 'running', 'the init (not the hog) survives');
  // The stream ends by itself, with status 0, once the container stops.
  t.is((await tsrun(root, ['kill', id, 'KILL'])).code, 0);
  t.is(await ev.exit, 0, ev.stderr());
});

it('pids.limit stops a fork bomb at the limit', async (t) => {
  const root = privateRoot(t);
  const { id, pid } = await startContainer(t, root, (s) => {
    // Every process forks two more, then blocks reading a fifo: without a limit this grows
    // without bound. (A shell whose fork fails exits, and stays a zombie: still a pid.) The init
    // forks once, before the bomb, and waits: a refused fork must never end the container.
    s.process.args = ['sh', '-c', 'mkfifo /dev/shm/f; bomb() { bomb & bomb & read x <>/dev/shm/f; }; bomb & read x <>/dev/shm/f'];
    s.linux.resources.pids = { limit: 10 };
  });
  t.is(cgRead(pid, 'pids', 'pids.max'), '10');
  // Every process of the container's pid namespace, zombies included.
  const ns = readlinkSync(`/proc/${pid}/ns/pid`);
  const inContainer = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return readlinkSync(`/proc/${d}/ns/pid`) === ns;
    } catch {
      return false;
    }
  }).length;
  await waitFor(() => Number(cgRead(pid, 'pids', 'pids.current')) >= 10, 10_000, '10 processes');
  await sleep(500);
  t.is(cgRead(pid, 'pids', 'pids.current'), '10');
  t.is(inContainer(), 10);
  t.regex(cgRead(pid, 'pids', 'pids.events'), /^max [1-9]\d*$/, 'forks were refused');
  t.is((await stateOf(root, id)).status, 'running');
  const ps = await tsrun(root, ['ps', '--format', 'json', id]);
  t.is(ps.code, 0, ps.stderr);
  const live = JSON.parse(ps.stdout) as number[];
  t.true(live.includes(pid) && live.length <= 10, ps.stdout);
  const stats = JSON.parse((await tsrun(root, ['events', '--stats', id])).stdout);
  t.deepEqual(stats.data.pids, { current: 10, limit: 10 });
  t.is((await tsrun(root, ['delete', '--force', id])).code, 0);
});

/** Starts a container pinned to CPU 0 and checks that it is. */
async function pinnedToCpu0(t: ExecutionContext, root: string): Promise<{ id: string; allowed: () => string | undefined }> {
  const { id, pid } = await startContainer(t, root, (s) => {
    s.process.args = ['sleep', '1000'];
    s.linux.resources.cpu = { cpus: '0' };
  });
  const allowed = () => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  t.is(allowed(), '0');
  t.is(cgRead(pid, 'cpuset', 'cpuset.cpus'), '0');
  return { id, allowed };
}

it('cpuset.cpus pins the container', async (t) => {
  await pinnedToCpu0(t, privateRoot(t));
});

unless(it, cpus().length < 2 ? `needs 2 CPUs (this host has ${cpus().length})` : undefined)('update --cpuset-cpus moves a pinned container', async (t) => {
  const root = privateRoot(t);
  const { id, allowed } = await pinnedToCpu0(t, root);
  const u = await tsrun(root, ['update', '--cpuset-cpus', '1', id]);
  t.is(u.code, 0, u.stderr);
  t.is(allowed(), '1');
});

// cgroup2-limits.test.ts has the v2 io.weight.
unless(it, v2 ? 'reads the v1 blkio hierarchy; this host has only cgroup2' : undefined)('blockIO.weight is applied where the host has a weight file, else refused naming the field, leaving nothing behind', async (t) => {
  const root = privateRoot(t);
  // The parent is made here to ask it which weight file the kernel offers (BFQ's is not on the root).
  const parent = uniqueId('tsrun-weight');
  const blkioParent = join(host!.v1.blkio!.mountPoint, parent);
  mkdirSync(blkioParent);
  t.teardown(async () => void (await removeCgroupTree(`/${parent}`)));
  // blkio.weight with CFQ, blkio.bfq.weight with BFQ; neither with other I/O schedulers (none, mq-deadline).
  const weightFile = firstExisting(blkioParent, ['blkio.weight', 'blkio.bfq.weight']);
  t.log(weightFile ? `applied through ${weightFile}` : 'no weight file on this host: refused');
  const id = uniqueId('weight');
  const patch = (s: any) => {
    s.process.args = ['sleep', '1000'];
    s.linux.cgroupsPath = `/${parent}/${id}`;
    s.linux.resources.blockIO = { weight: 300 };
  };
  if (weightFile) {
    const { pid } = await startContainer(t, root, patch);
    t.is(cgRead(pid, 'blkio', weightFile), '300');
    t.is((await tsrun(root, ['delete', '--force', id])).code, 0);
    return;
  }
  const r = await tsrun(root, ['run', '-d', '-b', makeBundle(t, patch), id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(r.code, 1);
  t.regex(r.stderr, /^[^\n]*linux\.resources\.blockIO\.weight: cannot apply: \S+\/blkio\.weight does not exist\n$/);
  t.deepEqual(containerDirs(root), [], 'no state dir');
  // The container's level nowhere, nor the parent level tsrun made in the other hierarchies.
  const made = cgroupBases().flatMap((b) => [join(b, parent, id), ...(b === host!.v1.blkio!.mountPoint ? [] : [join(b, parent)])]);
  t.deepEqual(made.filter((d) => existsSync(d)), [], 'no cgroup dir');
});

const withFuse = unless(it, existsSync('/dev/fuse') ? undefined : 'needs /dev/fuse on the host (c 10:229)');

withFuse('a device the cgroup does not allow cannot be opened; an allowed one can', async (t) => {
  const root = privateRoot(t);
  // The host's /dev/fuse (c 10:229, no capability needed to open it) bind-mounted in: no default
  // rule allows it (only mknod of any char device), so the device cgroup refuses the open.
  const fuse = { destination: '/dev/fuse', type: 'bind', source: '/dev/fuse', options: ['bind'] };
  const denied = makeBundle(t, (s) => {
    s.process.args = ['sh', '-c', 'echo x > /dev/null && echo null-ok; cat /dev/fuse; echo cat=$?'];
    s.mounts.push(fuse);
  });
  const r = await tsrun(root, ['run', '-b', denied, uniqueId('dev')]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /null-ok/);
  t.regex(r.stdout, /cat=1/);
  t.regex(r.stderr, /cat: can't open '\/dev\/fuse': Operation not permitted/);
  const allowed = makeBundle(t, (s) => {
    s.process.args = ['sh', '-c', 'exec 3<>/dev/fuse && echo fuse-opened'];
    s.mounts.push(fuse);
    s.linux.resources.devices.push({ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
  });
  const a = await tsrun(root, ['run', '-b', allowed, uniqueId('dev')]);
  t.is(a.code, 0, a.stderr);
  t.regex(a.stdout, /fuse-opened/);
});

// runc 1.1.5 (checked on this host) does not allow linux.devices nodes in the device cgroup: a
// node needs a matching linux.resources.devices rule (docker and containerd add one). tsrun
// allows every linux.devices node rwm (containerDeviceRules' deviceNodes, passed by
// lifecycle/cgroup.ts createCgroup): this documents the difference until it is settled.
withFuse('a linux.devices node without an allow rule cannot be opened (runc\'s behaviour)', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sh', '-c', 'ls /dev/fuse && cat /dev/fuse; echo cat=$?'];
    s.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }];
  });
  const r = await tsrun(root, ['run', '-b', bundle, uniqueId('dev')]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /cat=1/);
  t.regex(r.stderr, /cat: can't open '\/dev\/fuse': Operation not permitted/);
});

it('update --memory changes the live limit and the stored config; bad values change nothing', async (t) => {
  const root = privateRoot(t);
  const { id, pid } = await startContainer(t, root, (s) => {
    s.process.args = ['sleep', '1000'];
    s.linux.resources.memory = { limit: 32 * MiB };
  });
  const limit = () => cgRead(pid, 'memory', memoryLimitFile);
  t.is(limit(), String(32 * MiB));
  const u = await tsrun(root, ['update', '--memory', '64m', id]);
  t.is(u.code, 0, u.stderr);
  t.is(u.stdout, '');
  t.is(limit(), String(64 * MiB));
  // go-runc's form: the LinuxResources JSON on stdin.
  const s = await tsrun(root, ['update', '--resources', '-', id], { input: JSON.stringify({ memory: { limit: 48 * MiB }, pids: { limit: 50 } }) });
  t.is(s.code, 0, s.stderr);
  t.is(limit(), String(48 * MiB));
  t.is(cgRead(pid, 'pids', 'pids.max'), '50');
  const stored = JSON.parse(readFileSync(`${root}/${id}/state.json`, 'utf8')).config.linux.resources;
  t.is(stored.memory.limit, 48 * MiB);
  t.is(stored.pids.limit, 50);
  t.true(Array.isArray(stored.devices), 'the rest of the stored resources is kept');
  const bad = await tsrun(root, ['update', '--memory', '64x', id]);
  t.is(bad.code, 1);
  t.is(bad.stderr.trim(), "invalid value for --memory: invalid suffix: 'x'");
  const badJson = await tsrun(root, ['update', '-r', '-', id], { input: '{"memory":{"limit":"lots"}}' });
  t.is(badJson.code, 1);
  t.is(badJson.stderr.trim(), 'resources (stdin): memory.limit: must be an integer, got a string ("lots")');
  const rdt = await tsrun(root, ['update', '--l3-cache-schema', 'L3:0=ff', id]);
  t.is(rdt.code, 1);
  t.regex(rdt.stderr, /l3 cache schema is not enabled/);
  t.is(limit(), String(48 * MiB), 'a refused update changes nothing');
  t.is((await tsrun(root, ['kill', id, 'KILL'])).code, 0);
  await waitFor(async () => (await stateOf(root, id)).status === 'stopped', 10_000, 'stopped');
  const stopped = await tsrun(root, ['update', '--memory', '64m', id]);
  t.is(stopped.code, 1);
  t.regex(stopped.stderr, /container not running/);
});

it('pause freezes the processes and resume thaws them', async (t) => {
  const root = privateRoot(t);
  const { id, pid } = await startContainer(t, root, (s) => {
    s.process.args = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /dev/shm/count; sleep 0.02; done'];
  });
  const count = () => {
    try {
      return Number(readFileSync(`/proc/${pid}/root/dev/shm/count`, 'utf8'));
    } catch {
      return 0; // between the truncation and the write
    }
  };
  await waitFor(() => count() > 3, 10_000, 'the counter to move');
  const p = await tsrun(root, ['pause', id]);
  t.is(p.code, 0, p.stderr);
  t.is((await stateOf(root, id)).status, 'paused');
  t.is(cgRead(pid, 'freezer', v1v2('freezer.state', 'cgroup.freeze')), v1v2('FROZEN', '1'));
  const frozenAt = count();
  await sleep(500);
  t.is(count(), frozenAt, 'the counter stands still while paused');
  const again = await tsrun(root, ['pause', id]);
  t.is(again.code, 1);
  t.regex(again.stderr, /container not running/);
  const r = await tsrun(root, ['resume', id]);
  t.is(r.code, 0, r.stderr);
  t.is((await stateOf(root, id)).status, 'running');
  await waitFor(() => count() > frozenAt + 3, 5000, 'the counter to move again');
  const notPaused = await tsrun(root, ['resume', id]);
  t.is(notPaused.code, 1);
  t.is(notPaused.stderr.trim(), 'container not paused');
  t.is((await tsrun(root, ['kill', id, 'KILL'])).code, 0);
  await waitFor(async () => (await stateOf(root, id)).status === 'stopped', 10_000, 'stopped');
  const stopped = await tsrun(root, ['pause', id]);
  t.is(stopped.code, 1);
  t.is(stopped.stderr.trim(), 'container not running');
});

it('ps --format json lists every process of the container; the table keeps ps\'s lines', async (t) => {
  const root = privateRoot(t);
  const { id, pid } = await startContainer(t, root, (s) => {
    s.process.args = ['sh', '-c', 'sleep 1001 & sleep 1002 & sleep 1003 & wait'];
  });
  const procs = () => cgRead(pid, 'pids', 'cgroup.procs').split('\n').map(Number).sort((a, b) => a - b);
  await waitFor(() => procs().length === 4, 10_000, '4 processes');
  const r = await tsrun(root, ['ps', '--format', 'json', id]);
  t.is(r.code, 0, r.stderr);
  const pids = JSON.parse(r.stdout) as number[];
  t.deepEqual([...pids].sort((a, b) => a - b), procs());
  t.true(pids.includes(pid));
  // Every process of the container is the init or its child, and nothing else is listed.
  const hostChildren = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
    try {
      return Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
  t.deepEqual([...pids].sort((a, b) => a - b), [pid, ...hostChildren].sort((a, b) => a - b));
  const eq = await tsrun(root, ['ps', '--format=json', id]);
  t.is(eq.stdout, r.stdout);

  const table = await tsrun(root, ['ps', id]);
  t.is(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  t.regex(lines[0]!, /^UID\s+PID\s+PPID/);
  t.is(lines.length, 5);
  for (const s of ['sleep 1001', 'sleep 1002', 'sleep 1003']) t.true(lines.some((l) => l.endsWith(s)), s);
  const custom = await tsrun(root, ['ps', id, '-o', 'pid,args']);
  t.is(custom.code, 0, custom.stderr);
  t.deepEqual(custom.stdout.trimEnd().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).sort((a, b) => a - b), procs());
  const noPid = await tsrun(root, ['ps', id, '-o', 'comm']);
  t.is(noPid.code, 1);
  t.regex(noPid.stderr, /couldn't find PID field in ps output/);
  const badFormat = await tsrun(root, ['ps', '--format', 'xml', id]);
  t.is(badFormat.code, 1);
  t.regex(badFormat.stderr, /invalid format option/);
});

it('events --stats reports memory, cpu and pids', async (t) => {
  const root = privateRoot(t);
  const { id } = await startContainer(t, root, (s) => {
    // Some CPU time first, then three processes.
    s.process.args = ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000 & sleep 1000 & wait'];
    s.linux.resources.memory = { limit: 64 * MiB };
    s.linux.resources.pids = { limit: 100 };
  });
  let ev: any;
  await waitFor(async () => {
    const r = await tsrun(root, ['events', '--stats', id]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.split('\n').length, 2, 'one line');
    ev = JSON.parse(r.stdout);
    return ev.data.pids.current === 3;
  }, 10_000, '3 processes');
  t.is(ev.type, 'stats');
  t.is(ev.id, id);
  t.deepEqual(ev.data.pids, { current: 3, limit: 100 });
  t.true(ev.data.cpu.usage.total > 0, 'cpu usage');
  // cgroup v2 has no per-CPU usage (runc reports none either).
  if (!v2) t.true(ev.data.cpu.usage.percpu.length >= 1);
  t.true(ev.data.memory.usage.usage > 0, 'memory usage');
  t.is(ev.data.memory.usage.limit, 64 * MiB);
  t.true(typeof ev.data.memory.raw[v1v2('total_rss', 'anon')] === 'number');
});

it('events streams stats every interval, and exits 0 on SIGTERM or when the container stops', async (t) => {
  const root = privateRoot(t);
  const { id } = await startContainer(t, root, (s) => (s.process.args = ['sleep', '1000']));
  const first = eventsStream(t, root, ['--interval=200ms', id]);
  await waitFor(() => first.events.length >= 3, 10_000, '3 stats events');
  t.true(first.events.every((e) => e.type === 'stats' && e.id === id && typeof e.data.cpu === 'object'));
  first.child.kill('SIGTERM');
  t.is(await first.exit, 0, first.stderr());
  const second = eventsStream(t, root, ['--interval', '1s', id]);
  // Its first event says it watches the container (a fixed pause is too short under emulation).
  await waitFor(() => second.events.length >= 1, 30_000, 'a first stats event');
  t.is((await tsrun(root, ['kill', id, 'KILL'])).code, 0);
  t.is(await second.exit, 0, second.stderr());
  const after = await tsrun(root, ['events', '--stats', id]);
  t.is(after.code, 1);
  t.regex(after.stderr, /is not running/);
  const bad = await tsrun(root, ['events', '--interval', '0s', id]);
  t.is(bad.code, 1);
});

it('kill --all and delete --force work on a paused container', async (t) => {
  const root = privateRoot(t);
  const patch = (s: any) => (s.process.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
  const a = await startContainer(t, root, patch);
  const b = await startContainer(t, root, patch);
  for (const { id } of [a, b]) {
    t.is((await tsrun(root, ['pause', id])).code, 0);
    t.is((await stateOf(root, id)).status, 'paused');
  }
  // A non-fatal signal leaves the container paused (it is delivered on resume).
  t.is((await tsrun(root, ['kill', '--all', a.id, 'USR1'])).code, 0);
  t.is((await stateOf(root, a.id)).status, 'paused');
  const k = await tsrun(root, ['kill', '--all', a.id, '9']);
  t.is(k.code, 0, k.stderr);
  await waitFor(async () => (await stateOf(root, a.id)).status === 'stopped', 5000, 'killed while paused');
  t.is((await tsrun(root, ['delete', a.id])).code, 0);

  const refused = await tsrun(root, ['delete', b.id]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /not stopped: paused/);
  const procsFile = `${cgroupDir(b.pid, 'pids')}/cgroup.procs`;
  const d = await tsrun(root, ['delete', '--force', b.id]);
  t.is(d.code, 0, d.stderr);
  t.false(existsSync(procsFile), 'the cgroup is gone');
  t.deepEqual(readdirSync(root).filter((n) => !n.startsWith('.')), []);
});
