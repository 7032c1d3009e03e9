/**
 * The systemd driver without systemd: the D-Bus wire format (known byte vectors, round trips,
 * alignment) and the conversion of linux.resources into unit properties, as runc converts them.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authExternalLine, parseBusAddress } from '../../src/cgroups/dbus/connection.js';
import { decodeMessage, encodeMessage, messageLength, parseSignature, Reader, Writer, type Message } from '../../src/cgroups/dbus/marshal.js';
import { unitCgroupState } from '../../src/cgroups/systemd-manager.js';
import { systemdAddresses } from '../../src/cgroups/systemd-dbus.js';
import {
  cpuQuotaProperties, deviceProperties, INFINITY, parseProcDevices, parseSystemdVersion, rangeToBits, unitProperties, v1ResourceProperties, v2ResourceProperties,
  type UnitProperty,
} from '../../src/cgroups/systemd-props.js';
import { containerDeviceRules, detectFromMountinfo, type CgroupState } from '../../src/cgroups/index.js';

const hex = (b: Buffer) => b.toString('hex');
function written(sig: string, values: unknown[]): string {
  const w = new Writer();
  w.write(sig, values);
  return hex(w.bytes());
}
const names = (props: UnitProperty[]) => props.map(([n]) => n);
const byName = (props: UnitProperty[]) => Object.fromEntries(props.map(([n, v]) => [n, v.value]));

test('marshal: known byte vectors, with the spec alignment', (t) => {
  t.is(written('y', [7]), '07');
  t.is(written('yu', [1, 2]), '01000000' + '02000000');
  t.is(written('b', [true]), '01000000');
  t.is(written('s', ['ab']), '02000000616200');
  t.is(written('g', ['sv']), '02737600');
  t.is(written('ay', [[1, 2]]), '020000000102');
  // An array of 8-aligned elements: the length, padding (not counted), the elements.
  t.is(written('at', [[1n]]), '08000000' + '00000000' + '0100000000000000');
  // An empty one still aligns its (absent) first element.
  t.is(written('a(sv)', [[]]), '00000000' + '00000000');
  t.is(written('yv', [1, { sig: 't', value: 5n }]), '01' + '017400' + '00000000' + '0500000000000000');
  t.is(written('a(ss)', [[['a', 'r']]]), '0e000000' + '00000000' + '0100000061000000' + '0100000072' + '00');
  t.is(written('t', [INFINITY]), 'ffffffffffffffff');
  t.is(written('x', [-1]), 'ffffffffffffffff');
});

test('marshal: the Hello call every client sends, byte for byte', (t) => {
  const m: Message = { type: 1, serial: 1, path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', destination: 'org.freedesktop.DBus', body: [] };
  // The well-known first message of every connection (as libdbus and sd-bus send it).
  const expected = '6c01000100000000010000006d00000001016f00150000002f6f72672f667265656465736b746f702f4442757300000002017300140000006f72672e667265656465736b746f702e4442757300000000030173000500000048656c6c6f00000006017300140000006f72672e667265656465736b746f702e4442757300000000';
  t.is(hex(encodeMessage(m)), expected);
  t.is(messageLength(encodeMessage(m)), encodeMessage(m).length);
});

test('marshal: round trips of what StartTransientUnit and JobRemoved carry', (t) => {
  const props = unitProperties({ unit: 'tsrun-c1.scope', slice: 'system.slice', pid: 1234, description: 'd' });
  const body = ['tsrun-c1.scope', 'replace', [...props, ['AllowedCPUs', { sig: 'ay', value: [15, 1] }], ['MemoryMax', { sig: 't', value: 1n << 40n }]], []];
  const m: Message = { type: 1, serial: 9, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'StartTransientUnit', destination: 'org.freedesktop.systemd1', signature: 'ssa(sv)a(sa(sv))', body };
  const back = decodeMessage(encodeMessage(m));
  t.is(back.member, 'StartTransientUnit');
  t.is(back.signature, 'ssa(sv)a(sa(sv))');
  t.deepEqual(back.body, body.map((x) => x));
  const sig: Message = { type: 4, serial: 3, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'JobRemoved', signature: 'uoss', body: [7, '/org/freedesktop/systemd1/job/7', 'u.scope', 'done'] };
  t.deepEqual(decodeMessage(encodeMessage(sig)).body, sig.body);
  // Every basic type, at odd offsets.
  const values = [1, true, -2, 3, -4, 5, -6n, 7n, 1.5, 's', '/o', 'g', { sig: 'ai', value: [1, -1] }, [['k', { sig: 'b', value: false }]]];
  const w = new Writer();
  w.write('ybnqiuxtdsogva{sv}', values);
  t.deepEqual(new Reader(w.bytes()).read('ybnqiuxtdsogva{sv}'), values);
});

test('marshal: signatures and bad input fail with one line', (t) => {
  t.is(parseSignature('a(sv)a{sv}s').length, 3);
  t.throws(() => parseSignature('a('), { message: /unclosed|ends early/ });
  t.throws(() => parseSignature('z'), { message: /unknown type code "z"/ });
  t.throws(() => written('s', [1]), { message: /wants a string/ });
  t.throws(() => new Reader(Buffer.from('0500', 'hex')).read('u'), { message: /truncated/ });
  t.is(messageLength(Buffer.alloc(8)), undefined);
});

test('bus addresses and EXTERNAL authentication', (t) => {
  t.is(parseBusAddress('unix:path=/run/user/1000/bus'), '/run/user/1000/bus');
  t.is(parseBusAddress('tcp:host=x;unix:path=/a%20b,guid=1'), '/a b');
  t.is(parseBusAddress('unix:abstract=/tmp/dbus-x'), '\0/tmp/dbus-x');
  t.is(authExternalLine(1000), 'AUTH EXTERNAL 31303030\r\n');
  t.is(authExternalLine(0), 'AUTH EXTERNAL 30\r\n');
  t.deepEqual(systemdAddresses(false, {}, () => true), [{ path: '/run/dbus/system_bus_socket', bus: true }, { path: '/run/systemd/private', bus: false }]);
  t.deepEqual(systemdAddresses(false, {}, () => false), [{ path: '/run/systemd/private', bus: false }]);
  t.deepEqual(systemdAddresses(true, { XDG_RUNTIME_DIR: '/run/user/5' }, () => true), [{ path: '/run/user/5/bus', bus: true }, { path: '/run/user/5/systemd/private', bus: false }]);
  t.deepEqual(systemdAddresses(true, { XDG_RUNTIME_DIR: '/run/user/5' }, (p) => String(p).endsWith('private')), [{ path: '/run/user/5/systemd/private', bus: false }]);
  t.throws(() => systemdAddresses(true, {}, () => false), { message: /rootless: no user bus/ });
});

test('unit properties: a scope with its pid, delegated; a slice with Wants', (t) => {
  const scope = unitProperties({ unit: 'tsrun-c1.scope', slice: 'system.slice', pid: 42, description: 'tsrun container' });
  t.deepEqual(byName(scope), {
    Description: 'tsrun container', Slice: 'system.slice', Delegate: true, PIDs: [42], MemoryAccounting: true, CPUAccounting: true, IOAccounting: true, TasksAccounting: true, DefaultDependencies: false,
  });
  const slice = unitProperties({ unit: 'machine-x.slice', slice: 'machine.slice', pid: 42, description: 'x' });
  t.deepEqual(byName(slice).Wants, ['machine.slice']);
  t.false(names(slice).includes('PIDs'));
  t.false(names(slice).includes('Delegate'));
});

test('resources: CPU quota per second (rounded up to 10 ms), period, weight, cpuset masks', (t) => {
  t.deepEqual(byName(cpuQuotaProperties(50_000, 100_000, 252)), { CPUQuotaPeriodUSec: 100_000n, CPUQuotaPerSecUSec: 500_000n });
  t.deepEqual(byName(cpuQuotaProperties(12_345, undefined, 252)), { CPUQuotaPerSecUSec: 130_000n });
  t.deepEqual(byName(cpuQuotaProperties(-1, 50_000, 252)), { CPUQuotaPeriodUSec: 50_000n, CPUQuotaPerSecUSec: INFINITY });
  t.deepEqual(byName(cpuQuotaProperties(50_000, 100_000, 241)), { CPUQuotaPerSecUSec: 500_000n }); // no period before v242
  t.deepEqual(cpuQuotaProperties(undefined, undefined, 252), []);
  t.deepEqual(rangeToBits('0-3,8'), [0x0f, 0x01]);
  t.deepEqual(rangeToBits('9'), [0, 2]);
  t.deepEqual(rangeToBits(''), [0]);
  t.deepEqual(rangeToBits('0,7-9, 16'), [0x81, 0x03, 0x01]);
  t.throws(() => rangeToBits('3-1'), { message: /invalid range/ });
  const p = byName(v2ResourceProperties({ cpu: { shares: 1024, quota: 20_000, period: 100_000, cpus: '0-1', mems: '0' } }, { systemdVersion: 252 }));
  t.is(p.CPUWeight, 39n); // runc: 1 + (1024-2)*9999/262142
  t.is(p.CPUQuotaPerSecUSec, 200_000n);
  t.deepEqual(p.AllowedCPUs, [3]);
  t.deepEqual(p.AllowedMemoryNodes, [1]);
  t.false('AllowedCPUs' in byName(v2ResourceProperties({ cpu: { cpus: '0' } }, { systemdVersion: 243 })));
});

test('resources: memory, swap, tasks as runc gives them to systemd (v2 and v1)', (t) => {
  const v2 = byName(v2ResourceProperties({ memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 }, pids: { limit: 100 } }, { systemdVersion: 252 }));
  t.is(v2.MemoryMax, BigInt(64 << 20));
  t.is(v2.MemoryLow, BigInt(32 << 20));
  t.is(v2.MemorySwapMax, BigInt(64 << 20)); // swap is memory+swap in the spec
  t.is(v2.TasksMax, 100n);
  t.is(v2.DevicePolicy, 'strict');
  const unlimited = byName(v2ResourceProperties({ memory: { limit: -1 }, pids: { limit: -1 } }, { systemdVersion: 252 }));
  t.is(unlimited.MemoryMax, INFINITY);
  t.is(unlimited.MemorySwapMax, INFINITY);
  t.is(unlimited.TasksMax, INFINITY);
  const upd = v2ResourceProperties({ pids: { limit: 5 } }, { systemdVersion: 252, update: true });
  t.deepEqual(names(upd), ['TasksMax']); // an update names only what it changes, no device list
  const v1 = byName(v1ResourceProperties({ memory: { limit: 1 << 20 }, cpu: { shares: 512 }, blockIO: { weight: 300 } }, { systemdVersion: 219 }));
  t.is(v1.MemoryLimit, BigInt(1 << 20));
  t.is(v1.CPUShares, 512n);
  t.is(v1.BlockIOWeight, 300n);
  const unified = byName(v2ResourceProperties({ unified: { 'memory.high': '1000000', 'pids.max': 'max', 'cpu.max': '50000 100000' } }, { systemdVersion: 252, update: true }));
  t.deepEqual(unified, { MemoryHigh: 1_000_000n, TasksMax: INFINITY, CPUQuotaPeriodUSec: 100_000n, CPUQuotaPerSecUSec: 500_000n });
});

test('devices: strict with DeviceAllow entries, groups for any minor, allow-all as auto', (t) => {
  const groups = parseProcDevices('Character devices:\n  1 mem\n  5 /dev/tty\n136 pts\n\nBlock devices:\n  8 sd\n');
  t.is(groups('c', 136), 'pts');
  t.is(groups('b', 8), 'sd');
  t.is(groups('b', 136), undefined);
  const props = deviceProperties(containerDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 8, minor: -1, access: 'r' }]), groups);
  t.deepEqual(names(props), ['DevicePolicy', 'DeviceAllow', 'DeviceAllow']);
  const allow = props[2]![1].value as [string, string][];
  t.true(allow.some(([p, a]) => p === '/dev/char/1:3' && a === 'rwm')); // /dev/null
  t.true(allow.some(([p, a]) => p === 'char-pts' && a === 'rwm'));
  t.true(allow.some(([p, a]) => p === 'block-sd' && a === 'r'));
  t.deepEqual(byName(deviceProperties(containerDeviceRules([{ allow: true, access: 'rwm' }]), groups)), { DevicePolicy: 'auto', DeviceAllow: [] });
  const warned: string[] = [];
  const deny = deviceProperties(containerDeviceRules([{ allow: true, access: 'rwm' }, { allow: false, type: 'b', major: 8, minor: 0, access: 'rwm' }]), groups, (m) => warned.push(m));
  t.deepEqual(byName(deny), { DevicePolicy: 'strict', DeviceAllow: [] });
  t.is(warned.length, 1);
});

test('the unit directories: each hierarchy, below the manager own cgroup', (t) => {
  const base: CgroupState = { version: 1, driver: 'systemd', mode: 'v2', inner: '', paths: {}, mounts: {}, created: [] };
  const v2 = detectFromMountinfo('30 24 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
  t.is(unitCgroupState(base, v2, '/', '/system.slice/tsrun-c1.scope').unified, '/sys/fs/cgroup/system.slice/tsrun-c1.scope');
  t.is(unitCgroupState(base, v2, '/user.slice/user-1000.slice/user@1000.service', '/user.slice/tsrun-c1.scope').unified,
    '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/user.slice/tsrun-c1.scope');
  t.is(parseSystemdVersion('252.33-1~deb12u1'), 252);
  t.is(parseSystemdVersion('v245'), 245);
  t.is(parseSystemdVersion('x'), 0);
});

test('the cgroupfs driver loads no D-Bus code: index.ts reaches dbus/, systemd-dbus.ts and systemd-props.ts only through import()', (t) => {
  const cgroups = resolve(fileURLToPath(import.meta.url), '../../../../src/cgroups');
  const staticImports = (file: string) =>
    [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)(?:import|export)\s+(?!type\b)[^'"]*?from\s*'(\.[^']+)'/g)].map((m) => resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'));
  const seen = new Set<string>();
  const walk = (f: string) => {
    if (seen.has(f) || !f.startsWith(cgroups)) return;
    seen.add(f);
    staticImports(f).forEach(walk);
  };
  walk(join(cgroups, 'index.ts'));
  t.true(seen.has(join(cgroups, 'systemd-manager.ts')));
  t.deepEqual([...seen].map((f) => relative(cgroups, f)).filter((f) => /^dbus\/|^systemd-(dbus|props)\.ts$/.test(f)), []);
});
