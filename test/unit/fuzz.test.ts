/**
 * Hostile input (issue "Security", item 6): thousands of random and mutated config.json files
 * through the loader, the checks, the seccomp compiler, the cgroup managers (on an in-memory
 * tree), the planner and the plan encoder. Each must end in an encoded plan or in a one-line
 * TsrunError that says where; never a TypeError, a RangeError, a crash, a hang or a multi-line
 * message. The seed and the count are fixed here; `node dist/scripts/fuzz.js` runs longer.
 *
 * A failure prints the case's seed and index (replay: node dist/scripts/fuzz.js --seed S --index I)
 * and a minimised config.json that still fails the same way.
 */
import test from 'ava';
import { ConfigError, SysError, TsrunError, UnsupportedError } from '../../src/errors.js';
import { compileSeccomp, defaultSeccompProfile } from '../../src/seccomp/index.js';
import { toText, type Json } from '../fuzz/json.js';
import { Rng } from '../fuzz/prng.js';
import { FuzzFailure, judgeError, minimise, runPipeline } from '../fuzz/pipeline.js';
import { caseAt, runFuzz, seedDocs } from '../fuzz/run.js';

/** The CI run: fixed seed, 4000 cases (one in four a random document, the rest mutated seeds). */
const SEED = Number(process.env.TSRUN_FUZZ_SEED ?? 20_250_611);
const COUNT = Number(process.env.TSRUN_FUZZ_COUNT ?? 4000);
/** CPU milliseconds one case may take (the slowest take ~200 ms). */
const SLOW_MS = 3000;

test('the PRNG is seeded and reproducible, case by case', (t) => {
  const a = Rng.forCase(7, 123);
  const b = Rng.forCase(7, 123);
  const xs = Array.from({ length: 20 }, () => a.next());
  t.deepEqual(Array.from({ length: 20 }, () => b.next()), xs);
  t.notDeepEqual(Array.from({ length: 20 }, () => Rng.forCase(7, 124).next()), xs);
  t.notDeepEqual(Array.from({ length: 20 }, () => Rng.forCase(8, 123).next()), xs);
  const r = new Rng(1);
  for (let i = 0; i < 1000; i++) {
    const f = r.float();
    t.true(f >= 0 && f < 1);
    const n = r.range(-3, 3);
    t.true(Number.isInteger(n) && n >= -3 && n <= 3);
  }
  // A case is the same whatever ran before it.
  t.is(caseAt(SEED, 1234).text, caseAt(SEED, 1234).text);
  t.not(caseAt(SEED, 1234).text, caseAt(SEED, 1235).text);
});

test('the JSON writer keeps what only the text can say', (t) => {
  const text = toText(JSON.parse('{"a":1e400,"b":-0,"c":[18446744073709551615],"__proto__":{"x":"\\u0000\\ud800"}}') as Json);
  const back = JSON.parse(text);
  t.is(back.a, Infinity);
  t.true(Object.is(back.b, -0));
  t.is(back.c[0], 2 ** 64);
  t.true(Object.hasOwn(back, '__proto__'));
  t.is(back.__proto__.x, '\u0000\ud800');
  let deep: Json = 'leaf';
  for (let i = 0; i < 20_000; i++) deep = [deep];
  t.is(toText(deep).length, 40_006);
});

test('the contract: what counts as a clean error', (t) => {
  t.is(judgeError(new ConfigError('config.json: /process/args/0: must not contain a NUL byte')), undefined);
  t.is(judgeError(new UnsupportedError('linux.resources.unified: cannot apply: this host uses cgroup v1')), undefined);
  t.is(judgeError(new ConfigError('process.json: /cwd: must be an absolute path')), undefined);
  t.regex(judgeError(new TypeError("Cannot read properties of undefined (reading 'x')"))!.kind, /not a TsrunError: TypeError/);
  t.regex(judgeError(new RangeError('u32 out of range: -1'))!.kind, /not a TsrunError: RangeError/);
  t.regex(judgeError('a string')!.kind, /not a TsrunError/);
  t.is(judgeError(new ConfigError('config.json: /a: one\ntwo'))!.kind, 'multi-line message');
  t.is(judgeError(new ConfigError('config.json: /a: x\u0000y'))!.kind, 'control character in message');
  t.is(judgeError(new ConfigError(''))!.kind, 'empty message');
  t.is(judgeError(new ConfigError(`config.json: /a: ${'x'.repeat(2000)}`))!.kind, 'message too long');
  t.is(judgeError(new ConfigError('invalid'))!.kind, 'message does not say where');
  t.is(judgeError(new SysError('cgroup: mkdir', '/sys/fs/cgroup/x', 'ENAMETOOLONG'))!.kind, 'message does not say where');
  t.true(new ConfigError('x') instanceof TsrunError);
});

test('minimise keeps the failure and drops the rest', (t) => {
  const doc = JSON.parse(toText(seedDocs().find((s) => s.name === 'kitchen sink')!.doc)) as Record<string, any>;
  doc.process.env.push('EVIL=\u0000');
  const small = minimise(doc as Json, (text) => text.includes('EVIL'));
  t.true(toText(small).length < 40, toText(small));
  t.true(toText(small).includes('EVIL'));
});

