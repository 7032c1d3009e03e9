import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId, waitFor, REPO, containerDirs } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

it('run of bundles/hello prints its hostname and pid 1', async (t) => {
  const root = privateRoot(t);
  const r = await tsrun(root, ['run', '--bundle', join(REPO, 'bundles', 'hello'), uniqueId('hello')]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /hello/);
  t.regex(r.stdout, /pid 1\b/);
  t.deepEqual(containerDirs(root), []);
});

it('a manager\'s sequence: create, state, start, output, stopped, delete', async (t) => {
  const root = privateRoot(t);
  const dir = makeDir(t, 'tsrun-io-');
  const bundle = makeBundle(t, (s) => (s.process.args = ['sh', '-c', 'echo out-$$; echo err >&2']));
  const id = uniqueId('seq');
  const out = openSync(join(dir, 'stdout'), 'w');
  const err = openSync(join(dir, 'stderr'), 'w');
  const pidFile = join(dir, 'init.pid');
  const c = await tsrun(root, ['create', '--bundle', bundle, '--pid-file', pidFile, id], { stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  t.is(c.code, 0, readFileSync(join(dir, 'stderr'), 'utf8'));
  const pid = Number(readFileSync(pidFile, 'utf8'));
  t.regex(readFileSync(pidFile, 'utf8'), /^\d+$/);
  const st = await stateOf(root, id);
  t.is(st.status, 'created');
  t.is(st.pid, pid);
  t.is(st.id, id);
  t.is(st.bundle, bundle);
  t.false(Number.isNaN(Date.parse(st.created)));
  t.is(readFileSync(join(dir, 'stdout'), 'utf8'), '', 'nothing runs before start');
  const s = await tsrun(root, ['start', id]);
  t.is(s.code, 0, s.stderr);
  await waitFor(async () => (await stateOf(root, id)).status === 'stopped', 10_000, 'stopped');
  t.is(readFileSync(join(dir, 'stdout'), 'utf8'), 'out-1\n');
  t.is(readFileSync(join(dir, 'stderr'), 'utf8'), 'err\n');
  t.is((await stateOf(root, id)).pid, 0);
  const again = await tsrun(root, ['start', id]);
  t.is(again.code, 1);
  t.regex(again.stderr, /cannot start a container that has stopped/);
  const k = await tsrun(root, ['kill', id, 'KILL']);
  t.is(k.code, 1);
  t.regex(k.stderr, /container not running/);
  const d = await tsrun(root, ['delete', id]);
  t.is(d.code, 0, d.stderr);
  const gone = await tsrun(root, ['state', id]);
  t.is(gone.code, 1);
  t.regex(gone.stderr, /container does not exist/);
  t.deepEqual(containerDirs(root), []);
});

it('kill of a sleeping container and delete --force of a running one', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['sleep', '1000']));
  const a = uniqueId('kill');
  const b = uniqueId('force');
  for (const id of [a, b]) t.is((await tsrun(root, ['run', '-d', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] })).code, 0);
  t.is((await stateOf(root, a)).status, 'running');
  const k = await tsrun(root, ['kill', a, 'SIGKILL']);
  t.is(k.code, 0, k.stderr);
  await waitFor(async () => (await stateOf(root, a)).status === 'stopped', 10_000, 'killed');
  t.is((await tsrun(root, ['delete', a])).code, 0);
  const pid = (await stateOf(root, b)).pid;
  const refused = await tsrun(root, ['delete', b]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /not stopped: running/);
  const f = await tsrun(root, ['delete', '--force', b]);
  t.is(f.code, 0, f.stderr);
  t.false(existsSync(`/proc/${pid}/stat`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'));
  t.deepEqual(containerDirs(root), []);
});

it('kill of a created container, and delete of a created one kills it', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['sleep', '1000']));
  const id = uniqueId('created');
  t.is((await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] })).code, 0);
  const pid = (await stateOf(root, id)).pid;
  t.is((await tsrun(root, ['kill', id, '0'])).code, 0, 'signal 0 probes');
  t.is((await tsrun(root, ['delete', id])).code, 0);
  await waitFor(() => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), 5000, 'init gone');
  t.deepEqual(containerDirs(root), []);
});

