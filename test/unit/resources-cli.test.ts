/**
 * The resource commands' pure parts (no root): runc's size syntax, the update flags merged into a
 * LinuxResources request, its validation messages, merging into the stored limits, ps's table
 * filtering and the events interval.
 */
import test from 'ava';
import { splitArgv } from '../../src/cli/argv.js';
import { parseGoDuration } from '../../src/cli/events.js';
import { mergeFlags, parseSize, readUpdateRequest } from '../../src/cli/update.js';
import { filterPsTable, pidIndex } from '../../src/lifecycle/ps.js';
import { checkEffective, effectiveDelta, mergeResources, validateResources } from '../../src/lifecycle/update.js';

const MiB = 1024 * 1024;

test('sizes parse as runc (go-units RAMInBytes): binary suffixes, any case, optional b/ib', (t) => {
  t.is(parseSize('64m'), 64 * MiB);
  t.is(parseSize('64M'), 64 * MiB);
  t.is(parseSize('64mb'), 64 * MiB);
  t.is(parseSize('64MiB'), 64 * MiB);
  t.is(parseSize('1g'), 1024 * MiB);
  t.is(parseSize('2k'), 2048);
  t.is(parseSize('1.5k'), 1536);
  t.is(parseSize('100'), 100);
  t.is(parseSize('100b'), 100);
  t.is(parseSize('32 m'), 32 * MiB);
  t.is(parseSize('1t'), 1024 ** 4);
  t.is(parseSize('-1'), -1);
});

test('bad sizes are refused with go-units\' messages', (t) => {
  t.throws(() => parseSize('64x'), { message: "invalid suffix: 'x'" });
  t.throws(() => parseSize('64mbb'), { message: "invalid suffix: 'mbb'" });
  t.throws(() => parseSize('64mx'), { message: "invalid suffix: 'mx'" });
  t.throws(() => parseSize('m'), { message: "invalid size: 'm'" });
  t.throws(() => parseSize(''), { message: "invalid size: ''" });
  t.throws(() => parseSize('-2'), { message: "invalid size: '-2'" });
  t.throws(() => parseSize('1,5m'), { message: "invalid size: '1,5m'" });
});

test('flags become LinuxResources fields', (t) => {
  t.deepEqual(
    mergeFlags({}, {
      memory: '64m', 'memory-reservation': '32m', 'memory-swap': '-1', 'kernel-memory': '1g', 'kernel-memory-tcp': '8m',
      'cpu-share': '512', 'cpu-period': '100000', 'cpu-quota': '-1', 'cpu-burst': '1000', 'cpu-rt-period': '1000000',
      'cpu-rt-runtime': '950000', 'cpu-idle': '1', 'cpuset-cpus': '0-1', 'cpuset-mems': '0', 'pids-limit': '100', 'blkio-weight': '500',
    }),
    {
      memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: -1, kernel: 1024 * MiB, kernelTCP: 8 * MiB },
      cpu: { shares: 512, period: 100000, quota: -1, burst: 1000, realtimePeriod: 1000000, realtimeRuntime: 950000, idle: 1, cpus: '0-1', mems: '0' },
      pids: { limit: 100 },
      blockIO: { weight: 500 },
    },
  );
});

test('flags override the fields of the --resources JSON and keep the rest', (t) => {
  const base = { memory: { limit: 1000, swappiness: 10 }, cpu: { shares: 2 }, pids: { limit: 5 } };
  t.deepEqual(mergeFlags(base, { memory: '2k', 'pids-limit': '-1' }), {
    memory: { limit: 2048, swappiness: 10 }, cpu: { shares: 2 }, pids: { limit: -1 },
  });
  t.deepEqual(base.memory, { limit: 1000, swappiness: 10 }, 'the input is not modified');
  t.deepEqual(mergeFlags(base, {}), base);
});

test('bad flag values name the flag', (t) => {
  t.throws(() => mergeFlags({}, { memory: '64x' }), { message: "invalid value for --memory: invalid suffix: 'x'" });
  t.throws(() => mergeFlags({}, { 'memory-swap': 'lots' }), { message: "invalid value for --memory-swap: invalid size: 'lots'" });
  t.throws(() => mergeFlags({}, { 'cpu-share': '-5' }), { message: 'invalid value for --cpu-share: "-5" is not an unsigned integer' });
  t.throws(() => mergeFlags({}, { 'cpu-quota': '1.5' }), { message: 'invalid value for --cpu-quota: "1.5" is not an integer' });
  t.throws(() => mergeFlags({}, { 'pids-limit': 'ten' }), { message: 'invalid value for --pids-limit: "ten" is not an integer' });
});

