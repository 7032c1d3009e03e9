import test from 'ava';
import { ConfigError, UnsupportedError } from '../../src/errors.js';
import { compileSeccomp, type CompileOptions } from '../../src/seccomp/index.js';
import { decodeProgram } from '../../src/seccomp/bpf.js';
import { loadLibseccomp, type Libseccomp } from '../../src/sys/libseccomp.js';
import { AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, NR, NR_I386, RET, X32_SYSCALL_BIT, runFilter, x64, x64Test } from './seccomp-bpf-interpreter.js';

const NO_CACHE: CompileOptions = { cacheDir: false };
const compile = (profile: object, opts: CompileOptions = {}) => compileSeccomp(profile, { ...NO_CACHE, ...opts });

const EBADFD = 77;
const ENOSYS = 38;
const EPERM = 1;

x64Test('the NR table of the interpreter matches libseccomp (x86_64)', (t) => {
  const lib = loadLibseccomp();
  for (const [name, nr] of Object.entries(NR)) t.is(lib.syscallResolveName(name), nr, name);
  const x86 = lib.archResolveName('x86');
  for (const [name, nr] of Object.entries(NR_I386)) t.is(lib.syscallResolveNameArch(x86, name), nr, `i386 ${name}`);
});

test('a simple deny rule: program is non-empty, whole instructions, deterministic', (t) => {
  const profile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['settimeofday', 'clock_settime'], action: 'SCMP_ACT_ERRNO', errnoRet: EBADFD }],
  };
  const a = compile(profile);
  const b = compile(structuredClone(profile));
  t.true(a.program.length > 0);
  t.is(a.program.length % 8, 0);
  t.deepEqual(Buffer.from(a.program), Buffer.from(b.program));
  t.deepEqual(a.warnings, []);
  t.is(a.flags, 0);
  t.false(a.notify);
  t.false(a.fromCache);
  t.true(decodeProgram(a.program).length === a.program.length / 8);
});

x64Test('settimeofday -> ERRNO(errnoRet) on x86_64, other syscalls -> ALLOW', (t) => {
  const { program } = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['settimeofday', 'clock_settime'], action: 'SCMP_ACT_ERRNO', errnoRet: EBADFD }],
  });
  t.is(x64(program, NR.settimeofday), RET.ERRNO(EBADFD));
  t.is(x64(program, NR.clock_settime, 0), RET.ERRNO(EBADFD));
  t.is(x64(program, NR.read, 0, 0, 0), RET.ALLOW);
  t.is(x64(program, NR.getpid), RET.ALLOW);
  // An architecture the filter does not know: libseccomp's bad-arch action (kill).
  t.is(runFilter(program, { nr: NR.read, arch: AUDIT_ARCH_AARCH64 }), RET.KILL_THREAD);
});

x64Test('an allow-list: listed syscalls ALLOW, everything else the default ERRNO', (t) => {
  const { program } = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }],
  });
  t.is(x64(program, NR.read), RET.ALLOW);
  t.is(x64(program, NR.write), RET.ALLOW);
  t.is(x64(program, NR.exit_group), RET.ALLOW);
  t.is(x64(program, NR.mount), RET.ERRNO(EPERM)); // ERRNO without errnoRet is EPERM
  t.is(x64(program, NR.open), RET.ERRNO(EPERM));
});

x64Test('defaultErrnoRet sets the default action errno', (t) => {
  const { program } = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 6,
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
  });
  t.is(x64(program, NR.mount), RET.ERRNO(6));
  t.is(x64(program, NR.read), RET.ALLOW);
});

