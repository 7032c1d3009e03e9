/**
 * containerd 1.6 (Debian) driving the runtime through containerd-shim-runc-v2, with `ctr`:
 * run (stdio, exit code, tty, a failing command), task exec (with and without a tty), ps,
 * metrics, pause/resume, kill, kill --all, delete --force; and nothing left behind.
 * Every case runs for runtime ∈ {tsrun, runc}: the runc runs show the tests test the runtime.
 * The daemon is private (managers/containerd.ts); each runtime has its own namespace, so its
 * cgroups are /<ns>/<id>, and its own --runc-root.
 */
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RUNTIMES, ROOTFS, type Runtime, basicPrerequisites, cgroupDirs, describe, ensureCommands, eventually, leftoversAfter,
  pidsInCgroup, which,
} from './managers/common.js';
import { freezerState, hasFreezer, swapWithoutAccounting } from '../support/host.js';
import { detectHost } from '../../src/cgroups/index.js';
import { serialUnless, unless } from './helpers.js';
import { Containerd } from './managers/containerd.js';
import { IMAGE_REF, buildImageArchive } from './managers/image.js';

function whyNot(): string | undefined {
  return basicPrerequisites() ?? ensureCommands({ containerd: 'containerd', ctr: 'containerd', 'containerd-shim-runc-v2': 'containerd' });
}
const it = serialUnless(whyNot());

let ctd: Containerd | undefined;
let archive = '';
let workDir = '';

it.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'tsrun-ctd-image-'));
  archive = buildImageArchive(ROOTFS, workDir);
  ctd = await Containerd.start();
});

