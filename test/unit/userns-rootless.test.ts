/** Rootless decisions that need no root: state root, how id maps are written, cgroup delegation. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cgroupNotDelegated } from '../../src/cgroups/index.js';
import { idMapMethod, parseIdMap } from '../../src/lifecycle/rootless.js';
import { defaultStateRoot } from '../../src/state/root.js';

test('the state root is /run/tsrun for root and $XDG_RUNTIME_DIR/tsrun for anyone else', (t) => {
  t.is(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 0), '/run/tsrun');
  t.is(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/tsrun');
  t.is(defaultStateRoot({}, 1000), '/run/user/1000/tsrun');
  t.is(defaultStateRoot({ XDG_RUNTIME_DIR: 'relative' }, 1000), '/run/user/1000/tsrun');
});

test('id maps are parsed from /proc text', (t) => {
  t.deepEqual(parseIdMap('         0     100000      65536\n 1 2 3\n'), [
    { containerID: 0, hostID: 100000, size: 65536 },
    { containerID: 1, hostID: 2, size: 3 },
  ]);
});

test('root writes every map itself; a user writes only its own id, setgroups denied, and uses the helpers for more', (t) => {
  t.deepEqual(idMapMethod('0 100000 65536\n', '0 100000 65536\n', { uid: 0, gid: 0 }), { uid: 'direct', gid: 'direct', denySetgroups: false });
  t.deepEqual(idMapMethod('0 1000 1\n', '0 1000 1\n', { uid: 1000, gid: 1000 }), { uid: 'direct', gid: 'direct', denySetgroups: true });
  t.deepEqual(idMapMethod('0 1000 1\n1 100000 65536\n', '0 1000 1\n1 100000 65536\n', { uid: 1000, gid: 1000 }), {
    uid: 'newuidmap',
    gid: 'newgidmap',
    denySetgroups: false,
  });
  // Someone else's id, or more than one id, is never written directly.
  t.is(idMapMethod('0 1001 1\n', '0 1000 1\n', { uid: 1000, gid: 1000 }).uid, 'newuidmap');
  t.is(idMapMethod('0 1000 2\n', '0 1000 1\n', { uid: 1000, gid: 1000 }).uid, 'newuidmap');
  t.deepEqual(idMapMethod('0 1000 1\n', '0 100000 10\n', { uid: 1000, gid: 1000 }), { uid: 'direct', gid: 'newgidmap', denySetgroups: false });
});

const NOBODY = 65534;
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const probe = fileURLToPath(new URL('./cgroup-delegation-probe.js', import.meta.url));

/**
 * Who runs the delegation check: this user when not root; as root, the repository's owner (who can
 * read the compiled modules) or nobody when root owns it, which then needs every directory above
 * the repository searchable by others. A string: why no such user is at hand.
 */
function delegationUser(): { uid: number; gid: number } | undefined | string {
  if (process.getuid?.() !== 0) return undefined;
  const owner = statSync(repo);
  if (owner.uid !== 0) return { uid: owner.uid, gid: owner.gid };
  for (let dir = repo; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return `${dir} is not searchable by nobody, who would run it`;
    if (dir === dirname(dir)) return { uid: NOBODY, gid: NOBODY };
  }
}

const user = delegationUser();
const delegationTest = typeof user === 'string' ? test.skip : test;
const delegationTitle = 'cgroups count as delegated only when every directory (or its nearest existing parent) is writable';

delegationTest(typeof user === 'string' ? `${delegationTitle} (skipped: ${user})` : delegationTitle, (t) => {
  const runAs = typeof user === 'object' ? user : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-cg-'));
  t.teardown(() => {
    chmodSync(join(dir, 'locked'), 0o755);
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'mine'));
  writeFileSync(join(dir, 'mine', 'cgroup.procs'), '');
  mkdirSync(join(dir, 'locked'));
  // The tree belongs to the user who runs the check: 'mine' is writable by it, 'locked' is not.
  if (runAs) for (const p of ['', 'mine', 'mine/cgroup.procs', 'locked']) chownSync(join(dir, p), runAs.uid, runAs.gid);
  chmodSync(join(dir, 'locked'), 0o555);
  const lists = [[join(dir, 'mine'), join(dir, 'mine', 'a', 'b')], [join(dir, 'locked', 'x')]];
  const out = execFileSync(process.execPath, [probe, JSON.stringify(lists)], { encoding: 'utf8', ...runAs });
  const [mine, locked] = JSON.parse(out) as (string | null)[];
  t.is(mine, null);
  t.is(locked, `${join(dir, 'locked')} is not writable by uid ${runAs?.uid ?? process.geteuid!()}`);
});