/** Configs that crashed the pipeline before the fixes: each is a clean error now. */
const REGRESSIONS: Array<[string, (s: any) => void, RegExp]> = [
  ['NUL in an argument', (s) => (s.process.args = ['sh\u0000']), /^config\.json: \/process\/args\/0: must not contain a NUL byte$/],
  ['NUL in the environment', (s) => (s.process.env = ['PATH=/bin\u0000']), /^config\.json: \/process\/env\/0: must not contain a NUL byte$/],
  ['NUL in the cwd', (s) => (s.process.cwd = '/\u0000'), /^config\.json: \/process\/cwd: must not contain a NUL byte$/],
  ['NUL in a mount type', (s) => (s.mounts = [{ destination: '/x', type: 'tmpfs\u0000' }]), /^config\.json: \/mounts\/0\/type: "tmpfs\\u0000" is not a file system type$/],
  ['NUL in a mount option', (s) => (s.mounts = [{ destination: '/x', type: 'tmpfs', options: ['\u0000ro'] }]), /^config\.json: \/mounts\/0\/options\/0: must not/],
  ['NUL in the hostname', (s) => { s.hostname = 'h\u0000'; s.linux.namespaces.push({ type: 'uts' }); }, /^config\.json: \/hostname: must not contain/],
  ['NUL in a namespace path', (s) => s.linux.namespaces.push({ type: 'ipc', path: '/proc/1/ns/ipc\u0000' }), /^config\.json: \/linux\/namespaces\/1\/path: must not/],
  ['NUL in a masked path', (s) => (s.linux.maskedPaths = ['/proc/kcore\u0000']), /^config\.json: \/linux\/maskedPaths\/0: must not/],
  ['NUL in a sysctl name', (s) => { s.linux.sysctl = { 'net.x\u0000': '1' }; s.linux.namespaces.push({ type: 'network' }); }, /^config\.json: \/linux\/sysctl\/net\.x\\u0000: the name must not/],
  ['NUL in a hook path', (s) => (s.hooks = { createContainer: [{ path: '/bin/hook\u0000' }] }), /^config\.json: \/hooks\/createContainer\/0\/path: must not/],
  ['NUL in a seccomp syscall name', (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read\u0000'], action: 'SCMP_ACT_ERRNO' }] }), /^config\.json: \/linux\/seccomp\/syscalls\/0\/names\/0: must not/],
  ['a console wider than a winsize', (s) => { s.process.terminal = true; s.process.consoleSize = { height: 0, width: 2 ** 64 }; }, /^config\.json: \/process\/consoleSize\/width: must be at most 65535/],
  ['a device major below 0', (s) => (s.linux.devices = [{ path: '/dev/x', type: 'c', major: -1, minor: 0 }]), /^config\.json: \/linux\/devices\/0\/major: must be between 0 and 4294967295 \(got -1\)$/],
  ['a device minor above u32', (s) => (s.linux.devices = [{ path: '/dev/x', type: 'c', major: 1, minor: 2 ** 40 }]), /^config\.json: \/linux\/devices\/0\/minor: must be between/],
  ['a plan too large for the executor', (s) => (s.process.env = Array.from({ length: 20_000 }, () => `A=${'a'.repeat(1000)}`)), /^config\.json: the set-up plan would take \d+ bytes, more than the executor accepts/],
  ['a device outside /dev, with a new line', (s) => (s.linux.devices = [{ path: '/\ndev/null', type: 'p' }]), /^config\.json: \/linux\/devices\/0\/path: must be under \/dev \(got "\/\\ndev\/null"\)$/],
  ['a unified file name with a new line', (s) => (s.linux.resources = { unified: { 'cpu.weight\n': '1' } }), /^config\.json: \/linux\/resources\/unified\/cpu\.weight\\u000a: not a cgroup file name$/],
  ['a unified file name longer than NAME_MAX', (s) => (s.linux.resources = { unified: { [`cpu.${'a'.repeat(300)}`]: '1' } }), /^config\.json: \/linux\/resources\/unified\/cpu\.a+: not a cgroup file name$/],
  ['a huge page size of 3000 digits', (s) => (s.linux.resources = { hugepageLimits: [{ pageSize: `${'1'.repeat(3000)}MB`, limit: 1 }] }), /^config\.json: \/linux\/resources\/hugepageLimits\/0\/pageSize: "1+\.\.\.$/],
  ['an id-mapped mount of a type with a new line', (s) => (s.mounts = [{ destination: '/x', type: 'tm\npfs', source: '/s', uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }]), /^config\.json: \/mounts\/0\/type: "tm\\npfs" is not a file system type$/],
  ['a cgroup name longer than NAME_MAX', (s) => (s.linux.cgroupsPath = `/${'a'.repeat(256)}`), /^config\.json: \/linux\/cgroupsPath: a name in the path is longer than 255 bytes$/],
];

test('regression: a cgroup named "..." is under its hierarchy, not above it', (t) => {
  for (const variant of [0, 1]) {
    const s = { ociVersion: '1.0.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'] }, linux: { namespaces: [{ type: 'mount' }], cgroupsPath: '/.../x' } };
    t.is(runPipeline(JSON.stringify(s), { variant }).outcome, 'created');
  }
});

test('regression: a cgroupsPath through a control file names the field', (t) => {
  for (const [path, variant] of [['/cgroup.procs', 0], ['memory.max', 0], ['cgroup.procs/x', 0], ['/cgroup.procs', 1], ['cgroup.procs/x', 1]] as const) {
    const s = { ociVersion: '1.0.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'] }, linux: { namespaces: [{ type: 'mount' }], cgroupsPath: path } };
    const r = runPipeline(JSON.stringify(s), { variant });
    t.regex(r.message ?? '', /^linux\.cgroupsPath: \/sys\/fs\/cgroup\/.* is a file, not a cgroup$/, `${path} (variant ${variant})`);
  }
});

