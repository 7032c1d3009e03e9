/** Bad input: each case is one clear line on stderr, exit 1, and nothing left behind. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, requireRootAndBuild, serialUnless, tsrun, uniqueId, unless, ROOTFS, REPO, TSRUN, containerDirs } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

/**
 * `tsrun create` in a pid namespace of its own (pid 1 a shell that waits for it), so what it
 * leaves running can be told from what other tests run meanwhile: after tsrun exits, every live
 * (not zombie) process of that namespace but the shell is a leftover, listed by its stat line.
 */
function createInOwnPidNamespace(root: string, bundle: string, id: string, leftFile: string): { code: number | null; stderr: string } {
  const script = `"$@"; rc=$?
for p in /proc/[0-9]*; do
  [ "\${p#/proc/}" = 1 ] && continue
  read -r s < "$p/stat" 2>/dev/null && echo "$s"
done > "${leftFile}"
exit $rc`;
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', script, 'sh', TSRUN, '--root', root, 'create', '-b', bundle, id], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

/** Creates a container from bundle and expects one error line (`tsrun: create ID: ` and a cause matching re), and a clean root. */
async function expectRefused(t: any, bundle: string, re: RegExp): Promise<void> {
  const root = privateRoot(t);
  const leftFile = join(makeDir(t, 'tsrun-left-'), 'left');
  const id = uniqueId('bad');
  const r = createInOwnPidNamespace(root, bundle, id, leftFile);
  t.is(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  t.is(lines.length, 1, r.stderr);
  // One sentence: the command and the container, then the cause.
  const prefix = `tsrun: create ${id}: `;
  t.true(lines[0]!.startsWith(prefix), lines[0]);
  t.regex(lines[0]!.slice(prefix.length), re);
  t.deepEqual(containerDirs(root), [], 'no state dir is left');
  const left = readFileSync(leftFile, 'utf8').split('\n').filter((l) => l && !/\) [ZX] /.test(l));
  t.deepEqual(left, [], 'no process is left');
}

const shared = join(REPO, '..', 'shared', 'oci', 'runtime-spec', 'test', 'config', 'bad');
if (!existsSync(shared)) unless(it, '../shared/oci is not beside the repository')('upstream bad fixtures are refused', () => undefined);
for (const f of existsSync(shared) ? readdirSync(shared) : []) {
  it(`upstream bad fixture ${f} is refused`, async (t) => {
    const dir = makeDir(t, 'tsrun-badfix-');
    writeFileSync(join(dir, 'config.json'), readFileSync(join(shared, f)));
    await expectRefused(t, dir, /^config\.json: /);
  });
}

const cases: Array<[string, (s: any) => void, RegExp]> = [
  ['args of the wrong type', (s) => (s.process.args = 'sh'), /config\.json: \/process\/args/],
  ['an unknown namespace', (s) => s.linux.namespaces.push({ type: 'bogus' }), /config\.json: \/linux\/namespaces\/\d+\/type/],
  ['a missing binary', (s) => (s.process.args = ['nope']), /^exec: "nope": executable file not found in \$PATH$/],
  ['a missing absolute binary', (s) => (s.process.args = ['/nope']), /^exec: "\/nope": stat \/nope: no such file or directory$/],
  ['a non-executable file', (s) => (s.process.args = ['/etc/passwd']), /^exec: "\/etc\/passwd": permission denied$/],
  ['an unknown capability', (s) => (s.process.capabilities.bounding = ['CAP_BOGUS']), /CAP_BOGUS/],
  ['an unknown rlimit', (s) => (s.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]), /\/process\/rlimits\/0\/type/],
  ['a mount destination climbing out', (s) => s.mounts.push({ destination: '/tmp/../../etc', type: 'tmpfs', source: 'tmpfs' }), /destination: must not contain "\.\."/],
  ['a missing rootfs', (s) => (s.root.path = '/nonexistent/rootfs'), /rootfs \/nonexistent\/rootfs: no such file or directory/],
  ['a negative uid', (s) => (s.process.user.uid = -1), /config\.json: \/process\/user\/uid/],
  ['a cwd that is not absolute', (s) => (s.process.cwd = 'tmp'), /\/process\/cwd/],
];
for (const [name, patch, re] of cases) {
  it(`refused: ${name}`, async (t) => expectRefused(t, makeBundle(t, patch), re));
}

