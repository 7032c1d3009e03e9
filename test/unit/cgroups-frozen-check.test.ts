/** checkNotFrozen on fake trees: a frozen or freezing cgroup is refused, naming it; a thawed one, or a host without a freezer, passes. */
import test, { type ExecutionContext } from 'ava';
import { createManager } from '../../src/cgroups/index.js';
import { detectFromRoot } from '../../src/cgroups/detect.js';
import { ConfigError } from '../../src/errors.js';
import { fakeV1, fakeV2, put, type FakeTree } from './cgroups-fake.js';

function made(t: ExecutionContext, tree: FakeTree) {
  t.teardown(() => tree.cleanup());
  const m = createManager({ id: 'c1', cgroupsPath: '/a/b', layout: detectFromRoot(tree.root, tree.fs), fs: tree.fs, hugePageSizes: ['2MB'] });
  m.create();
  return { m, r: tree.root };
}

test('v1: a thawed cgroup passes; FROZEN and FREEZING are refused with the freezer directory named', (t) => {
  const { m, r } = made(t, fakeV1({ unified: true }));
  t.notThrows(() => m.checkNotFrozen());
  for (const [state, word] of [['FROZEN', 'frozen'], ['FREEZING', 'freezing']]) {
    put(`${r}/freezer/a/b/freezer.state`, `${state}\n`);
    const e = t.throws(() => m.checkNotFrozen(), { instanceOf: ConfigError });
    t.true(e?.message.startsWith(`cgroup: ${r}/freezer/a/b is ${word} (freezer.state ${state}): `), e?.message);
  }
});

test('v1 without a freezer hierarchy: nothing can freeze the init, the check passes', (t) => {
  const { m } = made(t, fakeV1({ hierarchies: ['cpu', 'memory', 'pids'] }));
  t.notThrows(() => m.checkNotFrozen());
});

test('v2: cgroup.freeze 1 is refused with the cgroup named', (t) => {
  const { m, r } = made(t, fakeV2());
  t.notThrows(() => m.checkNotFrozen());
  m.freeze();
  const e = t.throws(() => m.checkNotFrozen(), { instanceOf: ConfigError });
  t.true(e?.message.startsWith(`cgroup: ${r}/a/b is frozen (cgroup.freeze 1): `), e?.message);
});
