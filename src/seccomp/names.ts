/**
 * OCI `linux.seccomp` names -> numbers: actions, architectures, comparison operators and filter
 * flags. Values come from <seccomp.h> (libseccomp 2.5), <linux/seccomp.h> and <linux/audit.h>;
 * the unit tests cross-check the architecture tokens against the loaded libseccomp.
 */
import { ConfigError } from '../errors.js';

// ---- actions: SECCOMP_RET_* values (seccomp.h SCMP_ACT_*) ----------------------------------

export const SCMP_ACT_KILL_PROCESS = 0x80000000;
export const SCMP_ACT_KILL_THREAD = 0x00000000;
export const SCMP_ACT_TRAP = 0x00030000;
export const SCMP_ACT_NOTIFY = 0x7fc00000;
export const SCMP_ACT_ERRNO_BASE = 0x00050000;
export const SCMP_ACT_TRACE_BASE = 0x7ff00000;
export const SCMP_ACT_LOG = 0x7ffc0000;
export const SCMP_ACT_ALLOW = 0x7fff0000;

export type SeccompActionName =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

interface ActionInfo {
  /** The action value, without the 16-bit data part. */
  base: number;
  /** Whether the action carries data (errnoRet): only ERRNO and TRACE do. */
  takesErrno: boolean;
}

/** SCMP_ACT_KILL is KILL_THREAD, as in libseccomp and runc. */
export const ACTIONS: Readonly<Record<SeccompActionName, ActionInfo>> = {
  SCMP_ACT_KILL: { base: SCMP_ACT_KILL_THREAD, takesErrno: false },
  SCMP_ACT_KILL_PROCESS: { base: SCMP_ACT_KILL_PROCESS, takesErrno: false },
  SCMP_ACT_KILL_THREAD: { base: SCMP_ACT_KILL_THREAD, takesErrno: false },
  SCMP_ACT_TRAP: { base: SCMP_ACT_TRAP, takesErrno: false },
  SCMP_ACT_ERRNO: { base: SCMP_ACT_ERRNO_BASE, takesErrno: true },
  SCMP_ACT_TRACE: { base: SCMP_ACT_TRACE_BASE, takesErrno: true },
  SCMP_ACT_ALLOW: { base: SCMP_ACT_ALLOW, takesErrno: false },
  SCMP_ACT_LOG: { base: SCMP_ACT_LOG, takesErrno: false },
  SCMP_ACT_NOTIFY: { base: SCMP_ACT_NOTIFY, takesErrno: false },
};

/** EPERM: what ERRNO and TRACE carry when errnoRet is absent (runc does the same). */
export const DEFAULT_ERRNO_RET = 1;
export const ENOSYS = 38;

/**
 * The action value for `name` (with `errnoRet` for ERRNO/TRACE). The fields name the JSON
 * fields for error messages, e.g. `linux.seccomp.syscalls[3].action` and `...errnoRet`.
 */
export function actionValue(name: unknown, errnoRet: unknown, actionField: string, errnoField: string): number {
  const info = lookup(ACTIONS, name, actionField, 'action');
  if (errnoRet === undefined || errnoRet === null) {
    return info.takesErrno ? (info.base | DEFAULT_ERRNO_RET) >>> 0 : info.base;
  }
  if (!info.takesErrno) {
    // runtime-spec: "When the action doesn't support an errno, the runtime MUST print and error and fail."
    throw new ConfigError(`${errnoField}: ${String(name)} takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`);
  }
  if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 0xffff) {
    // The kernel keeps 16 bits of data: 65536 would silently wrap to 0, i.e. "success".
    throw new ConfigError(`${errnoField}: ${JSON.stringify(errnoRet)} is not an errno (an integer 0..65535)`);
  }
  return (info.base | errnoRet) >>> 0;
}

