import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { compileSeccomp, defaultSeccompProfile, SeccompCache } from '../../src/seccomp/index.js';
import { canonicalJson, cacheKey } from '../../src/seccomp/cache.js';
import { loadLibseccomp, type Libseccomp } from '../../src/sys/libseccomp.js';

function tmpdir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-seccomp-cache-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The real binding, counting the calls that compile (not the cheap version/arch queries). */
function countingLib(): { lib: Libseccomp; calls: Record<string, number> } {
  const real = loadLibseccomp();
  const calls: Record<string, number> = {};
  const lib = new Proxy(real, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { lib, calls };
}

const COMPILING = ['version', 'identity', 'init', 'archAdd', 'ruleAddArray', 'exportBpf', 'syscallResolveName', 'syscallResolveNameArch', 'attrSet'];

test('the second compile comes from the cache: identical bytes, libseccomp not asked to compile', (t) => {
  const dir = tmpdir(t);
  const profile = defaultSeccompProfile();
  const { lib, calls } = countingLib();
  const first = compileSeccomp(profile, { cacheDir: dir, lib });
  t.false(first.fromCache);
  t.true((calls.init ?? 0) === 1 && (calls.exportBpf ?? 0) === 1);
  for (const k of Object.keys(calls)) delete calls[k];

  const second = compileSeccomp(structuredClone(profile), { cacheDir: dir, lib });
  t.true(second.fromCache);
  t.deepEqual(Buffer.from(second.program), Buffer.from(first.program));
  t.deepEqual(second.warnings, first.warnings);
  t.is(second.flags, first.flags);
  for (const fn of COMPILING) t.is(calls[fn] ?? 0, 0, fn);
  // Not even the version: the hit is validated with a stat() of the library file.
  t.deepEqual(calls, {});
  // One entry, no temp files left behind.
  t.deepEqual(fs.readdirSync(dir).filter((f) => !f.endsWith('.json')), []);
  t.is(fs.readdirSync(dir).length, 1);
});

test('warnings (unknown syscalls) are replayed from the cache', (t) => {
  const dir = tmpdir(t);
  const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['nope_syscall', 'mount'], action: 'SCMP_ACT_ERRNO' }] };
  const a = compileSeccomp(profile, { cacheDir: dir });
  const b = compileSeccomp(profile, { cacheDir: dir });
  t.true(b.fromCache);
  t.is(a.warnings.length, 1);
  t.deepEqual(b.warnings, a.warnings);
});

test('a corrupt entry is recompiled and rewritten', (t) => {
  const dir = tmpdir(t);
  const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] };
  const good = compileSeccomp(profile, { cacheDir: dir });
  const [file] = fs.readdirSync(dir);
  const full = path.join(dir, file!);
  const original = fs.readFileSync(full, 'utf8');

  const corruptions: ((s: string) => string)[] = [
    () => 'not json',
    (s) => s.slice(0, s.length / 2),
    (s) => {
      const e = JSON.parse(s);
      e.program = Buffer.from('\x06\x00\x00\x00\x00\x00\xff\x7f').toString('base64'); // valid BPF, wrong sha
      return JSON.stringify(e);
    },
    (s) => {
      const e = JSON.parse(s);
      e.key = '0'.repeat(64);
      return JSON.stringify(e);
    },
    () => '',
  ];
  for (const corrupt of corruptions) {
    fs.writeFileSync(full, corrupt(original));
    const again = compileSeccomp(profile, { cacheDir: dir });
    t.false(again.fromCache);
    t.deepEqual(Buffer.from(again.program), Buffer.from(good.program));
    t.is(fs.readFileSync(full, 'utf8'), original);
    t.true(compileSeccomp(profile, { cacheDir: dir }).fromCache);
  }
});

