import test from 'ava';
import { checkHostSupport, probeHostSecurity, type HostSecurity } from '../../src/lifecycle/host-checks.js';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import { buildCreatePlan } from '../../src/plan/index.js';
import { Op } from '../../src/executor/protocol.js';
import type { Spec } from '../../src/spec/index.js';

const ALL = (1n << 41n) - 1n;
const host = (h: Partial<HostSecurity> = {}): HostSecurity => ({ apparmor: false, selinux: false, bounding: ALL, ...h });
const spec = (patch: (s: any) => void): Spec => {
  const s = defaultSpec({ hardened: true }) as any;
  patch(s);
  return s as Spec;
};

test('a capability outside tsrun\'s own bounding set is refused by name', (t) => {
  const noSysResource = ALL & ~(1n << 24n);
  const s = spec((s) => s.process.capabilities.permitted.push('CAP_SYS_RESOURCE'));
  t.throws(() => checkHostSupport(s, host({ bounding: noSysResource })), {
    message: "config.json: /process/capabilities/permitted: CAP_SYS_RESOURCE is not available on this host (tsrun's own bounding set lacks it)",
  });
  t.notThrows(() => checkHostSupport(s, host()));
});

test('AppArmor settings need the module enabled; SELinux labels without it are ignored', (t) => {
  t.throws(() => checkHostSupport(spec((s) => (s.process.apparmorProfile = 'p')), host()), { message: 'config.json: /process/apparmorProfile: AppArmor is not enabled on this host' });
  t.notThrows(() => checkHostSupport(spec((s) => (s.process.apparmorProfile = 'p')), host({ apparmor: true })));
  t.notThrows(() => checkHostSupport(spec((s) => (s.process.selinuxLabel = 'l')), host()));
  t.notThrows(() => checkHostSupport(spec((s) => (s.linux.mountLabel = 'l')), host()));
});

test('LSM labels are written for execve', (t) => {
  const s = spec((s) => {
    s.process.apparmorProfile = 'tsrun-test';
    s.process.selinuxLabel = 'system_u:system_r:container_t:s0';
  });
  const { ops } = buildCreatePlan(s, { rootfs: '/r', bundle: '/b', extraFds: 0, consoleSocket: '/s' });
  const writes = ops.filter((o) => o.op === Op.WRITE_FILE).map((o) => [o.args.path, o.args.data]);
  t.deepEqual(writes.filter(([p]) => String(p).startsWith('/proc/self/attr')), [
    ['/proc/self/attr/apparmor/exec', 'exec tsrun-test'],
    ['/proc/self/attr/exec', 'system_u:system_r:container_t:s0'],
  ]);
});

test('the probe reads this host', (t) => {
  const h = probeHostSecurity();
  t.true(h.bounding > 0n);
  t.is(typeof h.apparmor, 'boolean');
});