/** Human-readable form of an action value, for messages and tests. */
export function describeAction(value: number): string {
  const v = value >>> 0;
  const data = v & 0xffff;
  switch ((v & 0xffff0000) >>> 0) {
    case SCMP_ACT_KILL_PROCESS:
      return 'KILL_PROCESS';
    case SCMP_ACT_KILL_THREAD:
      return 'KILL_THREAD';
    case SCMP_ACT_TRAP:
      return 'TRAP';
    case SCMP_ACT_ERRNO_BASE:
      return `ERRNO(${data})`;
    case SCMP_ACT_TRACE_BASE:
      return `TRACE(${data})`;
    case SCMP_ACT_LOG:
      return 'LOG';
    case SCMP_ACT_ALLOW:
      return 'ALLOW';
    case SCMP_ACT_NOTIFY:
      return 'NOTIFY';
    default:
      return `0x${v.toString(16)}`;
  }
}

// ---- architectures: libseccomp tokens (AUDIT_ARCH_* except X32) -----------------------------

export type SeccompArchName =
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_LOONGARCH64'
  | 'SCMP_ARCH_M68K'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_SH'
  | 'SCMP_ARCH_SHEB'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64';

export interface ArchInfo {
  /** The name seccomp_arch_resolve_name() knows. */
  libName: string;
  /** The libseccomp token (seccomp.h SCMP_ARCH_*). */
  token: number;
  /** The value the kernel puts in seccomp_data.arch (x32 shares x86_64's, with bit 30 in nr). */
  auditArch: number;
}

const AUDIT_64BIT = 0x80000000;
const AUDIT_LE = 0x40000000;
const MIPS_N32 = 0x20000000;
const arch = (libName: string, em: number, bits: number, token?: number): ArchInfo => ({
  libName,
  token: (token ?? em | bits) >>> 0,
  auditArch: (em | bits) >>> 0,
});

export const ARCHES: Readonly<Record<SeccompArchName, ArchInfo>> = {
  SCMP_ARCH_X86: arch('x86', 3, AUDIT_LE),
  SCMP_ARCH_X86_64: arch('x86_64', 62, AUDIT_64BIT | AUDIT_LE),
  // libseccomp's own token for x32 (the kernel reports AUDIT_ARCH_X86_64 + __X32_SYSCALL_BIT).
  SCMP_ARCH_X32: arch('x32', 62, AUDIT_64BIT | AUDIT_LE, 62 | AUDIT_LE),
  SCMP_ARCH_ARM: arch('arm', 40, AUDIT_LE),
  SCMP_ARCH_AARCH64: arch('aarch64', 183, AUDIT_64BIT | AUDIT_LE),
  SCMP_ARCH_LOONGARCH64: arch('loongarch64', 258, AUDIT_64BIT | AUDIT_LE),
  SCMP_ARCH_M68K: arch('m68k', 4, 0),
  SCMP_ARCH_MIPS: arch('mips', 8, 0),
  SCMP_ARCH_MIPS64: arch('mips64', 8, AUDIT_64BIT),
  SCMP_ARCH_MIPS64N32: arch('mips64n32', 8, AUDIT_64BIT | MIPS_N32),
  SCMP_ARCH_MIPSEL: arch('mipsel', 8, AUDIT_LE),
  SCMP_ARCH_MIPSEL64: arch('mipsel64', 8, AUDIT_64BIT | AUDIT_LE),
  SCMP_ARCH_MIPSEL64N32: arch('mipsel64n32', 8, AUDIT_64BIT | AUDIT_LE | MIPS_N32),
  SCMP_ARCH_PPC: arch('ppc', 20, 0),
  SCMP_ARCH_PPC64: arch('ppc64', 21, AUDIT_64BIT),
  SCMP_ARCH_PPC64LE: arch('ppc64le', 21, AUDIT_64BIT | AUDIT_LE),
  SCMP_ARCH_S390: arch('s390', 22, 0),
  SCMP_ARCH_S390X: arch('s390x', 22, AUDIT_64BIT),
  SCMP_ARCH_SH: arch('sh', 42, AUDIT_LE),
  SCMP_ARCH_SHEB: arch('sheb', 42, 0),
  SCMP_ARCH_PARISC: arch('parisc', 15, 0),
  SCMP_ARCH_PARISC64: arch('parisc64', 15, AUDIT_64BIT),
  SCMP_ARCH_RISCV64: arch('riscv64', 243, AUDIT_64BIT | AUDIT_LE),
};