x64Test('every action compiles to its SECCOMP_RET value', (t) => {
  const { program } = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: '/run/agent.sock',
    syscalls: [
      { names: ['mount'], action: 'SCMP_ACT_KILL' },
      { names: ['umount2'], action: 'SCMP_ACT_KILL_THREAD' },
      { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['swapon'], action: 'SCMP_ACT_TRAP' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['kexec_load'], action: 'SCMP_ACT_ERRNO' },
      { names: ['ptrace'], action: 'SCMP_ACT_TRACE', errnoRet: 1234 },
      { names: ['keyctl'], action: 'SCMP_ACT_TRACE' },
      { names: ['chroot'], action: 'SCMP_ACT_LOG' },
      { names: ['sethostname'], action: 'SCMP_ACT_NOTIFY' },
      { names: ['read'], action: 'SCMP_ACT_ALLOW' }, // same as default: skipped, no error
    ],
  });
  t.is(x64(program, NR.mount), RET.KILL_THREAD);
  t.is(x64(program, NR.umount2), RET.KILL_THREAD);
  t.is(x64(program, NR.reboot), RET.KILL_PROCESS);
  t.is(x64(program, NR.swapon), RET.TRAP);
  t.is(x64(program, NR.mkdir), RET.ERRNO(13));
  t.is(x64(program, NR.kexec_load), RET.ERRNO(EPERM));
  t.is(x64(program, NR.ptrace), RET.TRACE(1234));
  t.is(x64(program, NR.keyctl), RET.TRACE(EPERM));
  t.is(x64(program, NR.chroot), RET.LOG);
  t.is(x64(program, NR.sethostname), RET.NOTIFY);
  t.is(x64(program, NR.read), RET.ALLOW);
});

x64Test('argument conditions: personality(0x0) allowed, personality(0x8) denied', (t) => {
  const { program } = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] }],
  });
  t.is(x64(program, NR.personality, 0x0), RET.ALLOW);
  t.is(x64(program, NR.personality, 0x8), RET.ERRNO(EPERM));
  t.is(x64(program, NR.personality, 0xffffffff), RET.ERRNO(EPERM));
  // The whole 64-bit register is compared, not only its low half.
  t.is(x64(program, NR.personality, 1n << 32n), RET.ERRNO(EPERM));
});

x64Test('argument conditions: every operator, 64-bit values', (t) => {
  const big = 0x1_0000_0005n;
  const rule = (name: string, op: string, value: number | bigint, valueTwo?: number | bigint) => ({
    names: [name],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: EBADFD,
    args: [{ index: 1, value, op, ...(valueTwo === undefined ? {} : { valueTwo }) }],
  });
  const { program } = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      rule('read', 'SCMP_CMP_NE', 10),
      rule('write', 'SCMP_CMP_LT', 10),
      rule('open', 'SCMP_CMP_LE', 10),
      rule('close', 'SCMP_CMP_EQ', big),
      rule('mmap', 'SCMP_CMP_GE', big),
      rule('ioctl', 'SCMP_CMP_GT', big),
      // MASKED_EQ: (arg & value) == valueTwo
      rule('mkdir', 'SCMP_CMP_MASKED_EQ', 0xf0, 0x30),
    ],
  });
  const deny = RET.ERRNO(EBADFD);
  const at1 = (nr: number, v: number | bigint) => x64(program, nr, 0, v);
  t.is(at1(NR.read, 10), RET.ALLOW);
  t.is(at1(NR.read, 11), deny);
  t.is(at1(NR.read, 10n + (1n << 32n)), deny); // differs in the high word only
  t.is(at1(NR.write, 9), deny);
  t.is(at1(NR.write, 10), RET.ALLOW);
  t.is(at1(NR.open, 10), deny);
  t.is(at1(NR.open, 11), RET.ALLOW);
  t.is(at1(NR.close, big), deny);
  t.is(at1(NR.close, 5), RET.ALLOW); // same low word, different high word
  t.is(at1(NR.mmap, big), deny);
  t.is(at1(NR.mmap, big - 1n), RET.ALLOW);
  t.is(at1(NR.mmap, 1n << 40n), deny);
  t.is(at1(NR.ioctl, big), RET.ALLOW);
  t.is(at1(NR.ioctl, big + 1n), deny);
  t.is(at1(NR.mkdir, 0x35), deny);
  t.is(at1(NR.mkdir, 0x1234_0f3f), deny);
  t.is(at1(NR.mkdir, 0x45), RET.ALLOW);
  t.is(at1(NR.mkdir, 0x20), RET.ALLOW);
  // Conditions on argument 1 do not look at argument 0.
  t.is(x64(program, NR.read, 11, 10), RET.ALLOW);
});

