import test from 'ava';
import { features } from '../../src/cli/features.js';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import { checkSpec, validateFeatures, validateSpec } from '../../src/spec/index.js';
import { buildCreatePlan } from '../../src/plan/index.js';
import type { Spec } from '../../src/spec/index.js';

test('features output is valid against the features schema', (t) => {
  t.notThrows(() => validateFeatures(features()));
});

test('the default spec and the rootless one are valid configs that plan', (t) => {
  for (const rootless of [false, true]) {
    const s = defaultSpec({ rootless, uid: 1000, gid: 1000 });
    t.notThrows(() => validateSpec(s));
    t.notThrows(() => checkSpec(s as unknown as Spec));
    t.notThrows(() => buildCreatePlan(s as unknown as Spec, { rootfs: '/r', bundle: '/b', extraFds: 0, consoleSocket: '/s' }));
  }
});

test('the rootless spec maps the caller and has a user namespace, no network namespace', (t) => {
  const s = defaultSpec({ rootless: true, uid: 1234, gid: 99 }) as any;
  t.deepEqual(s.linux.uidMappings, [{ containerID: 0, hostID: 1234, size: 1 }]);
  t.deepEqual(s.linux.gidMappings, [{ containerID: 0, hostID: 99, size: 1 }]);
  const types = s.linux.namespaces.map((n: any) => n.type);
  t.true(types.includes('user'));
  t.false(types.includes('network'));
});
