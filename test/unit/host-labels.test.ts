import test from 'ava';
import { checkHostSupport, type HostSecurity } from '../../src/lifecycle/host-checks.js';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import { buildCreatePlan } from '../../src/plan/index.js';
import { Op } from '../../src/executor/protocol.js';
import type { Spec } from '../../src/spec/index.js';

const host = (h: Partial<HostSecurity> = {}): HostSecurity => ({ apparmor: false, selinux: false, bounding: (1n << 41n) - 1n, ...h });
const labelled = (): Spec => {
  const s = defaultSpec({ hardened: true }) as any;
  s.process.selinuxLabel = 'system_u:system_r:container_t:s0';
  s.linux.mountLabel = 'system_u:object_r:container_file_t:s0';
  return s as Spec;
};

test('without SELinux, selinuxLabel and mountLabel are ignored: removed, each with a note', (t) => {
  const s = labelled();
  const notes: string[] = [];
  checkHostSupport(s, host(), 'config.json', '/process', (m) => notes.push(m));
  t.deepEqual(notes, [
    'config.json: /process/selinuxLabel: ignored: SELinux is not enabled on this host',
    'config.json: /linux/mountLabel: ignored: SELinux is not enabled on this host',
  ]);
  t.is(s.process?.selinuxLabel, undefined);
  t.is(s.linux?.mountLabel, undefined);
  const { ops } = buildCreatePlan(s, { rootfs: '/r', bundle: '/b', extraFds: 0, consoleSocket: '/s' });
  t.false(ops.some((o) => o.op === Op.WRITE_FILE && o.args.path === '/proc/self/attr/exec'), 'no label is written');
});

test('an exec process label is ignored the same way, named from the process file', (t) => {
  const s = labelled();
  delete s.linux!.mountLabel;
  const notes: string[] = [];
  checkHostSupport(s, host(), 'process.json', '', (m) => notes.push(m));
  t.deepEqual(notes, ['process.json: /selinuxLabel: ignored: SELinux is not enabled on this host']);
});

test('with SELinux, the process label is kept and a mount label is refused (not supported yet)', (t) => {
  const s = labelled();
  t.throws(() => checkHostSupport(s, host({ selinux: true })), { message: 'config.json: /linux/mountLabel: SELinux mount labels are not supported by tsrun yet' });
  t.is(s.process?.selinuxLabel, 'system_u:system_r:container_t:s0');
});

test('an AppArmor profile without AppArmor is still refused, as runc and crun do', (t) => {
  const s = labelled();
  s.process!.apparmorProfile = 'p';
  t.throws(() => checkHostSupport(s, host()), { message: 'config.json: /process/apparmorProfile: AppArmor is not enabled on this host' });
});
