/**
 * The start-up helpers: which cgroup.procs the attach warm-up writes (cgroups/warmup.ts), where
 * an install's files are found from a module or a compiled Bun program (install-paths.ts), the
 * lazily loaded built-ins (sys/builtins.ts); how the process ends once koffi is loaded (sys/exit.ts);
 * what bin/tsrun (native/launcher) runs.
 */
import test from 'ava';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { ownProcsFile } from '../../src/cgroups/warmup.js';
import { findAbove, isCompiledProgram, searchStart } from '../../src/install-paths.js';
import { sha256hex } from '../../src/sys/builtins.js';

const HYBRID_MOUNTINFO = [
  '25 30 0:23 / /sys rw,nosuid - sysfs sysfs rw',
  '26 25 0:24 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
  '27 26 0:25 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate',
  '28 26 0:26 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd',
  '29 26 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
  '30 26 0:28 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids',
].join('\n');

test('warm-up: the cgroup2 mount and this process\'s own cgroup on a hybrid host', (t) => {
  const self = '3:pids:/user.slice\n2:cpu,cpuacct:/user.slice\n1:name=systemd:/user.slice/s.scope\n0::/user.slice/s.scope\n';
  t.is(ownProcsFile(self, HYBRID_MOUNTINFO), '/sys/fs/cgroup/unified/user.slice/s.scope/cgroup.procs');
});

test('warm-up: the first mounted v1 hierarchy when there is no cgroup2 mount, co-mounted controllers matched', (t) => {
  const v1only = HYBRID_MOUNTINFO.split('\n').filter((l) => !l.includes('cgroup2')).join('\n');
  t.is(ownProcsFile('2:cpu,cpuacct:/a\n1:name=systemd:/b\n', v1only), '/sys/fs/cgroup/cpu,cpuacct/a/cgroup.procs');
  t.is(ownProcsFile('1:name=systemd:/\n', v1only), '/sys/fs/cgroup/systemd/cgroup.procs');
});

test('warm-up: a v2 host, inside a cgroup namespace (mount root is a sub-tree), and nothing usable', (t) => {
  const v2 = '40 30 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw';
  t.is(ownProcsFile('0::/kubepods/pod1/c1\n', v2), '/sys/fs/cgroup/kubepods/pod1/c1/cgroup.procs');
  t.is(ownProcsFile('0::/\n', v2), '/sys/fs/cgroup/cgroup.procs');
  const nsRoot = '40 30 0:30 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw';
  t.is(ownProcsFile('0::/kubepods/pod1/c1\n', nsRoot), '/sys/fs/cgroup/c1/cgroup.procs');
  // Our cgroup outside what is mounted: no guess.
  t.is(ownProcsFile('0::/elsewhere\n', nsRoot), undefined);
  t.is(ownProcsFile('0::/x\n', '25 30 0:23 / /sys rw - sysfs sysfs rw'), undefined);
  t.is(ownProcsFile('', v2), undefined);
});

test('warm-up: escaped mount points are unescaped', (t) => {
  const v2 = '40 30 0:30 / /mnt/cg\\040x rw - cgroup2 cgroup2 rw';
  t.is(ownProcsFile('0::/a\n', v2), '/mnt/cg x/a/cgroup.procs');
});

test('install: modules search from their own folder, a compiled Bun program from beside its file', (t) => {
  t.false(isCompiledProgram('/opt/tsrun/dist/src'));
  t.false(isCompiledProgram('/opt/$bunfs-not/dist'));
  t.is(searchStart('/opt/tsrun/dist/src'), '/opt/tsrun/dist/src');
  t.true(isCompiledProgram('/$bunfs/root'));
  t.is(searchStart('/$bunfs/root'), join(process.execPath, '..'));
});