test('regression: a 3 KiB cgroupsPath makes a bounded message when a file is missing', (t) => {
  const s = { ociVersion: '1.0.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'] }, linux: { namespaces: [{ type: 'mount' }], cgroupsPath: `/${'abcdefghi/'.repeat(300)}x`, resources: { blockIO: { leafWeight: 10 } } } };
  const r = runPipeline(JSON.stringify(s), { variant: 1 });
  t.is(r.stage, 'cgroups');
  t.regex(r.message!, /^linux\.resources\.blockIO\.leafWeight: cannot apply: \/sys\/fs\/cgroup\/blkio\/.*\.\.\..*\/blkio\.leaf_weight does not exist$/);
  t.true(r.message!.length < 400);
});

test('regression: a repeated seccomp rule is compiled once, not in time quadratic in the copies', (t) => {
  const profile = defaultSeccompProfile();
  const big = profile.syscalls!.reduce((a, b) => (b.names.length > a.names.length ? b : a));
  const repeated = { ...profile, syscalls: [...profile.syscalls!, ...Array.from({ length: 100 }, () => structuredClone(big))] };
  const t0 = process.cpuUsage();
  const a = compileSeccomp(repeated, { cacheDir: false });
  const cpu = process.cpuUsage(t0);
  t.true((cpu.user + cpu.system) / 1000 < 3000, `${(cpu.user + cpu.system) / 1000} ms`);
  t.deepEqual(Buffer.from(a.program), Buffer.from(compileSeccomp(profile, { cacheDir: false }).program));
  const many = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: Array.from({ length: 5000 }, (_, i) => ({ index: 0, value: i, op: 'SCMP_CMP_EQ' })) }] };
  t.throws(() => compileSeccomp(many, { cacheDir: false }), { instanceOf: ConfigError, message: /^linux\.seccomp\.syscalls: 5000 distinct rules .* more than tsrun compiles \(4096\)$/ });
});

for (const [name, patch, want] of REGRESSIONS) {
  test(`regression: ${name}`, (t) => {
    const s = { ociVersion: '1.0.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'] }, linux: { namespaces: [{ type: 'mount' }] } };
    patch(s);
    const r = runPipeline(JSON.stringify(s), { variant: 0 });
    t.is(r.outcome, 'rejected');
    t.regex(r.message ?? '', want);
  });
}

test('the seeds: every built seed gets through, most of them to an encoded plan', (t) => {
  let created = 0;
  for (const s of seedDocs()) {
    for (const variant of [0, 1]) {
      try {
        const r = runPipeline(toText(s.doc), { variant });
        if (r.outcome === 'created') created++;
      } catch (e) {
        t.fail(`${s.name} (variant ${variant}): ${e instanceof FuzzFailure ? e.message : String(e)}`);
      }
    }
  }
  t.true(created >= 20, `only ${created} seed runs made a plan`);
});

test(`fuzz: ${COUNT} cases of seed ${SEED} end in a plan or a clean error`, (t) => {
  const sum = runFuzz({ seed: SEED, count: COUNT, slowMs: SLOW_MS, maxFailures: 3 });
  t.log(
    `${sum.cases} cases in ${Math.round(sum.ms)} ms: ${sum.created} planned, rejected at ${Object.entries(sum.rejected).map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
      `slowest case ${sum.slowest.index} (${Math.round(sum.slowest.ms)} ms CPU)`,
  );
  for (const f of sum.failures) t.log(f);
  t.is(sum.failures.length, 0, `${sum.failures.length} case(s) broke the contract; see the log above`);
  // The fuzz must reach past the schema, or it proves nothing about the planner.
  t.is(sum.cases, COUNT);
  t.true(sum.created >= COUNT / 20, `only ${sum.created} cases made a plan`);
  const beyond = sum.created + Object.entries(sum.rejected).filter(([k]) => k !== 'parse' && k !== 'validate').reduce((n, [, v]) => n + v, 0);
  t.true(beyond >= COUNT / 10, `only ${beyond} cases got past validation`);
  t.true((sum.rejected.parse ?? 0) > 0 && (sum.rejected.validate ?? 0) > 0);
});
