import test from 'ava';
import { ConfigError } from '../../src/errors.js';
import { ACTIONS, ARCHES, OPERATORS, actionValue, describeAction, describeFlags, flagValue, operatorValue } from '../../src/seccomp/names.js';
import { assemble, decodeProgram, encodeProgram } from '../../src/seccomp/bpf.js';
import { enosysStub } from '../../src/seccomp/enosys.js';
import { loadLibseccomp } from '../../src/sys/libseccomp.js';
import { seccompFeatures } from '../../src/seccomp/index.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, runFilter } from './seccomp-bpf-interpreter.js';

test('architecture tokens agree with the loaded libseccomp', (t) => {
  const lib = loadLibseccomp();
  let known = 0;
  for (const [name, info] of Object.entries(ARCHES)) {
    const token = lib.archResolveName(info.libName);
    if (token === 0) continue; // this libseccomp predates the architecture (loongarch64, m68k, sh)
    known++;
    t.is(token, info.token, name);
  }
  t.true(known >= 18);
  t.is(lib.archNative(), process.arch === 'x64' ? ARCHES.SCMP_ARCH_X86_64.token : lib.archNative());
  // x32 has its own libseccomp token but reports AUDIT_ARCH_X86_64 to the filter.
  t.is(ARCHES.SCMP_ARCH_X32.auditArch, AUDIT_ARCH_X86_64);
  t.is(ARCHES.SCMP_ARCH_X86.auditArch, AUDIT_ARCH_I386);
});

test('actions, operators and flags', (t) => {
  t.is(Object.keys(ACTIONS).length, 9);
  t.is(actionValue('SCMP_ACT_KILL', undefined, 'a', 'e'), 0);
  t.is(actionValue('SCMP_ACT_KILL_PROCESS', undefined, 'a', 'e'), 0x80000000);
  t.is(actionValue('SCMP_ACT_ERRNO', undefined, 'a', 'e'), 0x50001);
  t.is(actionValue('SCMP_ACT_ERRNO', 0, 'a', 'e'), 0x50000);
  t.is(actionValue('SCMP_ACT_TRACE', 7, 'a', 'e'), 0x7ff00007);
  t.is(actionValue('SCMP_ACT_NOTIFY', undefined, 'a', 'e'), 0x7fc00000);
  t.is(describeAction(0x50026), 'ERRNO(38)');
  t.is(describeAction(0x7fff0000), 'ALLOW');
  t.deepEqual(Object.values(OPERATORS), [1, 2, 3, 4, 5, 6, 7]);
  t.is(operatorValue('SCMP_CMP_MASKED_EQ', 'f'), 7);
  t.is(flagValue('SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'f'), 4);
  t.deepEqual(describeFlags(1 | 8 | 32), ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_NEW_LISTENER', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
  t.throws(() => operatorValue(3, 'x.op'), { instanceOf: ConfigError, message: 'x.op: operator must be a string, got 3' });
});

test('BPF encode/decode round trip and the assembler', (t) => {
  const insns = assemble([
    { op: 'ld', offset: 0 },
    { op: 'jeq', k: 5, jt: 'yes' },
    { op: 'ret', k: 0x7fff0000 },
    { label: 'yes' },
    { op: 'ret', k: 0x50001 },
  ]);
  t.deepEqual(insns, [
    { code: 0x20, jt: 0, jf: 0, k: 0 },
    { code: 0x15, jt: 1, jf: 0, k: 5 },
    { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
    { code: 0x06, jt: 0, jf: 0, k: 0x50001 },
  ]);
  const bytes = encodeProgram(insns);
  t.is(bytes.length, 32);
  t.deepEqual(decodeProgram(bytes), insns);
  t.is(runFilter(bytes, { nr: 5, arch: 0 }), 0x50001);
  t.is(runFilter(bytes, { nr: 6, arch: 0 }), 0x7fff0000);
  t.throws(() => assemble([{ op: 'ja', to: 'nowhere' }]));
  t.throws(() => decodeProgram(new Uint8Array(7)));
});

test('the -ENOSYS stub on its own falls through for known numbers', (t) => {
  t.deepEqual(enosysStub(new Map()), []);
  const stub = enosysStub(new Map([['SCMP_ARCH_X86_64', 100], ['SCMP_ARCH_X86', 50]]));
  const prog = encodeProgram([...stub, { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }]);
  t.is(runFilter(prog, { nr: 100, arch: AUDIT_ARCH_X86_64 }), 0x7fff0000);
  t.is(runFilter(prog, { nr: 101, arch: AUDIT_ARCH_X86_64 }), 0x50026);
  // x32 numbers are not checked when the profile does not list x32.
  t.is(runFilter(prog, { nr: 0x40000000 + 500, arch: AUDIT_ARCH_X86_64 }), 0x7fff0000);
  t.is(runFilter(prog, { nr: 51, arch: AUDIT_ARCH_I386 }), 0x50026);
  t.is(runFilter(prog, { nr: 5000, arch: 0xdead }), 0x7fff0000);
  const s390 = encodeProgram([...enosysStub(new Map([['SCMP_ARCH_S390X', 400]])), { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }]);
  t.is(runFilter(s390, { nr: 0, arch: ARCHES.SCMP_ARCH_S390X.auditArch }), 0x50026);
  t.is(runFilter(s390, { nr: 1, arch: ARCHES.SCMP_ARCH_S390X.auditArch }), 0x7fff0000);
});

test('features: what tsrun knows and this host supports', (t) => {
  const f = seccompFeatures();
  t.true(f.enabled);
  t.is(f.actions!.length, 9);
  t.is(f.operators!.length, 7);
  t.true(f.archs!.includes('SCMP_ARCH_X86_64') && f.archs!.includes('SCMP_ARCH_AARCH64'));
  t.deepEqual(f.knownFlags, ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
  t.true(f.supportedFlags!.every((x) => f.knownFlags!.includes(x)));
  const broken = { ...loadLibseccomp(), version: () => { throw new Error('no'); } };
  t.deepEqual(seccompFeatures(broken), { enabled: false });
});
