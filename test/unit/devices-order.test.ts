import test from 'ava';
import { DeviceEmulator, containerDeviceRules, ruleFromSpec, ruleString, type DeviceRule } from '../../src/cgroups/devices-rules.js';

const allowAll = () => DeviceEmulator.fromDevicesList('a *:* rwm\n');
const written = (rules: DeviceRule[]) => rules.map((r) => `${r.allow ? 'allow' : 'deny'} ${ruleString(r)}`);

test('a fresh cgroup gets deny-all, then the config\'s allows in config order, then the defaults', (t) => {
  const rules = containerDeviceRules([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: true, type: 'b', major: 8, minor: 20, access: 'rw' },
    { allow: true, type: 'b', major: 10, minor: 200, access: 'r' },
  ]);
  const writes = written(allowAll().transition(DeviceEmulator.of(rules)));
  t.deepEqual(writes.slice(0, 6), ['deny a *:* rwm', 'allow c 10:229 rwm', 'allow b 8:20 rw', 'allow b 10:200 r', 'allow c *:* m', 'allow b *:* m']);
  t.is(writes.length, 4 + 12);
});

test('a rule repeated later merges its access where it first came, as the kernel does', (t) => {
  const rules = [
    ruleFromSpec({ allow: false, access: 'rwm' }, 'd0'),
    ruleFromSpec({ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }, 'd1'),
    ruleFromSpec({ allow: true, type: 'c', major: 4, minor: 1, access: 'rw' }, 'd2'),
    ruleFromSpec({ allow: true, type: 'c', major: 1, minor: 3, access: 'w' }, 'd3'),
  ];
  t.deepEqual(written(allowAll().transition(DeviceEmulator.of(rules))), ['deny a *:* rwm', 'allow c 1:3 rw', 'allow c 4:1 rw']);
});

test('an update keeps what devices.list has and appends the new rules in the target\'s order', (t) => {
  const current = DeviceEmulator.fromDevicesList('c 5:1 rwm\nc 1:3 rwm\n');
  const target = DeviceEmulator.of([
    ruleFromSpec({ allow: false, access: 'rwm' }, 'd0'),
    ruleFromSpec({ allow: true, type: 'c', major: 9, minor: 9, access: 'r' }, 'd1'),
    ruleFromSpec({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, 'd2'),
    ruleFromSpec({ allow: true, type: 'b', major: 2, minor: 2, access: 'm' }, 'd3'),
  ]);
  t.deepEqual(written(current.transition(target)), ['deny c 5:1 rwm', 'allow c 9:9 r', 'allow b 2:2 m']);
});
