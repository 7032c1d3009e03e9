/**
 * Cgroup behaviour runc's own integration tests rely on, on tsrun and runc side by side: delete
 * removes the container's cgroup even when someone else made it (the levels above stay), and a
 * container put into a cgroup that already has processes gets runc 1.1's warning and runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { eachRuntime, makeBundle, privateRoot, requireRootAndBuild, runRuntime, serialUnless, uniqueId } from './helpers.js';

/** The host's cgroup mount points (each v1 hierarchy, and cgroup2), from /proc/self/mountinfo. */
function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => {
      const fsType = f[f.indexOf('-') + 1];
      return fsType === 'cgroup' || fsType === 'cgroup2';
    })
    .map((f) => f[4]!);
}

/** `rel` made under every cgroup mount, as an admin (or another manager) would; removed at teardown, deepest first. */
function precreate(t: ExecutionContext, levels: string[]): string[] {
  const mounts = cgroupMounts();
  t.teardown(() => {
    for (const m of mounts) {
      for (let i = levels.length; i > 0; i--) {
        const dir = `${m}/${levels.slice(0, i).join('/')}`;
        if (existsSync(dir)) rmdirSync(dir);
      }
    }
  });
  for (const m of mounts) {
    mkdirSync(`${m}/${levels.join('/')}`, { recursive: true });
    // A v1 cpuset cgroup takes no task until it has cpus and mems: the root's, as a manager gives it.
    for (let i = 1; i <= levels.length && existsSync(`${m}/cpuset.cpus`); i++) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(`${m}/${levels.slice(0, i).join('/')}/${f}`, readFileSync(`${m}/${f}`));
    }
  }
  return mounts;
}

eachRuntime(serialUnless(requireRootAndBuild()), (rt, it) => {
  it(`delete removes the container's cgroup that existed before it, and leaves the levels above (${rt.name})`, async (t) => {
    const root = privateRoot(t);
    const parent = uniqueId('parity-cgparent');
    const mounts = precreate(t, [parent, 'ct']);
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['true'];
      s.linux.cgroupsPath = `/${parent}/ct`;
    });
    const id = uniqueId('cgfound');
    t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
    const r = await runRuntime(rt.bin, root, ['run', '--keep', '-b', bundle, id]);
    t.is(r.code, 0, r.stderr);
    const d = await runRuntime(rt.bin, root, ['delete', id]);
    t.is(d.code, 0, d.stderr);
    const memory = mounts.find((m) => m.endsWith('/memory')) ?? mounts[0]!;
    t.false(existsSync(`${memory}/${parent}/ct`), `${memory}/${parent}/ct is gone`);
    t.true(existsSync(`${memory}/${parent}`), 'the level above stays');
  });

  it(`a container put into a non-empty cgroup gets runc 1.1's warning and runs (${rt.name})`, async (t) => {
    const root = privateRoot(t);
    const parent = uniqueId('parity-cgbusy');
    const mounts = precreate(t, [parent]);
    // Someone else's process in the cgroup, in every hierarchy (runc 1.1 looks at one of them).
    const other = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const gone = new Promise((r) => other.once('exit', r));
    // Registered after the cgroup's teardown, so run before it: the cgroup must be empty to go.
    t.teardown(async () => {
      other.kill('SIGKILL');
      await gone;
    });
    for (const m of mounts) writeFileSync(`${m}/${parent}/cgroup.procs`, String(other.pid));
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['sleep', '1000'];
      s.linux.cgroupsPath = `/${parent}`;
    });
    const id = uniqueId('cgbusy');
    t.teardown(async () => {
      // Others' process first: with it gone, delete removes the cgroup.
      other.kill('SIGKILL');
      await gone;
      await runRuntime(rt.bin, root, ['delete', '--force', id]);
    });
    const r = await runRuntime(rt.bin, root, ['run', '-d', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /container's cgroup is not empty: 1 process\(es\) found/);
    const st = await runRuntime(rt.bin, root, ['state', id]);
    t.is(JSON.parse(st.stdout).status, 'running');
  });
});
