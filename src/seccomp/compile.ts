/**
 * OCI `linux.seccomp` -> classic BPF, compiled in the parent with libseccomp (through koffi).
 * The executor only loads the result: seccomp(SECCOMP_SET_MODE_FILTER, flags, prog) right
 * before execve.
 *
 * Semantics follow runc (libcontainer/seccomp/seccomp_linux.go), so a profile behaves the same
 * under tsrun as under runc:
 * - SCMP_ACT_KILL is KILL_THREAD; ERRNO and TRACE without errnoRet carry EPERM.
 * - A rule whose action equals the default action is skipped (libseccomp refuses it).
 * - Syscall names libseccomp does not know are ignored, each reported as a warning.
 * - Argument conditions: when no argument index repeats, all conditions go into one rule
 *   (ANDed); when any index appears twice, every condition becomes a rule of its own (ORed).
 * - More than 32 syscall names turn on libseccomp's binary-tree optimisation.
 * - Unless the default action is permissive, the -ENOSYS stub (enosys.ts) goes first.
 *
 * Flags: libseccomp's seccomp_export_bpf() writes the program only; the SECCOMP_FILTER_FLAG_*
 * bits are arguments of the seccomp(2) call that loads it. So the profile's flags are not set as
 * libseccomp attributes at all: compileSeccomp() returns them as the kernel bits the executor
 * must pass (`flags`), adding NEW_LISTENER when a rule uses SCMP_ACT_NOTIFY.
 */
import { os } from '../sys/builtins.js';
import { ConfigError, UnsupportedError } from '../errors.js';
import {
  NR_SCMP_ERROR,
  SCMP_FLTATR,
  type Libseccomp,
  type ScmpArgCmp,
  LibseccompError,
  loadLibseccomp,
} from '../sys/libseccomp.js';
import { BPF_INSN_SIZE, BPF_MAXINSNS, decodeProgram, encodeProgram } from './bpf.js';
import { CACHE_FORMAT, SeccompCache, defaultSeccompCacheDir, cacheKey, identityUnchanged } from './cache.js';
import { enosysStub } from './enosys.js';
import {
  ACTIONS,
  ENOSYS,
  SCMP_ACT_ERRNO_BASE,
  SCMP_ACT_NOTIFY,
  SECCOMP_FILTER_FLAG_NEW_LISTENER,
  SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
  type SeccompActionName,
  type SeccompArchName,
  actionValue,
  archInfo,
  describeFlags,
  flagValue,
  operatorValue,
} from './names.js';

// ---- OCI types (runtime-spec config-linux.md "Seccomp") ------------------------------------

export interface LinuxSeccompArg {
  index: number;
  /** uint64: a number (exact up to 2^53) or a bigint. */
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}

export interface LinuxSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

export interface CompileOptions {
  /**
   * Directory of the compiled-program cache; `false` disables the cache. Default
   * defaultSeccompCacheDir() (outside any state root). A cache that cannot be written costs a warning only.
   */
  cacheDir?: string | false;
  /** The libseccomp binding; default: the real one, loaded on first use. */
  lib?: Libseccomp;
  /** JSON path of the profile, for messages. Default `linux.seccomp`. */
  field?: string;
  /** Prepend runc's -ENOSYS stub (default true). */
  enosysStub?: boolean;
  /** Ask the running kernel whether it accepts the flags (default true). */
  checkKernelFlags?: boolean;
}

export interface CompiledSeccomp {
  /** The classic BPF program (struct sock_filter[], host byte order). */
  program: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). */
  flags: number;
  /** Debug messages for the caller to log: ignored syscall names, dropped flags, cache trouble. */
  warnings: string[];
  /** Some rule uses SCMP_ACT_NOTIFY: the load returns a listener fd for `listenerPath`. */
  notify: boolean;
  /** The program came from the cache (libseccomp was not asked to compile). */
  fromCache: boolean;
}

// ---- normalised profile ----------------------------------------------------------------------

interface NormArg {
  index: number;
  op: number;
  value: bigint;
  valueTwo: bigint;
}

interface NormRule {
  field: string;
  names: string[];
  action: number;
  args: NormArg[];
}

interface NormProfile {
  defaultAction: number;
  defaultActionName: SeccompActionName;
  arches: { name: SeccompArchName; libName: string; token: number; field: string }[];
  /** Requested flags, with the index of the field that named each. */
  flags: { value: number; field: string }[];
  rules: NormRule[];
  notify: boolean;
}

const MAX_ARGS = 6;
/**
 * Distinct rules a profile may add (runc's default profile adds about 400; the kernel runs at
 * most 4096 instructions anyway). libseccomp takes time quadratic in the rules added: 4096 take
 * half a second, 40 000 about twenty.
 */
