/** Rootless decisions that need no root: state root, how id maps are written, cgroup delegation. */
import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('cgroups count as delegated only when every directory (or its nearest existing parent) is writable', (t) => {
  if (process.getuid?.() === 0) {
    t.log('skipped: root can write anywhere, so this needs a non-root user');
    t.pass();
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-cg-'));
  t.teardown(() => {
    chmodSync(join(dir, 'locked'), 0o755);
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'mine'));
  writeFileSync(join(dir, 'mine', 'cgroup.procs'), '');
  mkdirSync(join(dir, 'locked'));
  chmodSync(join(dir, 'locked'), 0o555);
  t.is(cgroupNotDelegated([join(dir, 'mine'), join(dir, 'mine', 'a', 'b')]), undefined);
  t.regex(cgroupNotDelegated([join(dir, 'locked', 'x')]) ?? '', /locked is not writable/);
});
