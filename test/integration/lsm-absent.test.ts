/**
 * Linux security module settings on a host without that module. SELinux's (`linux.mountLabel`,
 * `process.selinuxLabel`) are ignored with a debug note, as crun does (runc 1.1.5 fails: a
 * `context=` mount option, or "selinux is disabled"), so those run on tsrun only. An AppArmor
 * profile is refused, as runc and crun both do: side by side.
 */
import { existsSync, readFileSync } from 'node:fs';
import { containerDirs, eachRuntime, makeBundle, privateRoot, requireRootAndBuild, runRuntime, serialUnless, tsrun, uniqueId, unless } from './helpers.js';

const selinux = existsSync('/sys/fs/selinux/enforce');
const apparmor = existsSync('/sys/module/apparmor/parameters/enabled') && readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
const suite = serialUnless(requireRootAndBuild());
const noSelinux = unless(suite, selinux ? 'needs a host without SELinux' : undefined);

const LABELS: Array<[string, (s: any) => void]> = [
  ['/linux/mountLabel', (s) => (s.linux.mountLabel = 'system_u:object_r:svirt_sandbox_file_t:s0:c715,c811')],
  ['/process/selinuxLabel', (s) => (s.process.selinuxLabel = 'system_u:system_r:container_t:s0:c715,c811')],
];

for (const [field, patch] of LABELS) {
  noSelinux(`${field} on a host without SELinux is ignored with a debug note, as crun does (runc 1.1.5 fails)`, async (t) => {
    const root = privateRoot(t);
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['true'];
      patch(s);
    });
    const r = await tsrun(root, ['--debug', 'run', '-b', bundle, uniqueId('lsm')], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.is(r.code, 0, r.stderr);
    t.true(r.stderr.split('\n').some((l) => l.startsWith('debug: ') && l.includes(field) && l.includes('ignored')), r.stderr);
    const quiet = await tsrun(root, ['run', '-b', bundle, uniqueId('lsm')], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.is(quiet.code, 0, quiet.stderr);
    t.is(quiet.stderr, '', 'no note without --debug');
  });
}

eachRuntime(unless(suite, apparmor ? 'needs a host without AppArmor' : undefined), (rt, it) => {
  it(`an AppArmor profile on a host without AppArmor is refused, as runc and crun do (${rt.name})`, async (t) => {
    const root = privateRoot(t);
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['true'];
      s.process.apparmorProfile = 'tsrun-test-profile';
    });
    const id = uniqueId('aa');
    const r = await runRuntime(rt.bin, root, ['run', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.not(r.code, 0, r.stderr);
    if (rt.name === 'tsrun') t.is(r.stderr.trim(), `tsrun: run ${id}: config.json: /process/apparmorProfile: AppArmor is not enabled on this host`);
    t.deepEqual(containerDirs(root), [], 'nothing left behind');
  });
});
