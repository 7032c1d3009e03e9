/**
 * update --resources field names: any letter case, as Go's JSON decoding (runc's) matches them;
 * a name that is no field is refused, naming it as given.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUpdateRequest } from '../../src/cli/update.js';
import { canonicalFieldNames, validateResources } from '../../src/lifecycle/update.js';

test('field names in any letter case become the runtime spec\'s', (t) => {
  t.deepEqual(validateResources({ CPU: { Shares: 512, cpus: '0', REALTIMEPERIOD: 1000 }, Memory: { limit: 1024, KernelTcp: 0 } }), {
    cpu: { shares: 512, cpus: '0', realtimePeriod: 1000 },
    memory: { limit: 1024, kernelTCP: 0 },
  });
  t.deepEqual(canonicalFieldNames({ Devices: [{ Allow: false, ACCESS: 'rwm' }], BlockIO: { WeightDevice: [{ Major: 8, minor: 0, Weight: 10 }] } }), {
    devices: [{ allow: false, access: 'rwm' }],
    blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 10 }] },
  });
});

test('free-form names stay as given: unified files, rdma devices', (t) => {
  t.deepEqual(canonicalFieldNames({ Unified: { 'Memory.High': '1' }, RDMA: { MLX5_0: { HcaHandles: 2 } } }), {
    unified: { 'Memory.High': '1' },
    rdma: { MLX5_0: { hcaHandles: 2 } },
  });
});

test('an unknown field is refused, named as given', (t) => {
  t.throws(() => validateResources({ CPU: { Sharez: 1 } }), { message: 'resources: CPU.Sharez: unknown field (not a runtime-spec LinuxResources field)' });
  t.throws(() => validateResources({ Memroy: {} }), { message: 'resources: Memroy: unknown field (not a runtime-spec LinuxResources field)' });
  t.throws(() => validateResources({ devices: [{ allow: true, Acces: 'r' }] }), { message: 'resources: devices[0].Acces: unknown field (not a runtime-spec LinuxResources field)' });
});

test('the same field twice in different cases is refused', (t) => {
  t.throws(() => validateResources({ cpu: { shares: 1, Shares: 2 } }), { message: /cpu\.Shares: the field "shares" is given twice \(as "shares" and "Shares"\)/ });
});

test('--resources FILE with capitalised names, and the flags over it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-update-fields-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'r.json');
  writeFileSync(file, JSON.stringify({ CPU: { Shares: 512 }, Pids: { Limit: 10 } }));
  t.deepEqual(readUpdateRequest(file, { 'pids-limit': '20' }), { cpu: { shares: 512 }, pids: { limit: 20 } });
});