it('run in the foreground returns the container\'s exit status', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['sh', '-c', 'exit 7']));
  t.is((await tsrun(root, ['run', '-b', bundle, uniqueId('exit')])).code, 7);
  // pid 1 cannot be killed from inside its namespace: kill it from outside while run waits.
  const sleeper = makeBundle(t, (s) => (s.process.args = ['sleep', '1000']));
  const id = uniqueId('sig');
  const running = tsrun(root, ['run', '-b', sleeper, id]);
  await waitFor(async () => (await tsrun(root, ['state', id])).stdout.includes('"running"'), 10_000, 'running');
  t.is((await tsrun(root, ['kill', id, 'KILL'])).code, 0);
  t.is((await running).code, 137);
  t.deepEqual(containerDirs(root), [], 'run deletes the container after it exits');
});

it('a second create with the same id fails and leaves the first intact', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['sleep', '1000']));
  const id = uniqueId('dup');
  t.is((await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] })).code, 0);
  const before = await stateOf(root, id);
  const dup = await tsrun(root, ['create', '-b', bundle, id]);
  t.is(dup.code, 1);
  t.is(dup.stderr.trim(), `tsrun: create ${id}: container with given ID already exists`);
  t.deepEqual(await stateOf(root, id), before);
});

it('while created, the init holds at most 2 MiB and one thread', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['true']));
  const id = uniqueId('rss');
  t.is((await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] })).code, 0);
  const { pid } = await stateOf(root, id);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]);
  const threads = Number(/Threads:\s+(\d+)/.exec(status)![1]);
  t.log(`init RSS ${rss} kB, ${threads} thread(s)`);
  t.true(rss <= 2048, `RSS ${rss} kB`);
  t.is(threads, 1);
});

it('errors are one line in json in --log with --log-format json', async (t) => {
  const root = privateRoot(t);
  const dir = makeDir(t, 'tsrun-log-');
  const log = join(dir, 'log.json');
  writeFileSync(log, '');
  const r = await tsrun(root, ['--log', log, '--log-format', 'json', 'start', 'nope']);
  t.is(r.code, 1);
  t.is(r.stderr.trim().split('\n').length, 1);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const last = JSON.parse(lines.at(-1)!);
  t.is(last.level, 'error');
  t.regex(last.msg, /container does not exist/);
  t.false(Number.isNaN(Date.parse(last.time)));
});

it('an unwritable stderr (read-only /dev/null, as containerd\'s shim gives a pod sandbox) still leaves the error in --log', async (t) => {
  const root = privateRoot(t);
  const dir = makeDir(t, 'tsrun-log-');
  const log = join(dir, 'log.json');
  const devNull = openSync('/dev/null', 'r');
  try {
    const r = await tsrun(root, ['--log', log, '--log-format', 'json', 'start', 'nope'], { stdio: ['ignore', devNull, devNull] });
    t.is(r.code, 1);
  } finally {
    closeSync(devNull);
  }
  const last = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!);
  t.is(last.level, 'error');
  t.regex(last.msg, /container does not exist/);
});

it('--preserve-fds passes fd 3 and nothing else leaks', async (t) => {
  const root = privateRoot(t);
  const dir = makeDir(t, 'tsrun-fds-');
  const extra = openSync(join(dir, 'fd3'), 'w');
  const leak = openSync(join(dir, 'leak'), 'w'); // fd 4 in tsrun: must not reach the container
  const bundle = makeBundle(t, (s) => (s.process.args = ['sh', '-c', 'echo via-fd3 >&3; ls /proc/self/fd']));
  const r = await tsrun(root, ['run', '--preserve-fds', '1', '-b', bundle, uniqueId('fds')], { stdio: ['ignore', 'pipe', 'pipe', extra, leak] });
  closeSync(extra);
  closeSync(leak);
  t.is(r.code, 0, r.stderr);
  t.is(readFileSync(join(dir, 'fd3'), 'utf8'), 'via-fd3\n');
  // ls itself holds one more fd for the directory it reads.
  const fds = r.stdout.trim().split(/\s+/).map(Number).sort((a, b) => a - b);
  t.deepEqual(fds.slice(0, 4), [0, 1, 2, 3]);
  t.true(fds.length <= 5, `fds: ${fds}`);
});