test('the key covers what the program depends on, and only that', (t) => {
  const dir = tmpdir(t);
  const base = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
  };
  t.false(compileSeccomp(base, { cacheDir: dir }).fromCache);
  // Key order, listenerPath, comments and flags do not change the program.
  const reordered = { syscalls: [{ action: 'SCMP_ACT_ALLOW', names: ['read'], comment: 'x' }], architectures: ['SCMP_ARCH_X86_64'], defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_LOG'] };
  t.true(compileSeccomp(reordered, { cacheDir: dir }).fromCache);
  t.is(compileSeccomp(reordered, { cacheDir: dir }).flags, 2);
  // Anything else does.
  t.false(compileSeccomp({ ...base, defaultErrnoRet: 2 }, { cacheDir: dir }).fromCache);
  t.false(compileSeccomp({ ...base, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] }, { cacheDir: dir }).fromCache);
  t.false(compileSeccomp({ ...base, syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] }, { cacheDir: dir }).fromCache);
  t.false(compileSeccomp(base, { cacheDir: dir, enosysStub: false }).fromCache);
  t.is(fs.readdirSync(dir).length, 5);
});

test('an entry from another libseccomp is recompiled', (t) => {
  const dir = tmpdir(t);
  const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] };
  compileSeccomp(profile, { cacheDir: dir });
  const [file] = fs.readdirSync(dir);
  const full = path.join(dir, file!);
  const entry = JSON.parse(fs.readFileSync(full, 'utf8'));
  t.regex(entry.libseccomp.version, /^\d+\.\d+\.\d+$/);
  t.regex(entry.libseccomp.file.path, /libseccomp\.so/);

  // The library file changed (an upgrade): miss.
  fs.writeFileSync(full, JSON.stringify({ ...entry, libseccomp: { ...entry.libseccomp, file: { ...entry.libseccomp.file, mtimeMs: 1 } } }));
  t.false(compileSeccomp(profile, { cacheDir: dir }).fromCache);
  // No file recorded: the versions are compared instead.
  const { file: _file, ...versionOnly } = entry.libseccomp;
  fs.writeFileSync(full, JSON.stringify({ ...entry, libseccomp: versionOnly }));
  t.true(compileSeccomp(profile, { cacheDir: dir }).fromCache);
  fs.writeFileSync(full, JSON.stringify({ ...entry, libseccomp: { version: '0.0.1' } }));
  t.false(compileSeccomp(profile, { cacheDir: dir }).fromCache);
  t.true(compileSeccomp(profile, { cacheDir: dir }).fromCache);
});

test('an unusable cache directory costs a warning, not the compile', (t) => {
  const dir = tmpdir(t);
  const blocker = path.join(dir, 'file');
  fs.writeFileSync(blocker, '');
  const r = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }, { cacheDir: path.join(blocker, 'cache') });
  t.true(r.program.length > 0);
  t.regex(r.warnings.join('\n'), /^seccomp cache: mkdir .*: /m);
});

test('cache primitives: canonical JSON, key format, atomic put/get', (t) => {
  t.is(canonicalJson({ b: 1, a: [{ d: 2n, c: undefined }] }), '{"a":[{"d":"2n"}],"b":1}');
  t.regex(cacheKey({ a: 1 }), /^[0-9a-f]{64}$/);
  t.is(cacheKey({ a: 1, b: 2 }), cacheKey({ b: 2, a: 1 }));
  const cache = new SeccompCache(path.join(tmpdir(t), 'nested', 'dir'));
  const key = cacheKey('x');
  t.is(cache.get(key), undefined);
  const program = new Uint8Array([6, 0, 0, 0, 0, 0, 0xff, 0x7f]);
  const libseccomp = { version: '2.5.4' };
  cache.put(key, { program, warnings: ['w'], libseccomp });
  t.deepEqual(cache.get(key), { program, warnings: ['w'], libseccomp });
  t.is((fs.statSync(cache.pathFor(key)).mode & 0o777), 0o600);
  t.throws(() => cache.pathFor('../etc/passwd'));
});