it.after.always(async () => {
  if (ctd) {
    const notes = await ctd.stop();
    for (const n of notes) console.warn(`containerd suite clean-up: ${n}`);
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const nsOf = (rt: Runtime) => `tsrun-itest-${process.pid}-${rt.name}`;
let counter = 0;

interface Ctx { c: Containerd; ns: string; id: string; rt: Runtime }

/** A fresh container id for this test, removed (with its task) at teardown whatever happened. */
async function setup(t: ExecutionContext, rt: Runtime, prefix: string): Promise<Ctx> {
  const c = ctd!;
  const ns = nsOf(rt);
  await c.importImage(ns, archive);
  const id = `${prefix}-${counter++}`;
  t.teardown(async () => {
    if (!t.passed) t.log(`runtime log.json of ${id}:\n${c.runtimeLog(ns, id)}`);
    if ((await c.containerIds(ns)).includes(id)) {
      await c.remove(ns, id);
      if ((await c.containerIds(ns)).includes(id)) console.warn(`teardown of ${t.title}: container ${ns}/${id} could not be removed`);
    }
  });
  return { c, ns, id, rt };
}

/** Asserts that the container left nothing: no runtime state dir, no cgroup, no process. */
async function assertNothingLeft(t: ExecutionContext, x: Ctx): Promise<void> {
  t.deepEqual(await leftoversAfter(x.c.stateDir(x.rt, x.ns, x.id), `/${x.ns}/${x.id}`), [], 'nothing left behind');
  t.false((await x.c.containerIds(x.ns)).includes(x.id), 'the container is gone from containerd');
}

/** `ctr run -d` of a long-running shell that exits 7 on SIGTERM; waits until it is RUNNING. */
async function runDetached(t: ExecutionContext, x: Ctx, script = 'trap "exit 7" TERM; sleep 1000 & wait; exit 9'): Promise<number> {
  const r = await x.c.ctr(x.ns, ['run', '-d', ...x.c.runFlags(x.rt), IMAGE_REF, x.id, 'sh', '-c', script]);
  t.is(r.code, 0, describe(r));
  t.true(await eventually(async () => (await x.c.taskStatus(x.ns, x.id)) === 'RUNNING', 10_000), 'task RUNNING');
  const pid = await x.c.taskPid(x.ns, x.id);
  t.truthy(pid && existsSync(`/proc/${pid}`), `task pid ${pid} exists`);
  // The runtime under test holds this container: its state dir is in the runtime's --root.
  t.true(existsSync(x.c.stateDir(x.rt, x.ns, x.id)), `${x.rt.name} keeps the container in ${x.c.stateDir(x.rt, x.ns, x.id)}`);
  return pid!;
}

/** Kills every process of a running task, deletes it and its container, checks the leftovers. */
async function removeAndCheck(t: ExecutionContext, x: Ctx): Promise<void> {
  const k = await x.c.ctr(x.ns, ['task', 'kill', '-a', '-s', 'SIGKILL', x.id]);
  t.is(k.code, 0, describe(k));
  await deleteStopped(t, x);
  await assertNothingLeft(t, x);
}

/** Deletes a stopped task and its container; returns ctr's stderr (it names a non-zero exit code). */
async function deleteStopped(t: ExecutionContext, x: Ctx): Promise<string> {
  t.true(await eventually(async () => (await x.c.taskStatus(x.ns, x.id)) === 'STOPPED', 15_000), 'task STOPPED');
  const d = await x.c.ctr(x.ns, ['task', 'delete', x.id]);
  t.is(d.code, 0, describe(d));
  const rm = await x.c.ctr(x.ns, ['containers', 'rm', x.id]);
  t.is(rm.code, 0, describe(rm));
  return d.stderr;
}

for (const rt of RUNTIMES) {
  const rtTest = unless(it, which(rt.bin) ? undefined : `${rt.bin} is not installed`);
  const title = (s: string) => `${rt.name}: ${s}`;

  rtTest(title('ctr run --rm: stdout, stderr, stdin and exit code'), async (t) => {
    const x = await setup(t, rt, 'run');
    const pidFile = join(workDir, `${x.id}.pid`);
    const r = await x.c.ctr(x.ns, ['run', '--rm', '--pid-file', pidFile, ...x.c.runFlags(rt), IMAGE_REF, x.id,
      'sh', '-c', 'echo to-stdout; echo to-stderr >&2; head -n1; echo "fds: $(ls /proc/self/fd | tr "\\n" " ")"; exit 3'],
    { input: 'from-stdin\n' });
    t.is(r.code, 3, describe(r));
    // ls has 0-2 and its directory fd 3: no fd of the shim or the runtime reached the container.
    t.is(r.stdout, 'to-stdout\nfrom-stdin\nfds: 0 1 2 3 \n', describe(r));
    t.regex(r.stderr, /to-stderr/, describe(r));
    t.log(`ctr run took ${r.ms} ms`);
    await assertNothingLeft(t, x);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    t.true(pid > 0, 'ctr wrote the task pid');
    let cgroup = '';
    try { cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8'); } catch { /* gone */ }
    t.false(cgroup.includes(`/${x.ns}/${x.id}`), 'the task process is gone');
  });

  rtTest(title('ctr run --rm -t: the process has a terminal, input and exit code pass'), async (t) => {
    const x = await setup(t, rt, 'tty');
    const r = await x.c.ctrPty(x.ns, ['run', '--rm', '-t', ...x.c.runFlags(rt), IMAGE_REF, x.id,
      'sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-a-tty; read line; echo "got-$line"; exit 4'],
    { marker: 'stdio-is-a-tty', type: 'hello\\r', timeoutMs: 30_000 });
    t.is(r.code, 4, describe(r));
    t.regex(r.stdout, /\/dev\/pts\/\d+|\/dev\/console/, describe(r));
    t.regex(r.stdout, /stdio-is-a-tty/, describe(r));
    t.regex(r.stdout, /got-hello/, describe(r));
    await assertNothingLeft(t, x);
  });

  rtTest(title('ctr run of a missing binary fails with "executable file not found"'), async (t) => {
    const x = await setup(t, rt, 'missing');
    const r = await x.c.ctr(x.ns, ['run', '--rm', ...x.c.runFlags(rt), IMAGE_REF, x.id, 'no-such-binary']);
    t.not(r.code, 0, describe(r));
    t.regex(r.stderr, /executable file not found/, describe(r));
    t.regex(r.stderr, /no-such-binary/, describe(r));
    await assertNothingLeft(t, x);
  });

  rtTest(title('ctr task exec: output, stdin and exit code'), async (t) => {
    const x = await setup(t, rt, 'exec');
    await runDetached(t, x);
    const e = await x.c.ctr(x.ns, ['task', 'exec', '--fifo-dir', x.c.fifoDir, '--exec-id', 'e1', x.id,
      'sh', '-c', 'echo exec-out; echo exec-err >&2; head -n1; echo "fds: $(ls /proc/self/fd | tr "\\n" " ")"; exit 5'],
    { input: 'exec-in\n' });
    t.is(e.code, 5, describe(e));
    t.is(e.stdout, 'exec-out\nexec-in\nfds: 0 1 2 3 \n', describe(e));
    t.regex(e.stderr, /exec-err/, describe(e));
    // The exec'd process is in the container: same pid namespace (sees pid 1's sleep).
    const ps = await x.c.ctr(x.ns, ['task', 'exec', '--fifo-dir', x.c.fifoDir, '--exec-id', 'e2', x.id, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
    t.is(ps.code, 0, describe(ps));
    t.regex(ps.stdout, /^sh -c trap/, describe(ps));
    await x.c.ctr(x.ns, ['task', 'kill', x.id]);
    t.regex(await deleteStopped(t, x), /exit code 7/);
    await assertNothingLeft(t, x);
  });

  rtTest(title('ctr task exec -t: a terminal, input and exit code'), async (t) => {
    const x = await setup(t, rt, 'exectty');
    await runDetached(t, x);
    const e = await x.c.ctrPty(x.ns, ['task', 'exec', '-t', '--fifo-dir', x.c.fifoDir, '--exec-id', 'et', x.id,
      'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-a-tty; read line; echo "got-$line"; exit 6'],
    { marker: 'stdin-is-a-tty', type: 'typed\\r', timeoutMs: 30_000 });
    t.is(e.code, 6, describe(e));
    t.regex(e.stdout, /\/dev\/pts\/\d+/, describe(e));
    t.regex(e.stdout, /got-typed/, describe(e));
    t.is(await x.c.taskStatus(x.ns, x.id), 'RUNNING', 'the task survives the exec');
    await removeAndCheck(t, x);
  });

  rtTest(title('ctr task ps lists the container\'s processes'), async (t) => {
    const x = await setup(t, rt, 'ps');
    const pid = await runDetached(t, x);
    const r = await x.c.ctr(x.ns, ['task', 'ps', x.id]);
    t.is(r.code, 0, describe(r));
    const pids = r.stdout.split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((n) => n > 0);
    t.true(pids.includes(pid), `init ${pid} listed: ${describe(r)}`);
    t.true(pids.length >= 2, `init and its sleep listed: ${describe(r)}`);
    await removeAndCheck(t, x);
  });

  rtTest(title('ctr task metrics reads the container\'s cgroup'), async (t) => {
    const x = await setup(t, rt, 'metrics');
    await runDetached(t, x);
    const r = await x.c.ctr(x.ns, ['task', 'metrics', x.id]);
    t.is(r.code, 0, describe(r));
    t.regex(r.stdout, /pids\.current\s+[1-9]/, describe(r));
    t.regex(r.stdout, /memory\.usage(_in_bytes)?\s+[1-9]/, describe(r));
    await removeAndCheck(t, x);
  });

  // Without swap accounting a v1 memory limit would swap the hog out instead of killing it.
  unless(rtTest, swapWithoutAccounting(detectHost().v1.memory?.mountPoint))(title('a memory limit OOM-kills, and containerd publishes /tasks/oom'), async (t) => {
    const x = await setup(t, rt, 'oom');
    const events = spawn('ctr', ['--address', x.c.address, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.teardown(() => void events.kill('SIGKILL'));
    let seen = '';
    events.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    const r = await x.c.ctr(x.ns, ['run', '-d', '--memory-limit', String(32 * 1024 * 1024), ...x.c.runFlags(rt), IMAGE_REF, x.id, 'sleep', '1000']);
    t.is(r.code, 0, describe(r));
    t.true(await eventually(async () => (await x.c.taskStatus(x.ns, x.id)) === 'RUNNING', 10_000), 'task RUNNING');
    const hog = await x.c.ctr(x.ns, ['task', 'exec', '--fifo-dir', x.c.fifoDir, '--exec-id', 'hog', x.id,
      'sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'], { timeoutMs: 120_000 });
    t.notRegex(hog.stdout, /survived/, 'the memory limit holds');
    t.true(await eventually(async () => new RegExp(`/tasks/oom.*${x.id}`).test(seen), 15_000), `an oom event for ${x.id}; events seen:\n${seen}`);
    await removeAndCheck(t, x);
  });

  rtTest(title('ctr task pause / resume'), async (t) => {
    const x = await setup(t, rt, 'pause');
    await runDetached(t, x);
    const p = await x.c.ctr(x.ns, ['task', 'pause', x.id]);
    t.is(p.code, 0, describe(p));
    t.is(await x.c.taskStatus(x.ns, x.id), 'PAUSED');
    const frozen = freezerState(`/${x.ns}/${x.id}`);
    if (frozen !== undefined || hasFreezer()) t.is(frozen, 'FROZEN', 'the container cgroup is frozen (v1 freezer or v2 cgroup.freeze)');
    const r = await x.c.ctr(x.ns, ['task', 'resume', x.id]);
    t.is(r.code, 0, describe(r));
    t.is(await x.c.taskStatus(x.ns, x.id), 'RUNNING');
    const e = await x.c.ctr(x.ns, ['task', 'exec', '--fifo-dir', x.c.fifoDir, '--exec-id', 'after', x.id, 'echo', 'thawed']);
    t.is(e.stdout, 'thawed\n', describe(e));
    await removeAndCheck(t, x);
  });

  rtTest(title('ctr task kill (SIGTERM) stops the task with its exit code'), async (t) => {
    const x = await setup(t, rt, 'kill');
    await runDetached(t, x);
    const k = await x.c.ctr(x.ns, ['task', 'kill', x.id]);
    t.is(k.code, 0, describe(k));
    t.regex(await deleteStopped(t, x), /exit code 7/);
    await assertNothingLeft(t, x);
  });

  rtTest(title('ctr task kill -a -s SIGKILL kills every process'), async (t) => {
    const x = await setup(t, rt, 'killall');
    await runDetached(t, x, 'sleep 1000 & sleep 1001 & sleep 1002 & wait');
    const k = await x.c.ctr(x.ns, ['task', 'kill', '-a', '-s', 'SIGKILL', x.id]);
    t.is(k.code, 0, describe(k));
    t.regex(await deleteStopped(t, x), /exit code 137/);
    await assertNothingLeft(t, x);
  });

  rtTest(title('ctr task delete --force of a running task'), async (t) => {
    const x = await setup(t, rt, 'force');
    await runDetached(t, x, 'sleep 1000');
    const d = await x.c.ctr(x.ns, ['task', 'delete', '--force', x.id], { timeoutMs: 30_000 });
    t.is(d.code, 0, describe(d));
    t.is(await x.c.taskStatus(x.ns, x.id), undefined, 'the task is gone');
    const rm = await x.c.ctr(x.ns, ['containers', 'rm', x.id]);
    t.is(rm.code, 0, describe(rm));
    await assertNothingLeft(t, x);
  });

  rtTest(title('at the end nothing is left in the namespace: state dirs, cgroups, processes'), async (t) => {
    const c = ctd!;
    const ns = nsOf(rt);
    t.deepEqual(await c.containerIds(ns), [], 'no container left in containerd');
    const root = join(c.runcRoot(rt), ns);
    const dirs = existsSync(root) ? readdirSync(root).filter((n) => !n.startsWith('.')) : [];
    t.deepEqual(dirs, [], `no container state left in ${root}`);
    const cgroups = cgroupDirs(`/${ns}`).flatMap((d) => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(d, e.name)));
    t.deepEqual(cgroups, [], 'no container cgroup left under the namespace');
    t.deepEqual(pidsInCgroup(`/${ns}`), [], 'no process left in the namespace\'s cgroups');
  });
}