x64Test('runc semantics: different argument indexes are ANDed in one rule', (t) => {
  const { program } = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      {
        names: ['socket'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EBADFD,
        args: [
          { index: 0, value: 40, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 1, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  });
  t.is(x64(program, NR.socket, 40, 1), RET.ERRNO(EBADFD));
  t.is(x64(program, NR.socket, 40, 2), RET.ALLOW);
  t.is(x64(program, NR.socket, 2, 1), RET.ALLOW);
});

x64Test('runc semantics: the same index twice splits every condition into its own rule (OR)', (t) => {
  const same = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 0, value: 0, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  }).program;
  t.is(x64(same, NR.personality, 0), RET.ALLOW);
  t.is(x64(same, NR.personality, 8), RET.ALLOW);
  t.is(x64(same, NR.personality, 9), RET.ERRNO(EPERM));

  // As runc: once an index repeats, a condition on another index is ORed as well.
  const mixed = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 5, op: 'SCMP_CMP_EQ' },
        ],
      },
    ],
  }).program;
  t.is(x64(mixed, NR.socket, 1, 0), RET.ALLOW);
  t.is(x64(mixed, NR.socket, 2, 0), RET.ALLOW);
  t.is(x64(mixed, NR.socket, 3, 5), RET.ALLOW);
  t.is(x64(mixed, NR.socket, 3, 4), RET.ERRNO(EPERM));
});

x64Test('architectures: x86 and x32 get their own syscall numbers', (t) => {
  const { program } = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['settimeofday', 'mount'], action: 'SCMP_ACT_ERRNO', errnoRet: EBADFD }],
  });
  t.is(x64(program, NR.settimeofday), RET.ERRNO(EBADFD));
  const i386 = (nr: number) => runFilter(program, { nr, arch: AUDIT_ARCH_I386 });
  t.is(i386(NR_I386.settimeofday), RET.ERRNO(EBADFD));
  t.is(i386(NR_I386.mount), RET.ERRNO(EBADFD));
  t.is(i386(NR.settimeofday), RET.ALLOW); // 164 is setresuid on i386
  t.is(i386(NR_I386.read), RET.ALLOW);
  const x32 = (nr: number) => runFilter(program, { nr: (nr | X32_SYSCALL_BIT) >>> 0, arch: AUDIT_ARCH_X86_64 });
  t.is(x32(NR.settimeofday), RET.ERRNO(EBADFD));
  t.is(x32(NR.read), RET.ALLOW);

  // Without them, 32-bit syscalls hit the bad-arch action.
  const only64 = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }],
  }).program;
  t.is(runFilter(only64, { nr: NR_I386.read, arch: AUDIT_ARCH_I386 }), RET.KILL_THREAD);
});

x64Test('-ENOSYS stub: syscalls newer than the profile get ENOSYS, older unlisted ones the default', (t) => {
  const profile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['read', 'write', 'bpf'], action: 'SCMP_ACT_ALLOW' }], // bpf: 321 on x86_64
  };
  const { program } = compile(profile);
  t.is(x64(program, NR.read), RET.ALLOW);
  t.is(x64(program, NR.mount), RET.ERRNO(EPERM)); // 165 < 321: default action
  t.is(x64(program, NR.bpf), RET.ALLOW);
  t.is(x64(program, NR.userfaultfd), RET.ERRNO(ENOSYS)); // 323 > 321
  t.is(x64(program, NR.clone3), RET.ERRNO(ENOSYS));
  t.is(x64(program, 1000), RET.ERRNO(ENOSYS));
  t.is(runFilter(program, { nr: 1000, arch: AUDIT_ARCH_I386 }), RET.ERRNO(ENOSYS));
  t.is(runFilter(program, { nr: NR_I386.mount, arch: AUDIT_ARCH_I386 }), RET.ERRNO(EPERM));
  t.is(runFilter(program, { nr: (1000 | X32_SYSCALL_BIT) >>> 0, arch: AUDIT_ARCH_X86_64 }), RET.ERRNO(ENOSYS));
  t.is(runFilter(program, { nr: (NR.read | X32_SYSCALL_BIT) >>> 0, arch: AUDIT_ARCH_X86_64 }), RET.ALLOW);
  // Other architectures still get the bad-arch action.
  t.is(runFilter(program, { nr: 1000, arch: AUDIT_ARCH_AARCH64 }), RET.KILL_THREAD);

  // Disabled on request, and never with a permissive default action.
  const plain = compile(profile, { enosysStub: false }).program;
  t.is(x64(plain, 1000), RET.ERRNO(EPERM));
  t.true(plain.length < program.length);
  const allow = compile({ ...profile, defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL' }] }).program;
  t.is(x64(allow, 1000), RET.ALLOW);
  t.deepEqual(Buffer.from(allow), Buffer.from(compile({ ...profile, defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL' }] }, { enosysStub: false }).program));
});

x64Test('unknown syscall names are ignored with a warning naming the field', (t) => {
  const r = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['mount'], action: 'SCMP_ACT_ERRNO' },
      { names: ['no_such_syscall', 'settimeofday', 'another_fake'], action: 'SCMP_ACT_ERRNO', errnoRet: EBADFD },
    ],
  });
  t.is(r.warnings.length, 2);
  t.regex(r.warnings[0]!, /^linux\.seccomp\.syscalls\[1\]\.names\[0\]: unknown syscall "no_such_syscall" ignored/);
  t.regex(r.warnings[1]!, /^linux\.seccomp\.syscalls\[1\]\.names\[2\]: unknown syscall "another_fake" ignored/);
  t.is(x64(r.program, NR.settimeofday), RET.ERRNO(EBADFD));
  t.is(x64(r.program, NR.mount), RET.ERRNO(EPERM));
});

