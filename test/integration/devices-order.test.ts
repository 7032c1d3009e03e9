/**
 * A v1 device cgroup lists its rules in the order they were added: the config's
 * `linux.resources.devices` must come out in the config's order, before the default devices
 * (runtime-tools' linux_cgroups_devices reads devices.list line by line against the config, as
 * crun writes it). runc 1.1.5 lists them sorted by type and number instead: tsrun only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, privateRoot, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId, unless } from './helpers.js';

const V1_DEVICES = '/sys/fs/cgroup/devices';
const it = unless(serialUnless(requireRootAndBuild()), existsSync(join(V1_DEVICES, 'devices.list')) ? undefined : `needs a cgroup v1 devices hierarchy at ${V1_DEVICES}`);

/** The devices.list of a process's v1 devices cgroup. */
function devicesList(pid: number): string[] {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:([^:]*,)?devices(,[^:]*)?:/.test(l));
  if (!line) throw new Error(`pid ${pid} has no v1 devices cgroup`);
  const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
  return readFileSync(join(V1_DEVICES, path, 'devices.list'), 'utf8').trim().split('\n');
}

it('devices.list starts with the config\'s allow rules in config order, then the defaults (runc 1.1.5 sorts them)', async (t) => {
  const root = privateRoot(t);
  const id = uniqueId('devorder');
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sleep', '1000'];
    s.linux.cgroupsPath = `/tsrun-test-${id}`;
    s.linux.resources = {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
        { allow: true, type: 'b', major: 8, minor: 20, access: 'rw' },
        { allow: true, type: 'b', major: 10, minor: 200, access: 'r' },
      ],
    };
  });
  t.teardown(() => tsrun(root, ['delete', '--force', id]).then(() => undefined));
  const c = await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(c.code, 0, c.stderr);
  const list = devicesList((await stateOf(root, id)).pid);
  t.deepEqual(list.slice(0, 3), ['c 10:229 rwm', 'b 8:20 rw', 'b 10:200 r'], list.join('\n'));
  t.deepEqual(list.slice(3, 6), ['c *:* m', 'b *:* m', 'c 1:3 rwm'], 'the defaults follow, in their own order');
});