test('Intel RDT flags are refused clearly', (t) => {
  t.throws(() => mergeFlags({}, { 'l3-cache-schema': 'L3:0=f' }), { message: /^--l3-cache-schema: Intel RDT\/CAT: l3 cache schema is not enabled/ });
  t.throws(() => mergeFlags({}, { 'mem-bw-schema': 'MB:0=50' }), { message: /^--mem-bw-schema: Intel RDT\/MBA: memory bandwidth schema is not enabled/ });
});

test('validation: one line naming the field', (t) => {
  t.throws(() => validateResources({ memory: { limit: '64m' } }), { message: 'resources: memory.limit: must be an integer, got a string ("64m")' });
  t.throws(() => validateResources({ memroy: { limit: 1 } }), { message: 'resources: memroy: unknown field (not a runtime-spec LinuxResources field)' });
  t.throws(() => validateResources({ cpu: { share: 1 } }), { message: 'resources: cpu.share: unknown field (not a runtime-spec LinuxResources field)' });
  t.throws(() => validateResources({ cpu: { cpus: '0-' } }), { message: 'resources: cpu.cpus: invalid cpu list "0-" (like "0-2,4")' });
  t.throws(() => validateResources({ cpu: { mems: 'all' } }), { message: /^resources: cpu\.mems: invalid memory node list "all"/ });
  t.throws(() => validateResources({ cpu: { period: 10 } }), { message: /^resources: cpu\.period: invalid value 10, the valid range is 1000-1000000/ });
  t.throws(() => validateResources({ cpu: { quota: 5 } }), { message: /^resources: cpu\.quota: invalid value 5/ });
  t.throws(() => validateResources({ cpu: { idle: 2 } }), { message: 'resources: cpu.idle: invalid value 2, must be 0 or 1' });
  t.throws(() => validateResources({ memory: { limit: -2 } }), { message: 'resources: memory.limit: invalid value -2 (bytes, or -1 for unlimited)' });
  t.throws(() => validateResources({ memory: { swappiness: 101 } }), { message: /^resources: memory\.swappiness: invalid value 101/ });
  t.throws(() => validateResources({ blockIO: { weight: 5 } }), { message: 'resources: blockIO.weight: invalid value 5, the valid range is 10-1000' });
  t.throws(() => validateResources({ pids: { limit: 1.5 } }), { message: /^resources: pids\.limit: must be an integer/ });
  t.throws(() => validateResources({ devices: [{ allow: true, access: 'rwx' }] }), { message: /^resources: devices\.0\.access: must match/ });
  t.throws(() => validateResources([]), { message: /^resources: must be a JSON object/ });
  t.throws(() => validateResources('x', 'resources (stdin)'), { message: /^resources \(stdin\): must be a JSON object/ });
});

test('validation accepts what go-runc and podman send (nulls are "not given")', (t) => {
  const r = validateResources({
    memory: { limit: 64 * MiB, swap: -1, reservation: null, disableOOMKiller: false },
    cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-1,3', mems: '' },
    pids: { limit: 0 },
    blockIO: { weight: 10 },
    devices: [{ allow: false, access: 'rwm' }],
    unified: null,
  });
  t.deepEqual(r.memory, { limit: 64 * MiB, swap: -1, disableOOMKiller: false });
  t.false('unified' in r);
});

test('readUpdateRequest: stdin for "-", flags merged over it, then checked', (t) => {
  t.deepEqual(readUpdateRequest('-', { memory: '32m' }, () => '{"memory":{"limit":1000},"pids":{"limit":7}}'), {
    memory: { limit: 32 * MiB }, pids: { limit: 7 },
  });
  t.deepEqual(readUpdateRequest(undefined, { 'pids-limit': '9' }), { pids: { limit: 9 } });
  t.deepEqual(readUpdateRequest(undefined, {}), {});
  t.throws(() => readUpdateRequest('-', {}, () => '{"memory":'), { message: /^resources \(stdin\): invalid JSON/ });
  t.throws(() => readUpdateRequest('/nonexistent/res.json', {}), { message: /^resources \/nonexistent\/res\.json: cannot read \/nonexistent\/res\.json: no such file or directory/ });
});

test('zero means unchanged: effectiveDelta drops it', (t) => {
  t.deepEqual(effectiveDelta({ memory: { limit: 0, swap: 0, swappiness: 0 }, cpu: { shares: 0, cpus: '', idle: 0 }, pids: { limit: 0 }, blockIO: { weight: 0 } }), {
    memory: { swappiness: 0 }, cpu: { idle: 0 },
  });
  t.deepEqual(effectiveDelta({ memory: { limit: 5 }, pids: { limit: -1 } }), { memory: { limit: 5 }, pids: { limit: -1 } });
});