const MAX_RULES = 4096;
const U64_MAX = (1n << 64n) - 1n;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalArray(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${field}: must be an array`);
  return v;
}

function toU64(v: unknown, field: string, warnings: string[]): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw new ConfigError(`${field}: ${v} is out of the uint64 range`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ConfigError(`${field}: ${JSON.stringify(v)} is not a uint64`);
  }
  const b = BigInt(v);
  if (b > U64_MAX) {
    throw new ConfigError(
      `${field}: ${v} is out of the uint64 range (JSON numbers above 2^53 lose precision when parsed; ` +
        `18446744073709551615 reads as 2^64)`,
    );
  }
  if (!Number.isSafeInteger(v)) {
    warnings.push(`${field}: ${v} is above 2^53 and may not be the exact value written in config.json`);
  }
  return b;
}

function normalise(profile: unknown, field: string, warnings: string[]): NormProfile {
  if (!isObject(profile)) throw new ConfigError(`${field}: must be an object`);
  if (profile.defaultAction === undefined) throw new ConfigError(`${field}.defaultAction: required`);
  const defaultAction = actionValue(
    profile.defaultAction,
    profile.defaultErrnoRet,
    `${field}.defaultAction`,
    `${field}.defaultErrnoRet`,
  );
  const defaultActionName = profile.defaultAction as SeccompActionName;
  if (defaultAction === SCMP_ACT_NOTIFY) {
    // As runc: the init itself must still write to its parent after loading the filter.
    throw new ConfigError(`${field}.defaultAction: SCMP_ACT_NOTIFY cannot be the default action`);
  }

  const arches = optionalArray(profile.architectures, `${field}.architectures`).map((a, i) => {
    const f = `${field}.architectures[${i}]`;
    return { ...archInfo(a, f), field: f };
  });
  const flags = optionalArray(profile.flags, `${field}.flags`).map((fl, i) => {
    const f = `${field}.flags[${i}]`;
    return { value: flagValue(fl, f), field: f };
  });

  let notify = false;
  const rules = optionalArray(profile.syscalls, `${field}.syscalls`).map((s, i): NormRule => {
    const rf = `${field}.syscalls[${i}]`;
    if (!isObject(s)) throw new ConfigError(`${rf}: must be an object`);
    const names = s.names;
    if (!Array.isArray(names) || names.length === 0) {
      throw new ConfigError(`${rf}.names: must be a non-empty array of syscall names`);
    }
    names.forEach((n, j) => {
      if (typeof n !== 'string' || n === '') {
        throw new ConfigError(`${rf}.names[${j}]: ${JSON.stringify(n)} is not a syscall name`);
      }
    });
    if (s.action === undefined) throw new ConfigError(`${rf}.action: required`);
    const action = actionValue(s.action, s.errnoRet, `${rf}.action`, `${rf}.errnoRet`);
    if (action === SCMP_ACT_NOTIFY) {
      notify = true;
      const j = names.indexOf('write');
      if (j >= 0) {
        // runc refuses it too: the init reports the listener fd to its parent with write().
        throw new ConfigError(`${rf}.names[${j}]: SCMP_ACT_NOTIFY cannot be used for the write syscall`);
      }
    }
    const args = optionalArray(s.args, `${rf}.args`).map((a, k): NormArg => {
      const af = `${rf}.args[${k}]`;
      if (!isObject(a)) throw new ConfigError(`${af}: must be an object`);
      const index = a.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= MAX_ARGS) {
        throw new ConfigError(`${af}.index: ${JSON.stringify(index)} is not a syscall argument index (0..5)`);
      }
      if (a.op === undefined) throw new ConfigError(`${af}.op: required`);
      const op = operatorValue(a.op, `${af}.op`);
      if (a.value === undefined) throw new ConfigError(`${af}.value: required`);
      const value = toU64(a.value, `${af}.value`, warnings);
      const valueTwo = a.valueTwo === undefined || a.valueTwo === null ? 0n : toU64(a.valueTwo, `${af}.valueTwo`, warnings);
      return { index, op, value, valueTwo };
    });
    return { field: rf, names: names as string[], action, args };
  });

  if (notify && (typeof profile.listenerPath !== 'string' || profile.listenerPath === '')) {
    throw new ConfigError(`${field}.listenerPath: required when a rule uses SCMP_ACT_NOTIFY`);
  }
  return { defaultAction, defaultActionName, arches, flags, rules, notify };
}

// ---- flags -----------------------------------------------------------------------------------

function computeFlags(p: NormProfile, field: string, warnings: string[]): number {
  let flags = 0;
  for (const f of p.flags) flags |= f.value;
  if (p.notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
      // The kernel refuses TSYNC with NEW_LISTENER (unless TSYNC_ESRCH, Linux 5.7+). The
      // executor is single-threaded when it loads the filter, so TSYNC has nothing to sync.
      flags &= ~SECCOMP_FILTER_FLAG_TSYNC;
      warnings.push(`${field}.flags: SECCOMP_FILTER_FLAG_TSYNC dropped: it conflicts with SCMP_ACT_NOTIFY and the init is single-threaded`);
    }
  } else if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
    // The kernel refuses it without NEW_LISTENER; it only changes how notifications wait.
    flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    warnings.push(`${field}.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no rule uses SCMP_ACT_NOTIFY`);
  }
  return flags;
}

function checkKernelFlags(lib: Libseccomp, flags: number, p: NormProfile, field: string): void {
  if (flags === 0 || lib.kernelAcceptsFilterFlags(flags) !== false) return;
  const kernel = `${os().release()}`;
  for (const bit of [1, 2, 4, 8, 16, 32]) {
    if (!(flags & bit)) continue;
    const probe = bit === SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? bit | SECCOMP_FILTER_FLAG_NEW_LISTENER : bit;
    if (lib.kernelAcceptsFilterFlags(probe) !== false) continue;
    const [name] = describeFlags(bit);
    const named = p.flags.find((f) => f.value === bit);
    if (named) throw new UnsupportedError(`${named.field}: ${name} is not supported by this kernel (${kernel})`);
    throw new UnsupportedError(`${field}: SCMP_ACT_NOTIFY needs ${name}, which this kernel (${kernel}) does not support`);
  }
  throw new UnsupportedError(`${field}: this kernel (${kernel}) refuses the filter flags ${describeFlags(flags).join('|')}`);
}

// ---- compilation -----------------------------------------------------------------------------

function isPermissive(name: SeccompActionName): boolean {
  // runc: TRACE counts as "allow" too, a tracer handles unknown syscalls itself.
  return name === 'SCMP_ACT_ALLOW' || name === 'SCMP_ACT_LOG' || name === 'SCMP_ACT_TRACE';
}

function compileWithLibseccomp(
  p: NormProfile,
  lib: Libseccomp,
  field: string,
  withStub: boolean,
): { program: Uint8Array; warnings: string[] } {
  const warnings: string[] = [];
  const v = lib.version();
  const libDesc = `libseccomp ${v.major}.${v.minor}.${v.micro}`;

  // Architecture tokens, checked against the library (older ones lack loongarch64, m68k, sh).
  const arches = p.arches.map((a) => {
    const token = lib.archResolveName(a.libName);
    if (token === 0) throw new UnsupportedError(`${a.field}: ${a.name} is not supported by ${libDesc}`);
    return { ...a, token };
  });

  let ctx: bigint;
  try {
    ctx = lib.init(p.defaultAction);
  } catch (err) {
    throw new UnsupportedError(`${field}.defaultAction: ${p.defaultActionName}: ${(err as Error).message}`);
  }
  try {
    for (const a of arches) {
      try {
        lib.archAdd(ctx, a.token);
      } catch (err) {
        throw new UnsupportedError(`${a.field}: cannot add ${a.name}: ${(err as Error).message}`);
      }
    }
    const nameCount = p.rules.reduce((n, r) => n + r.names.length, 0);
    if (nameCount > 32) {
      // As runc: libseccomp <= 2.5.4 misbehaves with the binary tree and no rules, so only
      // longer profiles get it; failure (an older library) only costs speed.
      try {
        lib.attrSet(ctx, SCMP_FLTATR.CTL_OPTIMIZE, 2);
      } catch (err) {
        warnings.push(`${field}: binary tree optimisation unavailable: ${(err as Error).message}`);
      }
    }

    // The rules to add, each once: libseccomp's cost grows with the square of the additions, so
    // a profile that repeats a rule (or lists tens of thousands) would stall create for minutes.
    const adds: Array<{ nr: number; action: number; conds: ScmpArgCmp[]; field: string; what: string }> = [];
    const seen = new Set<string>();
    for (const r of p.rules) {
      const split = new Set(r.args.map((a) => a.index)).size !== r.args.length;
      const conds: ScmpArgCmp[] = r.args.map((a) => ({ arg: a.index, op: a.op, datumA: a.value, datumB: a.valueTwo }));
      r.names.forEach((name, j) => {
        const nr = lib.syscallResolveName(name);
        if (nr === NR_SCMP_ERROR) {
          warnings.push(`${r.field}.names[${j}]: unknown syscall ${JSON.stringify(name)} ignored (${libDesc})`);
          return;
        }
        if (r.action === p.defaultAction) return; // redundant; libseccomp would refuse it (EACCES)
        for (const cs of split ? conds.map((c) => [c]) : [conds]) {
          const key = `${nr} ${r.action} ${cs.map((c) => `${c.arg}:${c.op}:${c.datumA}:${c.datumB}`).join(',')}`;
          if (seen.has(key)) continue;
          seen.add(key);
          adds.push({ nr, action: r.action, conds: cs, field: `${r.field}.names[${j}]`, what: `syscall ${JSON.stringify(name)}` });
        }
      });
    }
    if (adds.length > MAX_RULES) {
      throw new ConfigError(`${field}.syscalls: ${adds.length} distinct rules (syscall names times argument conditions), more than tsrun compiles (${MAX_RULES})`);
    }
    for (const a of adds) {
      try {
        lib.ruleAddArray(ctx, a.action, a.nr, a.conds, a.what);
      } catch (err) {
        if (err instanceof LibseccompError) {
          throw new ConfigError(`${a.field}: cannot add the rule for ${a.what}: ${err.message}`);
        }
        throw err;
      }
    }

    let program = lib.exportBpf(ctx);
    if (program.length === 0 || program.length % BPF_INSN_SIZE !== 0) {
      throw new ConfigError(`${field}: libseccomp exported a malformed program (${program.length} bytes)`);
    }

    const errnoEnosys = (SCMP_ACT_ERRNO_BASE | ENOSYS) >>> 0;
    if (withStub && !isPermissive(p.defaultActionName) && p.defaultAction !== errnoEnosys) {
      const maxima = new Map<SeccompArchName, number>();
      for (const a of arches) {
        let max = 0;
        for (const r of p.rules) {
          for (const name of r.names) {
            const nr = lib.syscallResolveNameArch(a.token, name);
            if (nr > max) max = nr;
          }
        }
        if (max > 0) maxima.set(a.name, max);
        else warnings.push(`${a.field}: no syscall of the profile is known on ${a.name}; no -ENOSYS stub for it`);
      }
      const stub = enosysStub(maxima);
      if (stub.length > 0) program = encodeProgram([...stub, ...decodeProgram(program)]);
    }
    const count = program.length / BPF_INSN_SIZE;
    if (count > BPF_MAXINSNS) {
      throw new ConfigError(`${field}: the compiled filter has ${count} instructions, more than the kernel's ${BPF_MAXINSNS}`);
    }
    return { program, warnings };
  } finally {
    lib.release(ctx);
  }
}