test('unknown action, architecture, operator and flag are errors naming the field', (t) => {
  const base = { defaultAction: 'SCMP_ACT_ALLOW' };
  const err = (profile: object) => t.throws(() => compile(profile), { instanceOf: ConfigError })?.message;
  t.is(
    err({
      ...base,
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['open'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mount'], action: 'SCMP_ACT_FOO' },
      ],
    }),
    'linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"',
  );
  t.is(err({ defaultAction: 'SCMP_ACT_NOPE' }), 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"');
  t.is(
    err({ ...base, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'] }),
    'linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX"',
  );
  t.is(
    err({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_APPROX' }] }] }),
    'linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_APPROX"',
  );
  t.is(err({ ...base, flags: ['SECCOMP_FILTER_FLAG_MAGIC'] }), 'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_MAGIC"');
  t.is(err({ syscalls: [] }), 'linux.seccomp.defaultAction: required');
  t.is(
    err({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }),
    'linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument index (0..5)',
  );
  t.is(
    err({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }),
    'linux.seccomp.syscalls[0].args[0].value: -1 is not a uint64',
  );
  t.is(err({ ...base, syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }), 'linux.seccomp.syscalls[0].names: must be a non-empty array of syscall names');
  t.regex(err({ ...base, syscalls: [{ names: ['read', ''], action: 'SCMP_ACT_ERRNO' }] })!, /^linux\.seccomp\.syscalls\[0\]\.names\[1\]: /);
  t.regex(err({ ...base, architectures: 'SCMP_ARCH_X86' })!, /^linux\.seccomp\.architectures: must be an array/);
  // Another path prefix, for profiles that do not come from config.json.
  t.is(
    t.throws(() => compile({ defaultAction: 'SCMP_ACT_FOO' }, { field: 'profile.json' }), { instanceOf: ConfigError })?.message,
    'profile.json.defaultAction: unknown action "SCMP_ACT_FOO"',
  );
});

test('errnoRet: only for ERRNO and TRACE, and at most 16 bits', (t) => {
  const err = (profile: object) => t.throws(() => compile(profile), { instanceOf: ConfigError })?.message;
  t.regex(err({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 })!, /^linux\.seccomp\.defaultErrnoRet: SCMP_ACT_ALLOW takes no errno/);
  t.regex(
    err({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] })!,
    /^linux\.seccomp\.syscalls\[0\]\.errnoRet: SCMP_ACT_KILL takes no errno/,
  );
  t.regex(
    err({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 65536 }] })!,
    /^linux\.seccomp\.syscalls\[0\]\.errnoRet: 65536 is not an errno/,
  );
});

x64Test('uint64 values: bigints are exact, numbers above 2^53 warn, 2^64 is refused', (t) => {
  const max = (1n << 64n) - 1n;
  const r = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: EBADFD, args: [{ index: 0, value: max, op: 'SCMP_CMP_EQ' }] }],
  });
  t.is(x64(r.program, NR.read, max), RET.ERRNO(EBADFD));
  t.is(x64(r.program, NR.read, max - 1n), RET.ALLOW);
  t.deepEqual(r.warnings, []);
  const w = compile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }],
  });
  t.regex(w.warnings[0]!, /^linux\.seccomp\.syscalls\[0\]\.args\[0\]\.value: .* above 2\^53/);
  t.throws(
    () => compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 18446744073709551615, op: 'SCMP_CMP_EQ' }] }] }),
    { instanceOf: ConfigError, message: /out of the uint64 range/ },
  );
});