test('mergeResources: fields merged, lists replaced, unlimited memory takes swap along', (t) => {
  const stored = { memory: { limit: 100, swap: 200 }, cpu: { shares: 2, cpus: '0' }, devices: [{ allow: false, access: 'rwm' }] };
  t.deepEqual(mergeResources(stored, { memory: { limit: 150 }, pids: { limit: 10 } }), {
    memory: { limit: 150, swap: 200 }, cpu: { shares: 2, cpus: '0' }, devices: [{ allow: false, access: 'rwm' }], pids: { limit: 10 },
  });
  t.deepEqual(mergeResources(stored, { memory: { limit: -1 } }).memory, { limit: -1, swap: -1 });
  t.deepEqual(mergeResources(stored, { devices: [] }).devices, []);
  t.deepEqual(mergeResources({}, { memory: { limit: 5, checkBeforeUpdate: true } }).memory, { limit: 5 }, 'checkBeforeUpdate is per request');
  t.deepEqual(stored.memory, { limit: 100, swap: 200 }, 'the stored object is not modified');
});

test('checkEffective: swap below the limit is refused', (t) => {
  t.throws(() => checkEffective({ memory: { limit: 200, swap: 100 } }), {
    message: 'resources: memory.swap: the memory+swap limit (100) must not be lower than the memory limit (200)',
  });
  t.throws(() => checkEffective({ memory: { limit: -1, swap: 100 } }), { message: /^resources: memory\.swap: a memory\+swap limit \(100\) needs a memory limit/ });
  t.notThrows(() => checkEffective({ memory: { limit: 100, swap: 100 } }));
  t.notThrows(() => checkEffective({ memory: { limit: 100, swap: -1 } }));
  t.notThrows(() => checkEffective({}));
});

const PS_EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 06:00 ?        00:00:01 /sbin/init
root        4242       1  0 06:01 ?        00:00:00 sh -c sleep 1000 & sleep 1000
root        4243    4242  0 06:01 ?        00:00:00 sleep 1000
root        4244    4242  0 06:01 ?        00:00:00 sleep 1000
root       14243       1  0 06:01 ?        00:00:00 sleep 4243
`;

test('ps table: the header and the lines whose PID column is in the container', (t) => {
  t.is(
    filterPsTable(PS_EF, [4242, 4244, 99999]),
    'UID          PID    PPID  C STIME TTY          TIME CMD\n' +
      'root        4242       1  0 06:01 ?        00:00:00 sh -c sleep 1000 & sleep 1000\n' +
      'root        4244    4242  0 06:01 ?        00:00:00 sleep 1000\n',
  );
  t.is(filterPsTable(PS_EF, []), 'UID          PID    PPID  C STIME TTY          TIME CMD\n');
});

test('ps table: the PID column is found wherever it is (ps -o, ps aux)', (t) => {
  t.is(filterPsTable('  PID COMMAND\n    7 sh\n    8 sleep\n', [8]), '  PID COMMAND\n    8 sleep\n');
  t.is(pidIndex('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND'), 1);
  t.is(filterPsTable('USER PID %CPU COMMAND\nroot 12 0.0 a b c\nroot 13 0.0 d\n', [13]), 'USER PID %CPU COMMAND\nroot 13 0.0 d\n');
});

test('ps table: no PID column, or an unparsable one, is an error as in runc', (t) => {
  t.throws(() => filterPsTable('COMMAND\nsh\n', [1]), { message: "couldn't find PID field in ps output" });
  t.throws(() => filterPsTable('PID CMD\nabc sh\n', [1]), { message: /^unable to parse pid: "abc"/ });
});

test('ps: flags stop at the container id, the rest goes to ps', (t) => {
  t.deepEqual(splitArgv(['ps', '--format', 'json', 'ctr']), { args: ['ps', '--format', 'json', 'ctr'], rest: [] });
  t.deepEqual(splitArgv(['ps', 'ctr', '-o', 'pid,comm']), { args: ['ps', 'ctr'], rest: ['-o', 'pid,comm'] });
  t.deepEqual(splitArgv(['ps', '-f', 'table', 'ctr', '-ef']), { args: ['ps', '-f', 'table', 'ctr'], rest: ['-ef'] });
});

test('events --interval: Go durations', (t) => {
  t.is(parseGoDuration('5s'), 5000);
  t.is(parseGoDuration('500ms'), 500);
  t.is(parseGoDuration('1m30s'), 90_000);
  t.is(parseGoDuration('1.5h'), 5_400_000);
  t.is(parseGoDuration('2000us'), 2);
  t.is(parseGoDuration('0'), 0);
  t.is(parseGoDuration('-1s'), -1000);
  t.throws(() => parseGoDuration('5'), { message: 'time: missing unit in duration "5"' });
  t.throws(() => parseGoDuration('5x'), { message: 'time: unknown unit "x" in duration "5x"' });
  t.throws(() => parseGoDuration('s'), { message: 'time: invalid duration "s"' });
  t.throws(() => parseGoDuration(''), { message: 'time: invalid duration ""' });
});
