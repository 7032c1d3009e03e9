/**
 * Hostile and broken input: every failure is one ConfigError line naming the file (and the field
 * when there is one), never a crash, a TypeError or a multi-line message.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { mayHoldNul } from '../../src/spec/load.js';
import { loadProcess, loadSpec, validateFeatures, validateProcess, validateSpec, validateState } from '../../src/spec/index.js';

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw new Error(`not a ConfigError: ${(e as Error)?.stack ?? e}`);
    if (/[\n\r]/.test(e.message)) throw new Error(`multi-line message: ${JSON.stringify(e.message)}`);
    return e.message;
  }
  return '';
}

const ok = () => ({
  ociVersion: '1.0.0',
  root: { path: 'rootfs' },
  process: { cwd: '/', args: ['sh'] },
  linux: { namespaces: [{ type: 'mount' }] },
});
const mutate = (f: (s: any) => void) => {
  const s: any = ok();
  f(s);
  return s;
};

test('a non-object root is a one-line error', (t) => {
  for (const [v, got] of [
    [null, 'null'],
    [[], 'an array'],
    ['config', 'a string ("config")'],
    [42, 'a number (42)'],
    [true, 'a boolean (true)'],
  ] as const) {
    t.is(failure(() => validateSpec(v)), `config.json: (root): must be an object, got ${got}`);
    t.regex(failure(() => validateState(v)), /^state\.json: \(root\): must be an object/);
    t.regex(failure(() => validateFeatures(v)), /^features\.json: \(root\): must be an object/);
    t.regex(failure(() => validateProcess(v)), /^process\.json: \(root\): must be an object/);
  }
});

test('missing required fields name the field', (t) => {
  t.is(failure(() => validateSpec({})), 'config.json: /ociVersion: is required');
  t.is(failure(() => validateSpec(mutate((s) => delete s.process.cwd))), 'config.json: /process/cwd: is required');
  t.is(failure(() => validateSpec(mutate((s) => (s.root = {})))), 'config.json: /root/path: is required');
  t.is(failure(() => validateSpec(mutate((s) => (s.mounts = [{ source: '/x' }])))), 'config.json: /mounts/0/destination: is required');
  t.is(failure(() => validateSpec(mutate((s) => (s.hooks = { poststop: [{}] })))), 'config.json: /hooks/poststop/0/path: is required');
  t.is(failure(() => validateSpec(mutate((s) => (s.linux.seccomp = {})))), 'config.json: /linux/seccomp/defaultAction: is required');
  t.is(failure(() => validateState({ ociVersion: '1.0.0', id: 'x', status: 'running' })), 'state.json: /bundle: is required');
});

test('wrong types name the field, the expected and the actual type', (t) => {
  t.is(failure(() => validateSpec(mutate((s) => (s.ociVersion = 1)))), 'config.json: /ociVersion: must be a string, got a number (1)');
  t.is(failure(() => validateSpec(mutate((s) => (s.process.args = 'sh')))), 'config.json: /process/args: must be an array, got a string ("sh")');
  t.is(failure(() => validateSpec(mutate((s) => (s.process.args = ['sh', 1])))), 'config.json: /process/args/1: must be a string, got a number (1)');
  t.is(failure(() => validateSpec(mutate((s) => (s.process.terminal = 'yes')))), 'config.json: /process/terminal: must be a boolean, got a string ("yes")');
  t.is(failure(() => validateSpec(mutate((s) => (s.linux = [])))), 'config.json: /linux: must be an object, got an array');
  t.is(failure(() => validateSpec(mutate((s) => (s.annotations = { a: 1 })))), 'config.json: /annotations/a: must be a string, got a number (1)');
  t.is(failure(() => validateSpec(mutate((s) => (s.process.user = { uid: '0' })))), 'config.json: /process/user/uid: must be an integer, got a string ("0")');
  t.is(failure(() => validateSpec(mutate((s) => (s.process.user = { uid: 1.5 })))), 'config.json: /process/user/uid: must be an integer, got a fraction (1.5)');
  t.is(failure(() => validateSpec(mutate((s) => (s.process.user = { uid: null })))), 'config.json: /process/user/uid: must be an integer, got null');
});

test('enums list the allowed values', (t) => {
  t.is(
    failure(() => validateSpec(mutate((s) => (s.linux.namespaces = [{ type: 'pidx' }])))),
    'config.json: /linux/namespaces/0/type: must be one of mount, pid, network, uts, ipc, user, cgroup, time (got "pidx")',
  );
  t.regex(
    failure(() => validateSpec(mutate((s) => (s.process.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }])))),
    /^config\.json: \/process\/rlimits\/0\/type: must be one of RLIMIT_AS, RLIMIT_CORE, .*RLIMIT_STACK \(got "RLIMIT_FOO"\)$/,
  );
  t.regex(
    failure(() => validateSpec(mutate((s) => (s.linux.seccomp = { defaultAction: 'ALLOW' })))),
    /^config\.json: \/linux\/seccomp\/defaultAction: must be one of SCMP_ACT_KILL, .* \(got "ALLOW"\)$/,
  );
  t.regex(failure(() => validateState({ ociVersion: '1', id: 'x', status: 'paused', bundle: '/' })), /^state\.json: \/status: must be one of creating, created, running, stopped \(got "paused"\)$/);
});

test('unknown properties are ignored, except in closed maps', (t) => {
  t.is(failure(() => validateSpec(mutate((s) => (s.futureField = { anything: [1, 2] })))), '');
  t.is(
    failure(() => validateSpec(mutate((s) => (s.linux.timeOffsets = { realtime: { secs: 1 } })))),
    'config.json: /linux/timeOffsets/realtime: is not an allowed property here',
  );
  t.is(failure(() => validateSpec(mutate((s) => (s.annotations = { '': 'x' })))), 'config.json: /annotations: property name "" is not allowed');
});

test('negative and huge numbers are range errors', (t) => {
  t.is(failure(() => validateSpec(mutate((s) => (s.process.user = { uid: -1 })))), 'config.json: /process/user/uid: must be >= 0 (got -1)');
  t.is(failure(() => validateSpec(mutate((s) => (s.process.user = { uid: 2 ** 32 })))), 'config.json: /process/user/uid: must be <= 4294967295 (got 4294967296)');
  t.is(failure(() => validateSpec(mutate((s) => (s.process.oomScoreAdj = 5000)))), 'config.json: /process/oomScoreAdj: must be <= 1000 (got 5000)');
  t.regex(failure(() => validateSpec(mutate((s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 1e30, hard: 1 }])))), /^config\.json: \/process\/rlimits\/0\/soft: must be <= 18446744073709552000 \(got 1e\+30\)$/);
  t.is(failure(() => validateSpec(mutate((s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: -5, hard: 1 }])))), 'config.json: /process/rlimits/0/soft: must be >= 0 (got -5)');
  t.is(failure(() => validateSpec(mutate((s) => (s.hooks = { poststart: [{ path: '/h', timeout: 0 }] })))), 'config.json: /hooks/poststart/0/timeout: must be >= 1 (got 0)');
  t.is(failure(() => validateSpec(mutate((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] })))),
    'config.json: /linux/seccomp/syscalls/0/args/0/index: must be <= 5 (got 6)');
  // 1e400 parses to Infinity.
  const inf = JSON.parse('{"ociVersion":"1.0.0","root":{"path":"r"},"process":{"cwd":"/","args":["a"],"user":{"uid":1e400}}}');
  t.is(failure(() => validateSpec(inf)), 'config.json: /process/user/uid: must be an integer, got a number out of range');
});

test('deep garbage: nesting, big arrays, long and odd strings', (t) => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  // As the whole document, as a known field and as an unknown (ignored) field.
  t.regex(failure(() => validateSpec(JSON.parse(deep(100000)))), /^config\.json: \(root\): must be an object, got an array$/);
  t.is(failure(() => validateSpec(mutate((s) => (s.hostname = JSON.parse(deep(50000)))))), 'config.json: /hostname: must be a string, got an array');
  t.is(failure(() => validateSpec(mutate((s) => (s.garbage = JSON.parse(deep(50000)))))), '');
  const big = Array.from({ length: 100000 }, (_, i) => (i === 99999 ? 7 : 'x'));
  t.is(failure(() => validateSpec(mutate((s) => (s.process.env = big)))), 'config.json: /process/env/99999: must be a string, got a number (7)');
  const long = 'A'.repeat(1_000_000);
  const m = failure(() => validateSpec(mutate((s) => (s.process.cwd = long))));
  t.regex(m, /^config\.json: \/process\/cwd: must be an absolute path \(got "AAA/);
  t.true(m.length <= 600);
  const key = `evil\nkey/${'k'.repeat(10000)}`;
  const m2 = failure(() => validateSpec(mutate((s) => (s.annotations = { [key]: 1 }))));
  t.regex(m2, /^config\.json: \/annotations\/evil\\u000akey~1kkk/);
  t.true(m2.length <= 600);
  t.is(failure(() => validateSpec(mutate((s) => (s.mounts = [{ destination: '/a\nb\u2028c', type: 'tmpfs' }, { destination: 'x\u0000' }])))),
    'config.json: /mounts/1/destination: must be an absolute path (got "x\\u0000")');
  // Keys that mean something to JavaScript objects are plain data here.
  const proto = JSON.parse('{"ociVersion":"1.0.0","root":{"path":"r"},"process":{"cwd":"/","args":["a"]},"__proto__":{"x":1},"annotations":{"__proto__":"a","constructor":"b","toString":"c"},"linux":{"sysctl":{"__proto__":1}}}');
  t.is(failure(() => validateSpec(proto)), 'config.json: /linux/sysctl/__proto__: must be a string, got a number (1)');
});

test('the loader: missing bundle, a directory, empty file, invalid JSON, BOM', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-spec-'));
  t.regex(failure(() => loadSpec(join(dir, 'nope'))), /^config\.json: cannot read .*\/nope\/config\.json: no such file or directory \(ENOENT\)$/);
  mkdirSync(join(dir, 'isdir', 'config.json'), { recursive: true });
  t.regex(failure(() => loadSpec(join(dir, 'isdir'))), /^config\.json: cannot read .*: is a directory \(EISDIR\)$/);
  const bundle = (text: string | Buffer) => {
    const b = mkdtempSync(join(dir, 'b-'));
    writeFileSync(join(b, 'config.json'), text);
    return b;
  };
  t.regex(failure(() => loadSpec(bundle(''))), /^config\.json: invalid JSON: /);
  t.regex(failure(() => loadSpec(bundle('{]'))), /^config\.json: invalid JSON: /);
  t.regex(failure(() => loadSpec(bundle('{"a":1}\n{"b":2}'))), /^config\.json: invalid JSON: /);
  t.regex(failure(() => loadSpec(bundle(Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x00])))), /^config\.json: invalid JSON: /);
  t.regex(failure(() => loadSpec(bundle('{"ociVersion": "1.0.0",\n "root": {"path": "r"},\n "x": [1,,2]}'))), /^config\.json: invalid JSON: /);
  const good = JSON.stringify(ok());
  t.is(loadSpec(bundle(`\ufeff${good}`)).ociVersion, '1.0.0');
  t.is(failure(() => loadSpec(bundle(JSON.stringify(mutate((s) => delete s.process))))), 'config.json: /process: is required to start a container');
  t.is(failure(() => loadSpec(bundle(JSON.stringify(mutate((s) => delete s.process))), { forStart: false })), '');
  const p = join(dir, 'process.json');
  writeFileSync(p, '{"cwd": "/", "args": ["sh"], "terminal": 1}');
  t.is(failure(() => loadProcess(p)), 'process.json: /terminal: must be a boolean, got a number (1)');
  t.regex(failure(() => loadProcess(join(dir, 'missing.json'))), /^process\.json: cannot read .*missing\.json: no such file or directory \(ENOENT\)$/);
  // The NUL walk is skipped for a text without "\u0000": one with it still gets the field named.
  t.is(failure(() => loadSpec(bundle(JSON.stringify(mutate((s) => (s.process.args = ['sh', 'a\u0000b'])))))), 'config.json: /process/args/1: must not contain a NUL byte');
  t.is(failure(() => loadSpec(bundle(JSON.stringify(mutate((s) => (s.mounts = [{ destination: '/x', type: 'tmpfs', source: 't\u0000' }])))))), 'config.json: /mounts/0/source: must not contain a NUL byte');
  writeFileSync(p, JSON.stringify({ cwd: '/', args: ['sh'], env: ['A=\u0000'] }));
  t.is(failure(() => loadProcess(p)), 'process.json: /env/0: must not contain a NUL byte');
});

test('a JSON text may hold a NUL only where it has the escape \\u0000', (t) => {
  t.false(mayHoldNul(JSON.stringify(ok())));
  t.true(mayHoldNul(JSON.stringify({ a: 'x\u0000' })));
  t.true(mayHoldNul(JSON.stringify({ ['k\u0000']: 1 })));
  // An escaped backslash before "u0000" is no NUL, but a false alarm only costs the full walk.
  t.true(mayHoldNul(JSON.stringify({ a: '\\u0000' })));
  t.is(JSON.parse(JSON.stringify({ a: '\\u0000' })).a.includes('\0'), false);
});

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: random mutations of a full config never crash the validator or the checks', (t) => {
  const rand = rng(1234);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const values = [null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e300, '', '/', '..', 'x', 'CAP_FOO', [], [null], {}, { type: 'user' }, ['a'], 'SCMP_ACT_NOTIFY', 'write', 'user', 'time'];
  const full = (): any => ({
    ociVersion: '1.2.0',
    root: { path: 'rootfs', readonly: true },
    hostname: 'h',
    process: {
      cwd: '/',
      args: ['sh'],
      env: ['A=1'],
      user: { uid: 1, gid: 1, additionalGids: [2], umask: 18 },
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 2 }],
      scheduler: { policy: 'SCHED_OTHER', nice: 1 },
      ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 },
      execCPUAffinity: { initial: '0', final: '0-1' },
    },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid'] }],
    hooks: { createRuntime: [{ path: '/h', args: ['h'], env: [], timeout: 1 }] },
    annotations: { a: 'b' },
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'uts' }, { type: 'user' }, { type: 'network' }, { type: 'ipc' }, { type: 'time' }],
      uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }],
      gidMappings: [{ containerID: 0, hostID: 1000, size: 10 }],
      timeOffsets: { boottime: { secs: 1, nanosecs: 2 } },
      sysctl: { 'net.ipv4.ip_forward': '1' },
      devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 2 }],
      netDevices: { eth1: { name: 'e' } },
      cgroupsPath: '/a/b',
      resources: { memory: { limit: 1 }, cpu: { shares: 2, cpus: '0' }, pids: { limit: 3 }, devices: [{ allow: false, access: 'rwm' }], unified: { a: 'b' } },
      seccomp: { defaultAction: 'SCMP_ACT_ERRNO', listenerPath: '/s', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }] },
      memoryPolicy: { mode: 'MPOL_BIND', nodes: '0' },
      intelRdt: { closID: 'c' },
      personality: { domain: 'LINUX' },
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
    },
  });
  t.is(failure(() => validateSpec(full(), 'config.json', { forStart: true })), '');
  let accepted = 0;
  const unsourced: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const doc = full();
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
      // Walk to a random node and replace one of its children (or add one).
      let node: any = doc;
      for (let depth = 0; depth < 6; depth++) {
        const keys = Object.keys(node);
        if (!keys.length || rand() < 0.25) break;
        const k = pick(keys);
        if (node[k] === null || typeof node[k] !== 'object') break;
        node = node[k];
      }
      const keys = Object.keys(node);
      const key = keys.length && rand() < 0.85 ? pick(keys) : Array.isArray(node) ? String(node.length) : pick(['type', 'path', 'x']);
      if (rand() < 0.1) delete node[key];
      else node[key] = structuredClone(pick(values));
    }
    const msg = failure(() => validateSpec(doc, 'config.json', { forStart: true }));
    if (msg === '') accepted++;
    else if (!msg.startsWith('config.json: ')) unsourced.push(msg);
  }
  t.log(`${accepted} of 3000 mutated configs were accepted`);
  t.deepEqual(unsourced, [], 'every rejection is one line starting with the source');
  // The seed is fixed: both outcomes occur, so the mutations reach past the first check.
  t.true(accepted > 0 && accepted < 3000, `${accepted} of 3000 accepted`);
});
