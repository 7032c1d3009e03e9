/**
 * Command-line behaviour runc's own integration tests and the managers rely on, on tsrun and runc
 * side by side: help, exec's exit status for the runtime's own failures, --log and --debug,
 * --version's commit, and update --resources field names in any letter case.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { eachRuntime, makeBundle, makeDir, privateRoot, REPO, requireRootAndBuild, runRuntime, serialUnless, tsrun, TSRUN, uniqueId } from './helpers.js';

/** A container running `sleep`, deleted at teardown; its cgroupsPath is /ID (every runtime puts it there). */
async function sleeper(t: ExecutionContext, bin: string, patch: (s: any) => void = () => undefined): Promise<{ root: string; id: string }> {
  const root = privateRoot(t);
  const id = uniqueId('parity');
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sleep', '1000'];
    s.linux.cgroupsPath = `/${id}`;
    patch(s);
  });
  t.teardown(() => runRuntime(bin, root, ['delete', '--force', id]).then(() => undefined));
  const r = await runRuntime(bin, root, ['run', '-d', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(r.code, 0, r.stderr);
  return { root, id };
}

eachRuntime(serialUnless(requireRootAndBuild()), (rt, it) => {
  it(`-h and --help print the usage; help on a command that does not exist fails (${rt.name})`, async (t) => {
    const root = privateRoot(t);
    for (const args of [['-h'], ['--help'], ['exec', '-h'], ['exec', '--help']]) {
      const r = await runRuntime(rt.bin, root, args);
      t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      t.regex(r.stdout, /exec/, `${args.join(' ')} prints the usage`);
    }
    const c = await runRuntime(rt.bin, root, ['checkpoint', '-h']);
    t.regex(c.stdout + c.stderr, /checkpoint/, 'checkpoint -h prints its usage');
    for (const args of [['foo', '-h'], ['foo', '--help'], ['foo']]) t.not((await runRuntime(rt.bin, root, args)).code, 0, args.join(' '));
  });

  it(`exec exits 255 for the runtime's own failures, 1 for usage errors (${rt.name})`, async (t) => {
    const root = privateRoot(t);
    const dir = makeDir(t, 'tsrun-parity-exec-');
    const missing = await runRuntime(rt.bin, root, ['exec', 'no-such-container', 'true']);
    t.is(missing.code, 255, missing.stderr);
    t.regex(missing.stderr, /container does not exist/);
    const badProcess = join(dir, 'process.json');
    writeFileSync(badProcess, '{not json');
    t.is((await runRuntime(rt.bin, root, ['exec', '-p', badProcess, 'no-such-container'])).code, 255);
    t.is((await runRuntime(rt.bin, root, ['exec'])).code, 1, 'no container id: a usage error');
    const c = await sleeper(t, rt.bin);
    const r = await runRuntime(rt.bin, c.root, ['exec', c.id, 'sh', '-c', 'exit 1']);
    t.is(r.code, 1, 'the process exiting 1 is 1');
  });

  it(`--log: the file exists after a successful command; --debug writes logrus text lines to it, or JSON (${rt.name})`, async (t) => {
    const dir = makeDir(t, 'tsrun-parity-log-');
    const { root, id } = await sleeper(t, rt.bin);
    const stateLog = join(dir, 'state.log');
    const st = await runRuntime(rt.bin, root, ['--log', stateLog, 'state', id]);
    t.is(st.code, 0, st.stderr);
    t.true(existsSync(stateLog), 'state --log made the file');
    const textLog = join(dir, 'text.log');
    const e = await runRuntime(rt.bin, root, ['--debug', '--log', textLog, 'exec', id, 'true']);
    t.is(e.code, 0, e.stderr);
    const lines = readFileSync(textLog, 'utf8').trim().split('\n');
    t.true(lines.length > 0);
    for (const l of lines) t.regex(l, /^time="[^"]+" level=\w+ msg=".*"/, l);
    t.true(lines.some((l) => l.includes('level=debug')));
    const jsonLog = join(dir, 'json.log');
    const j = await runRuntime(rt.bin, root, ['--debug', '--log', jsonLog, '--log-format', 'json', 'exec', id, 'true']);
    t.is(j.code, 0, j.stderr);
    const entries = readFileSync(jsonLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    t.true(entries.some((x) => x.level === 'debug' && typeof x.msg === 'string' && typeof x.time === 'string'));
  });

  it(`--version prints a commit line (${rt.name})`, async (t) => {
    const r = await runRuntime(rt.bin, privateRoot(t), ['--version']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /^commit: \S+$/m);
    t.regex(r.stdout, /^spec: \S+$/m);
  });

  it(`update --resources takes field names in any letter case, as Go decodes them (${rt.name})`, async (t) => {
    const dir = makeDir(t, 'tsrun-parity-update-');
    const { root, id } = await sleeper(t, rt.bin);
    const file = join(dir, 'resources.json');
    writeFileSync(file, JSON.stringify({ CPU: { Shares: 512 }, memory: { LIMIT: 64 * 1024 * 1024 }, Pids: { limit: 99 } }));
    const r = await runRuntime(rt.bin, root, ['update', '--resources', file, id]);
    t.is(r.code, 0, r.stderr);
    t.is(readFileSync(`/sys/fs/cgroup/cpu/${id}/cpu.shares`, 'utf8').trim(), '512');
    t.is(readFileSync(`/sys/fs/cgroup/memory/${id}/memory.limit_in_bytes`, 'utf8').trim(), String(64 * 1024 * 1024));
    t.is(readFileSync(`/sys/fs/cgroup/pids/${id}/pids.max`, 'utf8').trim(), '99');
  });
});

const tsrunOnly = serialUnless(requireRootAndBuild());

tsrunOnly('checkpoint --help fails while tsrun cannot checkpoint: podman reads its success as support', async (t) => {
  for (const flag of ['--help', '-h']) {
    const r = await tsrun(privateRoot(t), ['checkpoint', flag]);
    t.not(r.code, 0);
    t.regex(r.stderr, /checkpoint: not supported by this version of tsrun/);
  }
});

tsrunOnly('--version names the commit the build was made from', async (t) => {
  const r = await tsrun(privateRoot(t), ['--version']);
  // Without "-dirty": a file edited since the build makes the tree dirty, not the build older.
  const commit = execFileSync('bash', [join(REPO, 'scripts', 'commit.sh')], { encoding: 'utf8' }).trim().replace(/-dirty$/, '');
  t.regex(r.stdout, new RegExp(`\ncommit: ${commit.replace(/[.+]/g, '\\$&')}(-dirty)?\n`));
});

tsrunOnly('--debug logs the steps of run and exec: cgroup paths, the executor\'s ops, hooks', async (t) => {
  const dir = makeDir(t, 'tsrun-parity-debug-');
  const log = join(dir, 'debug.log');
  const root = privateRoot(t);
  const id = uniqueId('debug');
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sleep', '1000'];
    s.hooks = { createRuntime: [{ path: '/bin/true' }] };
  });
  t.teardown(() => tsrun(root, ['delete', '--force', id]).then(() => undefined));
  const r = await tsrun(root, ['--debug', '--log', log, 'run', '-d', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(r.code, 0, r.stderr);
  const text = readFileSync(log, 'utf8');
  t.regex(text, /level=debug msg="cgroup: /);
  t.regex(text, /level=debug msg="executor \d+: \d+ ops/);
  t.regex(text, /level=debug msg="running createRuntime hook #0 \(\/bin\/true\)/);
  t.is(r.stderr, '', 'with --log, debug notes go to the file only');
});

tsrunOnly('update --resources refuses a field that is none, naming it, in any letter case', async (t) => {
  const dir = makeDir(t, 'tsrun-parity-update-');
  const file = join(dir, 'resources.json');
  writeFileSync(file, JSON.stringify({ CPU: { Sharez: 512 } }));
  const r = await tsrun(privateRoot(t), ['update', '--resources', file, 'no-such-container']);
  t.is(r.code, 1);
  t.regex(r.stderr, /CPU\.Sharez: unknown field/);
});

tsrunOnly('a failed create, run or exec reads as one sentence: the command and the container, then the cause', async (t) => {
  const root = privateRoot(t);
  const cases: Array<[string, (s: any) => void, RegExp]> = [
    ['run', (s) => (s.process.args = ['/nope']), /^tsrun: run \S+: exec: "\/nope": stat \/nope: no such file or directory$/],
    ['create', (s) => s.mounts.push({ destination: '/y', source: '/x-nope', type: 'bind', options: ['bind'] }), /^tsrun: create \S+: mount "\/x-nope" on "\/y": .*no such file or directory/],
    ['create', (s) => (s.linux.cgroupsPath = '/sys/fs/cgroup/memory/cgroup.procs/x'), /^tsrun: create \S+: linux\.cgroupsPath: .* is a file, not a cgroup$/],
  ];
  for (const [command, patch, re] of cases) {
    const id = uniqueId('sentence');
    t.teardown(() => tsrun(root, ['delete', '--force', id]).then(() => undefined));
    const r = await tsrun(root, [command, '-b', makeBundle(t, patch), id]);
    t.is(r.code, 1);
    t.regex(r.stderr.trim(), re);
  }
  const c = await sleeper(t, TSRUN);
  const e = await tsrun(c.root, ['exec', c.id, '/nope']);
  t.is(e.code, 255);
  t.is(e.stderr.trim(), `tsrun: exec ${c.id}: exec: "/nope": stat /nope: no such file or directory`);
});
