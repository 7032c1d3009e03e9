import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    for (const hardened of [false, true]) {
      const s = defaultSpec({ rootless, hardened, uid: 1000, gid: 1000 });
      t.notThrows(() => validateSpec(s));
      t.notThrows(() => checkSpec(s as unknown as Spec));
      t.notThrows(() => buildCreatePlan(s as unknown as Spec, { rootfs: '/r', bundle: '/b', extraFds: 0, consoleSocket: '/s' }));
    }
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

test("the default spec is runc's: no cgroup namespace, ambient capabilities, no seccomp; --hardened adds them", (t) => {
  const plain = defaultSpec() as any;
  t.deepEqual(plain.linux.namespaces.map((n: any) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount']);
  t.deepEqual(plain.process.capabilities.ambient, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
  t.is(plain.linux.seccomp, undefined);
  t.false(plain.linux.maskedPaths.includes('/sys/devices/virtual/powercap'));
  const hard = defaultSpec({ hardened: true }) as any;
  t.deepEqual(hard.linux.namespaces.map((n: any) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
  t.is(hard.process.capabilities.ambient, undefined);
  t.is(hard.linux.seccomp.defaultAction, 'SCMP_ACT_ERRNO');
  t.true(hard.linux.maskedPaths.includes('/sys/devices/virtual/powercap'));
});

const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const launcher = fileURLToPath(new URL('../../../bin/tsrun', import.meta.url));
/** What tools appending to runc's default rely on: everything but the version and hostname. */
const comparable = (c: any): unknown => ({
  process: { ...c.process },
  root: c.root,
  mounts: c.mounts,
  linux: c.linux,
});
for (const rootless of [false, true]) {
  const title = `tsrun spec${rootless ? ' --rootless' : ''} writes runc spec's config (namespaces, capabilities, mounts, paths)`;
  (runc ? test : test.skip)(runc ? title : `${title} (skipped: runc is not installed)`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrun-spec-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const extra = rootless ? ['--rootless'] : [];
    for (const [name, cmd] of [['runc', runc!], ['tsrun', launcher]] as const) {
      mkdirSync(join(dir, name));
      const r = spawnSync(cmd, ['spec', ...extra], { cwd: join(dir, name), encoding: 'utf8' });
      t.is(r.status, 0, `${name} spec: ${r.stderr}`);
    }
    const read = (name: string): any => JSON.parse(readFileSync(join(dir, name, 'config.json'), 'utf8'));
    const [r, s] = [read('runc'), read('tsrun')];
    t.deepEqual(new Set(s.linux.namespaces.map((n: any) => n.type)), new Set(r.linux.namespaces.map((n: any) => n.type)));
    t.deepEqual(s.process.capabilities, r.process.capabilities);
    t.deepEqual(s.linux.maskedPaths, r.linux.maskedPaths);
    t.deepEqual(s.linux.readonlyPaths, r.linux.readonlyPaths);
    if (!rootless) t.deepEqual(comparable(s), comparable(r));
    else t.deepEqual(s.mounts.filter((m: any) => m.type !== 'cgroup'), r.mounts.filter((m: any) => m.type !== 'cgroup'));
  });
}