test('install: findAbove finds the nearest match upwards, or nothing', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tsrun-install-'));
  try {
    mkdirSync(join(root, 'build'));
    writeFileSync(join(root, 'build', 'tsrun-executor'), '');
    mkdirSync(join(root, 'dist', 'src', 'executor'), { recursive: true });
    t.is(findAbove(join(root, 'dist', 'src', 'executor'), join('build', 'tsrun-executor')), join(root, 'build', 'tsrun-executor'));
    t.is(findAbove(join(root, 'build'), join('build', 'tsrun-executor')), join(root, 'build', 'tsrun-executor'));
    t.is(findAbove(join(root, 'dist'), join('build', 'no-such-binary')), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('builtins: sha256hex is SHA-256 in hex, for bytes and strings', (t) => {
  const want = createHash('sha256').update('tsrun').digest('hex');
  t.is(sha256hex('tsrun'), want);
  t.is(sha256hex(Buffer.from('tsrun')), want);
});

test('koffi: the prebuilt path names the platform package, and loadKoffi gives the same API as koffi', async (t) => {
  const { koffiPrebuiltPath, loadKoffi } = await import('../../src/sys/koffi.js');
  t.is(koffiPrebuiltPath('linux', 'x64'), '@koromix/koffi-linux-x64/linux_x64/koffi.node');
  const k = loadKoffi() as unknown as Record<string, unknown>;
  const { createRequire } = await import('node:module');
  const wrapper = createRequire(import.meta.url)('koffi') as Record<string, unknown>;
  for (const name of ['load', 'alloc', 'free', 'address', 'view', 'errno', 'os', 'type']) t.is(typeof k[name], typeof wrapper[name], name);
  t.is(k.version, JSON.parse(readFileSync(new URL('../../../node_modules/koffi/package.json', import.meta.url), 'utf8')).version);
  t.not(k, wrapper, 'the prebuilt, not koffi\'s loader');
});

test('exit: with koffi loaded, the process ends by _exit after the exit listeners, so koffi cannot fsync stdout and stderr', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-exit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dist = new URL('../../src/sys/', import.meta.url).href;
  const script = (end: string) => {
    const path = join(dir, `${end.replace(/\W/g, '')}.mjs`);
    writeFileSync(path, [
      `import { loadKoffi } from '${dist}koffi.js';`,
      `import { exitProcess } from '${dist}exit.js';`,
      "import { writeFileSync } from 'node:fs';",
      'loadKoffi();',
      `process.on('exit', (code) => writeFileSync('${dir}/listener', String(code)));`,
      `${end}(3);`,
    ].join('\n'));
    return path;
  };
  // stdout and stderr are regular files: what koffi's exit flush would fsync.
  const traced = (path: string) => {
    const log = join(dir, 'strace.log');
    const r = spawnSync('strace', ['-f', '-e', 'trace=fsync', '-o', log, process.execPath, path], {
      stdio: ['ignore', openSync(join(dir, 'out'), 'w'), openSync(join(dir, 'err'), 'w')],
    });
    if (r.error) throw new Error(`strace is needed (scripts/install-deps.sh installs it): ${r.error.message}`);
    return { status: r.status, fsyncs: readFileSync(log, 'utf8').split('\n').filter((l) => /\bfsync\(/.test(l)).length, listener: readFileSync(join(dir, 'listener'), 'utf8') };
  };
  t.deepEqual(traced(script('exitProcess')), { status: 3, fsyncs: 0, listener: '3' });
  // Why: the plain exit, with koffi loaded, fsyncs both.
  t.like(traced(script('process.exit')), { status: 3, fsyncs: 2, listener: '3' });
});

test('launcher: bin/tsrun execs the chosen engine on the entry point with the arguments, without NODE_EXTRA_CA_CERTS', (t) => {
  const launcher = fileURLToPath(new URL('../../../bin/tsrun', import.meta.url));
  if (!existsSync(launcher)) return void t.fail(`${launcher} is missing: make launcher builds it`);
  const root = dirname(dirname(launcher));
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-launcher-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Fake engines that say how they were started.
  const fake = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, '#!/bin/sh\necho "$0|$*|${NODE_EXTRA_CA_CERTS-unset}"\n', { mode: 0o755 });
    return path;
  };
  const node = fake('node-fake');
  const program = fake('tsrun-fake');
  const run = (env: Record<string, string>, ...args: string[]) => {
    const r = spawnSync(launcher, args, { env: { ...process.env, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', ...env }, encoding: 'utf8' });
    return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
  };
  t.deepEqual(run({ TSRUN_ENGINE: node }, 'state', 'a b'), { status: 0, out: `${node}|${root}/dist/cjs/main.cjs state a b|unset`, err: '' });
  t.deepEqual(run({ TSRUN_ENGINE: node, TSRUN_MODULES: '1' }, 'list'), { status: 0, out: `${node}|${root}/dist/src/cli/main.js list|unset`, err: '' });
  // A compiled program is the entry point itself.
  t.deepEqual(run({ TSRUN_ENGINE: program }, '--root', '/x', 'state', 'c'), { status: 0, out: `${program}|--root /x state c|unset`, err: '' });
  const missing = run({ TSRUN_ENGINE: join(dir, 'absent') }, 'state');
  t.is(missing.status, 127);
  t.is(missing.err, `tsrun: cannot run ${join(dir, 'absent')}: No such file or directory`);
});

test('bundles: code caches are written by a command that ran to its end, not by --help or a failure', (t) => {
  // A copy of dist/cjs beside it (node_modules and build/ are found above it), without caches.
  const dist = fileURLToPath(new URL('../../cjs/', import.meta.url));
  const copy = mkdtempSync(join(dist, '..', '.cache-test-'));
  const work = mkdtempSync(join(tmpdir(), 'tsrun-cache-'));
  t.teardown(() => {
    rmSync(copy, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });
  for (const f of readdirSync(dist)) if (f.endsWith('.cjs')) copyFileSync(join(dist, f), join(copy, f));
  const caches = () => readdirSync(copy).filter((f) => f.endsWith('.v8cache')).map((f) => f.replace(/\.cjs\..*/, '')).sort();
  const tsrun = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(copy, 'main.cjs'), ...args], { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  // --help loads every command's bundle (yargs, an ES module, through require) and runs none.
  for (let i = 0; i < 2; i++) {
    t.like(tsrun('--help'), { status: 0, err: '' });
    t.regex(tsrun('plan', '--help').out, /^tsrun plan/);
  }
  t.like(tsrun('spec', '--bundle', join(work, 'missing')), { status: 1 });
  t.deepEqual(caches(), []);
  // A command that ran writes the caches of what it loaded; the next run reads them.
  t.like(tsrun('spec', '--bundle', work), { status: 0, err: '' });
  t.deepEqual(caches(), ['cli', 'cmd-spec']);
  rmSync(join(work, 'config.json'));
  t.like(tsrun('spec', '--bundle', work), { status: 0, err: '' });
  t.true(existsSync(join(work, 'config.json')));
});