it('a non-JSON config.json is refused', async (t) => {
  const dir = makeDir(t, 'tsrun-nojson-');
  writeFileSync(join(dir, 'config.json'), '{ nope');
  await expectRefused(t, dir, /^config\.json: invalid JSON/);
});

it('a mount through a symlink to /etc stays inside the rootfs', async (t) => {
  const rootfs = join(makeDir(t, 'tsrun-evil-'), 'rootfs');
  execFileSync('cp', ['-a', ROOTFS, rootfs]);
  symlinkSync('/etc', join(rootfs, 'evil'));
  const marker = `tsrun-evil-${process.pid}`;
  const bundle = makeBundle(
    t,
    (s) => {
      s.mounts.push({ destination: `/evil/${marker}`, type: 'tmpfs', source: 'tmpfs' });
      s.process.args = ['sh', '-c', `grep -c ${marker} /proc/self/mounts`];
    },
    rootfs,
  );
  const root = privateRoot(t);
  const r = await tsrun(root, ['run', '-b', bundle, uniqueId('evil')]);
  t.is(r.code, 0, r.stderr);
  t.false(existsSync(`/etc/${marker}`), 'the host /etc is untouched');
  t.true(existsSync(join(rootfs, 'etc', marker)), 'the mount point was made in the rootfs');
  t.is(r.stdout.trim(), '1');
});

it('a symlink loop as a mount destination is one clear error', async (t) => {
  const rootfs = join(makeDir(t, 'tsrun-loop-'), 'rootfs');
  execFileSync('cp', ['-a', ROOTFS, rootfs]);
  symlinkSync('loop', join(rootfs, 'loop'));
  const bundle = makeBundle(t, (s) => s.mounts.push({ destination: '/loop/x', type: 'tmpfs', source: 'tmpfs' }), rootfs);
  await expectRefused(t, bundle, /\/loop\/x.*too many levels of symbolic links/i);
});

it('unknown containers and wrong states give runc\'s phrases', async (t) => {
  const root = privateRoot(t);
  for (const cmd of [['start', 'x'], ['state', 'x'], ['kill', 'x'], ['delete', 'x']]) {
    const r = await tsrun(root, cmd);
    t.is(r.code, 1, cmd.join(' '));
    t.is(r.stderr.trim(), 'container does not exist');
  }
  t.is((await tsrun(root, ['delete', '--force', 'x'])).code, 0);
  const noId = await tsrun(root, ['start']);
  t.is(noId.code, 1);
  t.regex(noId.stderr, /container id cannot be empty/);
  const badId = await tsrun(root, ['state', 'a/b']);
  t.regex(badId.stderr, /invalid container id/);
});

it('delete --force removes what a killed create left: an empty dir, an empty lock, a corrupt state', async (t) => {
  const { mkdirSync } = await import('node:fs');
  const root = privateRoot(t);
  const cases: Record<string, (dir: string) => void> = {
    empty: () => undefined,
    'empty-lock': (d) => writeFileSync(join(d, '.lock'), ''),
    corrupt: (d) => writeFileSync(join(d, 'state.json'), '{ half'),
  };
  for (const [id, make] of Object.entries(cases)) {
    mkdirSync(join(root, id));
    make(join(root, id));
    // Without --force the leftover is reported, not silently removed.
    t.is((await tsrun(root, ['delete', id])).code, 1, id);
  }
  await new Promise((r) => setTimeout(r, 1100)); // an empty lock counts as stale after a second
  for (const id of Object.keys(cases)) {
    const r = await tsrun(root, ['delete', '--force', id]);
    t.is(r.code, 0, `${id}: ${r.stderr}`);
  }
  t.deepEqual(containerDirs(root), []);
});