it('kill goes through a pidfd checked against the start time: a recycled pid is never signalled', async (t) => {
  const { spawn, spawnSync } = await import('node:child_process');
  const { readProcStat } = await import('../../src/sys/proc.js');
  const exe = join(REPO, 'build', 'tsrun-executor');
  const victim = spawn('sleep', ['100'], { stdio: 'ignore' });
  t.teardown(() => victim.kill('SIGKILL'));
  await waitFor(() => readProcStat(victim.pid!) !== undefined, 2000, 'sleep');
  const start = readProcStat(victim.pid!)!.starttime;
  // Another process's start time under this pid: as if the pid had been recycled.
  t.is(spawnSync(exe, ['signal', String(victim.pid), String(start + 1), '9']).status, 3);
  t.is(victim.exitCode, null);
  t.is(victim.signalCode, null);
  t.is(spawnSync(exe, ['signal', String(victim.pid), String(start), '15']).status, 0);
  await waitFor(() => victim.signalCode === 'SIGTERM', 2000, 'SIGTERM');
});

it('the caller\'s directory does not configure tsrun: a .env there is not loaded (compiled Bun loads one by default)', async (t) => {
  const root = privateRoot(t);
  const cwd = makeDir(t, 'tsrun-dotenv-');
  // Were this loaded, the executor would not be found and the run would fail.
  writeFileSync(join(cwd, '.env'), 'TSRUN_EXECUTOR=/nonexistent/tsrun-executor\n');
  writeFileSync(join(cwd, 'bunfig.toml'), 'this is = not [valid toml\n');
  const r = await tsrun(root, ['run', '--bundle', join(REPO, 'bundles', 'hello'), uniqueId('dotenv')], { cwd });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /hello/);
});

it('TSRUN_TRACE=1 prints where the time went, one line on stderr, output unchanged', async (t) => {
  const root = privateRoot(t);
  const id = uniqueId('trace');
  const r = await tsrun(root, ['run', '--bundle', join(REPO, 'bundles', 'hello'), id], { env: { ...process.env, TSRUN_TRACE: '1' } });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /hello/);
  t.regex(r.stderr, /^trace: cli [\d.]+ loaded [\d.]+/m);
  t.regex(r.stderr, /spawned [\d.]+ cgroup [\d.]+ plan [\d.]+ applied [\d.]+ ready [\d.]+/);
});

it('--help lists the commands, and a command\'s --help its flags (yargs loads only here, on every engine)', async (t) => {
  const root = privateRoot(t);
  const all = await tsrun(root, ['--help']);
  t.is(all.code, 0, all.stderr);
  for (const name of ['create', 'start', 'state', 'kill', 'delete', 'exec']) t.regex(all.stdout + all.stderr, new RegExp(`tsrun ${name}\\b`));
  const kill = await tsrun(root, ['kill', '--help']);
  t.is(kill.code, 0, kill.stderr);
  t.regex(kill.stdout + kill.stderr, /--all/);
});

it('create: the init alone is in the container cgroup of every hierarchy (the executor joins by itself), cgroup2 too', async (t) => {
  const root = privateRoot(t);
  const id = uniqueId('join');
  const cgPath = `/tsrun-test-${id}`;
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sleep', '30'];
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'cgroup');
    s.linux.cgroupsPath = cgPath;
  });
  const c = await tsrun(root, ['create', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => tsrun(root, ['delete', '--force', id]).then(() => undefined));
  t.is(c.code, 0, c.stderr);
  const pid = (await stateOf(root, id)).pid as number;
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  t.true(lines.length > 0);
  for (const line of lines) t.true(line.endsWith(`:${cgPath}`), line);
  // Only the init: the executor that forked it left no trace in the cgroup.
  const procs = (dir: string) => readFileSync(`${dir}/cgroup.procs`, 'utf8').trim();
  if (existsSync(`/sys/fs/cgroup/memory${cgPath}`)) t.is(procs(`/sys/fs/cgroup/memory${cgPath}`), String(pid));
  if (existsSync(`/sys/fs/cgroup/unified${cgPath}`)) t.is(procs(`/sys/fs/cgroup/unified${cgPath}`), String(pid));
  if (existsSync(`/sys/fs/cgroup/cgroup.controllers`)) t.is(procs(`/sys/fs/cgroup${cgPath}`), String(pid));
  const d = await tsrun(root, ['delete', '--force', id]);
  t.is(d.code, 0, d.stderr);
  for (const line of lines) {
    const [, ctrl] = line.split(':');
    const mount = ctrl === '' ? (existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup') : `/sys/fs/cgroup/${ctrl!.replace('name=', '')}`;
    t.false(existsSync(`${mount}${cgPath}`), `${mount}${cgPath} removed`);
  }
});