/** The x32 ABI marks its syscall numbers with this bit (kernel __X32_SYSCALL_BIT). */
export const X32_SYSCALL_BIT = 0x40000000;

export function archInfo(name: unknown, field: string): ArchInfo & { name: SeccompArchName } {
  const info = lookup(ARCHES, name, field, 'architecture');
  return { ...info, name: name as SeccompArchName };
}

/** The OCI name of a libseccomp arch token, or undefined. */
export function archNameOfToken(token: number): SeccompArchName | undefined {
  for (const [name, info] of Object.entries(ARCHES)) if (info.token === token >>> 0) return name as SeccompArchName;
  return undefined;
}

// ---- comparison operators: enum scmp_compare ------------------------------------------------

export type SeccompOperatorName =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export const OPERATORS: Readonly<Record<SeccompOperatorName, number>> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

export function operatorValue(name: unknown, field: string): number {
  return lookup(OPERATORS, name, field, 'operator');
}

// ---- filter flags: SECCOMP_FILTER_FLAG_* (linux/seccomp.h), passed to seccomp(2) -----------

export const SECCOMP_FILTER_FLAG_TSYNC = 1 << 0;
export const SECCOMP_FILTER_FLAG_LOG = 1 << 1;
export const SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1 << 2;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;
export const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1 << 4;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;

export type SeccompFlagName =
  | 'SECCOMP_FILTER_FLAG_TSYNC'
  | 'SECCOMP_FILTER_FLAG_LOG'
  | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

/** The flags a profile may name (runtime-spec SeccompFlag). NEW_LISTENER/TSYNC_ESRCH are derived. */
export const FLAGS: Readonly<Record<SeccompFlagName, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_LOG: SECCOMP_FILTER_FLAG_LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SECCOMP_FILTER_FLAG_SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
};

export const FLAG_NAMES: Readonly<Record<number, string>> = {
  [SECCOMP_FILTER_FLAG_TSYNC]: 'SECCOMP_FILTER_FLAG_TSYNC',
  [SECCOMP_FILTER_FLAG_LOG]: 'SECCOMP_FILTER_FLAG_LOG',
  [SECCOMP_FILTER_FLAG_SPEC_ALLOW]: 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  [SECCOMP_FILTER_FLAG_NEW_LISTENER]: 'SECCOMP_FILTER_FLAG_NEW_LISTENER',
  [SECCOMP_FILTER_FLAG_TSYNC_ESRCH]: 'SECCOMP_FILTER_FLAG_TSYNC_ESRCH',
  [SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV]: 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
};

export function flagValue(name: unknown, field: string): number {
  return lookup(FLAGS, name, field, 'flag');
}

/** Names of the bits set in `flags`, for messages. */
export function describeFlags(flags: number): string[] {
  const out: string[] = [];
  for (let bit = 1; bit <= flags; bit <<= 1) if (flags & bit) out.push(FLAG_NAMES[bit] ?? `0x${bit.toString(16)}`);
  return out;
}

// ---- helpers --------------------------------------------------------------------------------

function lookup<T>(table: Readonly<Record<string, T>>, name: unknown, field: string, what: string): T {
  if (typeof name !== 'string') {
    throw new ConfigError(`${field}: ${what} must be a string, got ${JSON.stringify(name) ?? typeof name}`);
  }
  if (!Object.prototype.hasOwnProperty.call(table, name)) {
    throw new ConfigError(`${field}: unknown ${what} ${JSON.stringify(name)}`);
  }
  return table[name] as T;
}