/**
 * The cache key: everything the program depends on, and nothing else (not flags, not
 * listenerPath). Which libseccomp compiled it is checked separately (identityUnchanged), so a
 * hit needs neither koffi nor libseccomp.
 */
function keyOf(p: NormProfile, withStub: boolean): string {
  return cacheKey({
    format: CACHE_FORMAT,
    arch: process.arch,
    // What decides which libseccomp gets loaded.
    libseccomp: process.env.TSRUN_LIBSECCOMP ?? '',
    ldLibraryPath: process.env.LD_LIBRARY_PATH ?? '',
    enosysStub: withStub,
    defaultAction: p.defaultAction,
    defaultActionName: p.defaultActionName,
    arches: p.arches.map((a) => a.name),
    rules: p.rules.map((r) => ({ names: r.names, action: r.action, args: r.args })),
  });
}

/**
 * Compiles an OCI `linux.seccomp` object. Throws ConfigError (naming the field) for a profile
 * that is wrong, UnsupportedError for one this host cannot load.
 */
export function compileSeccomp(profile: object, opts: CompileOptions = {}): CompiledSeccomp {
  const field = opts.field ?? 'linux.seccomp';
  const warnings: string[] = [];
  const p = normalise(profile, field, warnings);
  const flags = computeFlags(p, field, warnings);
  let libRef = opts.lib;
  const lib = (): Libseccomp => (libRef ??= loadLibseccomp());
  const withStub = opts.enosysStub ?? true;

  const cacheDir = opts.cacheDir === undefined ? defaultSeccompCacheDir() : opts.cacheDir;
  const cache = cacheDir === false ? undefined : new SeccompCache(cacheDir);
  const key = cache ? keyOf(p, withStub) : '';

  let program: Uint8Array | undefined;
  let fromCache = false;
  const hit = cache?.get(key);
  if (hit && (identityUnchanged(hit.libseccomp) ?? hit.libseccomp.version === lib().identity().version)) {
    program = hit.program;
    warnings.push(...hit.warnings);
    fromCache = true;
  } else {
    const built = compileWithLibseccomp(p, lib(), field, withStub);
    program = built.program;
    warnings.push(...built.warnings);
    if (cache) {
      try {
        cache.put(key, { ...built, libseccomp: lib().identity() });
      } catch (err) {
        warnings.push(`seccomp cache: ${(err as Error).message}`);
      }
    }
  }

  if (flags !== 0 && (opts.checkKernelFlags ?? true)) checkKernelFlags(lib(), flags, p, field);
  return { program, flags, warnings, notify: p.notify, fromCache };
}

/** The action names a profile may use (for `tsrun features`). */
export const SUPPORTED_ACTIONS = Object.keys(ACTIONS) as SeccompActionName[];