test('flags: profile flags become kernel SECCOMP_FILTER_FLAG_* bits', (t) => {
  const r = compile(
    { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] },
    { checkKernelFlags: false },
  );
  t.is(r.flags, 1 | 2 | 4);
  t.false(r.notify);
  // The program does not depend on the flags (they are arguments of seccomp(2)).
  t.deepEqual(Buffer.from(r.program), Buffer.from(compile({ defaultAction: 'SCMP_ACT_ALLOW' }).program));
});

test('flags: SCMP_ACT_NOTIFY adds NEW_LISTENER; WAIT_KILLABLE_RECV only with it; TSYNC dropped with it', (t) => {
  const notify = { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' };
  const opts = { checkKernelFlags: false };
  const a = compile({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/a.sock', syscalls: [notify] }, opts);
  t.true(a.notify);
  t.is(a.flags, 8);
  const b = compile(
    { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/a.sock', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], syscalls: [notify] },
    opts,
  );
  t.is(b.flags, 8 | 32);
  const c = compile({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, opts);
  t.is(c.flags, 0);
  t.regex(c.warnings.join('\n'), /WAIT_KILLABLE_RECV ignored: no rule uses SCMP_ACT_NOTIFY/);
  const d = compile(
    { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/a.sock', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG'], syscalls: [notify] },
    opts,
  );
  t.is(d.flags, 8 | 2);
  t.regex(d.warnings.join('\n'), /TSYNC dropped/);
});

test('SCMP_ACT_NOTIFY: not the default action, not for write, needs listenerPath', (t) => {
  const err = (profile: object) => t.throws(() => compile(profile), { instanceOf: ConfigError })?.message;
  t.is(err({ defaultAction: 'SCMP_ACT_NOTIFY' }), 'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action');
  t.is(
    err({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }] }),
    'linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall',
  );
  t.is(
    err({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }),
    'linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY',
  );
});

test('the kernel is asked about the flags it accepts', (t) => {
  const real = loadLibseccomp();
  const asked: number[] = [];
  const lib: Libseccomp = {
    ...real,
    kernelAcceptsFilterFlags: (flags: number) => {
      asked.push(flags);
      return (flags & 32) === 0; // pretend WAIT_KILLABLE_RECV is unknown
    },
  };
  const profile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: '/run/a.sock',
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  };
  const e = t.throws(() => compile(profile, { lib }), { instanceOf: UnsupportedError });
  t.regex(e!.message, /^linux\.seccomp\.flags\[1\]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by this kernel/);
  t.is(asked[0], 2 | 8 | 32);
  // And the real kernel here takes the common ones.
  t.is(compile({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] }).flags, 7);
  t.not(real.kernelAcceptsFilterFlags(1 << 20), true);
});

test('libseccomp failures become errors with context', (t) => {
  const real = loadLibseccomp();
  const lib: Libseccomp = {
    ...real,
    archResolveName: (name: string) => (name === 'riscv64' ? 0 : real.archResolveName(name)),
  };
  const e = t.throws(
    () => compile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_RISCV64'] }, { lib }),
    { instanceOf: UnsupportedError },
  );
  t.regex(e!.message, /^linux\.seccomp\.architectures\[0\]: SCMP_ARCH_RISCV64 is not supported by libseccomp \d+\.\d+\.\d+$/);
  const ruleErr = t.throws(
    () =>
      compile(
        { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO' }] },
        {
          lib: {
            ...real,
            ruleAddArray: (ctx, action, nr, args) => real.ruleAddArray(ctx, action, nr, args.length ? args : [{ arg: 9, op: 4, datumA: 0n, datumB: 0n }], 'syscall "read"'),
          },
        },
      ),
    { instanceOf: ConfigError },
  );
  t.regex(ruleErr!.message, /^linux\.seccomp\.syscalls\[0\]\.names\[0\]: cannot add the rule for syscall "read": seccomp_rule_add_array syscall "read": .*EINVAL/);
});
