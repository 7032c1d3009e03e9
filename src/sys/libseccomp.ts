/**
 * koffi binding of libseccomp.so.2: just what the profile compiler needs (build a filter
 * context, add architectures and rules, export classic BPF). Nothing here loads a filter into
 * the kernel: the executor does that with seccomp(2) right before execve.
 *
 * The library is loaded lazily, on the first call of loadLibseccomp(), and so is koffi itself
 * (slow to load: docs/performance.md): commands that never compile a profile (state, kill, ...), and creates whose
 * program comes from the cache, pay for neither. libseccomp reports failures as negative
 * errno values; they become SysError/UnsupportedError naming the function and its subject.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { loadKoffi, type Koffi } from './koffi.js';
import { os } from './builtins.js';
import { basename, join } from 'node:path';
import type { LibraryHandle } from 'koffi';
import { SysError, UnsupportedError, describeCode, errnoName } from '../errors.js';

/** A scmp_filter_ctx (an opaque pointer; koffi 3 gives pointers as bigint). */
export type ScmpFilterCtx = bigint;

/** struct scmp_arg_cmp, as plain data. */
export interface ScmpArgCmp {
  /** Argument index, 0..5. */
  arg: number;
  /** enum scmp_compare (SCMP_CMP_*). */
  op: number;
  datumA: bigint;
  datumB: bigint;
}

export interface ScmpVersion {
  major: number;
  minor: number;
  micro: number;
}

/**
 * Which libseccomp produced a program: its version and the file the dynamic loader mapped
 * (from /proc/self/maps), so a cache can tell later, with a stat(), that it is still the one
 * that would be loaded.
 */
export interface LibseccompIdentity {
  version: string;
  file?: { path: string; dev: number; ino: number; size: number; mtimeMs: number };
}

/** enum scmp_filter_attr (seccomp.h). */
export const SCMP_FLTATR = {
  ACT_DEFAULT: 1,
  ACT_BADARCH: 2,
  CTL_NNP: 3,
  CTL_TSYNC: 4,
  API_TSKIP: 5,
  CTL_LOG: 6,
  CTL_SSB: 7,
  CTL_OPTIMIZE: 8,
  API_SYSRAWRC: 9,
} as const;

/** What seccomp_syscall_resolve_name*() return for a name they do not know. */
export const NR_SCMP_ERROR = -1;

/** The libseccomp operations the compiler uses; tests may wrap or fake it. */
export interface Libseccomp {
  /** The file dlopen()ed, for messages. */
  readonly soname: string;
  /** seccomp_version() */
  version(): ScmpVersion;
  /** The version and the mapped library file. */
  identity(): LibseccompIdentity;
  /** seccomp_api_get(): the API level libseccomp detected for this kernel. */
  apiLevel(): number;
  /** seccomp_init(defaultAction) */
  init(defaultAction: number): ScmpFilterCtx;
  /** seccomp_release(ctx) */
  release(ctx: ScmpFilterCtx): void;
  /** seccomp_arch_native() */
  archNative(): number;
  /** seccomp_arch_resolve_name(name): the token, 0 when this libseccomp does not know it. */
  archResolveName(name: string): number;
  /** seccomp_arch_add(ctx, token); an architecture already present (EEXIST) is not an error. */
  archAdd(ctx: ScmpFilterCtx, token: number): void;
  /** seccomp_syscall_resolve_name(name) for the native arch: NR_SCMP_ERROR when unknown; other negative values are libseccomp's pseudo-syscalls (valid in rules). */
  syscallResolveName(name: string): number;
  /** seccomp_syscall_resolve_name_arch(token, name) */
  syscallResolveNameArch(token: number, name: string): number;
  /** seccomp_attr_set(ctx, attr, value) */
  attrSet(ctx: ScmpFilterCtx, attr: number, value: number): void;
  /** seccomp_rule_add_array(ctx, action, syscall, args.length, args); `what` names the rule in errors. */
  ruleAddArray(ctx: ScmpFilterCtx, action: number, syscall: number, args: readonly ScmpArgCmp[], what?: string): void;
  /** seccomp_export_bpf(ctx, memfd), read back: the classic BPF program, host byte order. */
  exportBpf(ctx: ScmpFilterCtx): Uint8Array;
  /**
   * Whether the running kernel accepts these SECCOMP_FILTER_FLAG_* bits, probed the way
   * libseccomp does: seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL) fails with EFAULT when the
   * flags are known and EINVAL when not; nothing is installed. undefined when the probe itself
   * is refused (e.g. we already run under a filter that denies seccomp()).
   */
  kernelAcceptsFilterFlags(flags: number): boolean | undefined;
}

/** Thrown when libseccomp returns -errno. */
export class LibseccompError extends SysError {
  override name = 'LibseccompError';
  constructor(
    readonly fn: string,
    subject: string | undefined,
    readonly rc: number,
  ) {
    super(fn, subject, errnoName(Math.abs(rc)), describeCode(errnoName(Math.abs(rc))));
  }
}

let cached: Libseccomp | undefined;

/**
 * The libseccomp binding, loading the library on first use. `TSRUN_LIBSECCOMP` may name the
 * shared object to load instead of `libseccomp.so.2`.
 */
export function loadLibseccomp(): Libseccomp {
  cached ??= bind(process.env.TSRUN_LIBSECCOMP || 'libseccomp.so.2');
  return cached;
}

/** Whether the binding was loaded already (for tests and diagnostics). */
export function libseccompLoaded(): boolean {
  return cached !== undefined;
}

const SECCOMP_SET_MODE_FILTER = 1;
const MFD_CLOEXEC = 1;

const koffiLib = loadKoffi;

/** The file a loaded shared object was mapped from, per /proc/self/maps. */
function mappedFile(baseName: string): LibseccompIdentity['file'] {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of maps.split('\n')) {
    const at = line.indexOf('/');
    if (at < 0) continue;
    const file = line.slice(at);
    if (!basename(file).startsWith(baseName)) continue;
    try {
      const st = statSync(file);
      return { path: file, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function bind(soname: string): Libseccomp {
  const koffi = koffiLib();
  let lib: LibraryHandle;
  try {
    lib = koffi.load(soname);
  } catch (err) {
    throw new UnsupportedError(
      `seccomp: cannot load ${soname} (install libseccomp2): ${(err as Error).message}`,
    );
  }
  let libc: LibraryHandle | undefined;
  const getLibc = (): LibraryHandle => (libc ??= koffi.load('libc.so.6'));

  const versionT = koffi.struct({ major: 'uint', minor: 'uint', micro: 'uint' });
  const argCmpT = koffi.struct({
    arg: 'uint',
    op: 'int',
    datum_a: 'uint64_t',
    datum_b: 'uint64_t',
  });
  const ARG_SIZE = koffi.sizeof(argCmpT);
  const OFF_OP = koffi.offsetof(argCmpT, 'op');
  const OFF_A = koffi.offsetof(argCmpT, 'datum_a');
  const OFF_B = koffi.offsetof(argCmpT, 'datum_b');

  const f = {
    version: lib.func('seccomp_version', koffi.pointer(versionT), []),
    apiGet: lib.func('unsigned int seccomp_api_get(void)'),
    init: lib.func('void *seccomp_init(uint32_t def_action)'),
    release: lib.func('void seccomp_release(void *ctx)'),
    archNative: lib.func('uint32_t seccomp_arch_native(void)'),
    archResolveName: lib.func('uint32_t seccomp_arch_resolve_name(const char *arch_name)'),
    archAdd: lib.func('int seccomp_arch_add(void *ctx, uint32_t arch_token)'),
    resolveName: lib.func('int seccomp_syscall_resolve_name(const char *name)'),
    resolveNameArch: lib.func('int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name)'),
    attrSet: lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)'),
    ruleAddArray: lib.func(
      'int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const void *arg_array)',
    ),
    exportBpf: lib.func('int seccomp_export_bpf(void *ctx, int fd)'),
  };
  let memfdCreate: ((name: string, flags: number) => number) | undefined;
  let syscall3: ((nr: number, ...rest: unknown[]) => number | bigint) | undefined;

  const check = (fn: string, subject: string | undefined, rc: number): void => {
    if (rc < 0) throw new LibseccompError(fn, subject, rc);
  };

  /** A file descriptor libseccomp can write the program to: a memfd, else an unlinked temp file. */
  const scratchFd = (): number => {
    try {
      memfdCreate ??= getLibc().func('int memfd_create(const char *name, unsigned int flags)') as (
        name: string,
        flags: number,
      ) => number;
      const fd = memfdCreate('tsrun-seccomp-bpf', MFD_CLOEXEC);
      if (fd >= 0) return fd;
    } catch {
      // fall through to a temp file
    }
    const file = join(os().tmpdir(), `tsrun-seccomp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    unlinkSync(file);
    return fd;
  };

  const version = (): ScmpVersion => {
    const p = f.version();
    if (p === null || p === undefined) throw new SysError('seccomp_version', undefined, undefined, 'returned NULL');
    return koffi.decode(p, versionT) as ScmpVersion;
  };

  return {
    soname,
    version,
    identity(): LibseccompIdentity {
      const v = version();
      const file = mappedFile(basename(soname).split('.so')[0] + '.so');
      return { version: `${v.major}.${v.minor}.${v.micro}`, ...(file ? { file } : {}) };
    },
    apiLevel: () => f.apiGet() as number,
    init(defaultAction: number): ScmpFilterCtx {
      const ctx = f.init(defaultAction >>> 0) as bigint | null;
      if (ctx === null || ctx === undefined || ctx === 0n) {
        // libseccomp returns NULL for an action the kernel does not support (or out of memory).
        throw new SysError('seccomp_init', `0x${(defaultAction >>> 0).toString(16)}`, 'EINVAL', 'failed (action unsupported by this kernel?)');
      }
      return ctx;
    },
    release: (ctx) => void f.release(ctx),
    archNative: () => (f.archNative() as number) >>> 0,
    archResolveName: (name) => (f.archResolveName(name) as number) >>> 0,
    archAdd(ctx, token) {
      const rc = f.archAdd(ctx, token >>> 0) as number;
      if (rc === -os().constants.errno.EEXIST) return;
      check('seccomp_arch_add', `0x${(token >>> 0).toString(16)}`, rc);
    },
    syscallResolveName: (name) => f.resolveName(name) as number,
    syscallResolveNameArch: (token, name) => f.resolveNameArch(token >>> 0, name) as number,
    attrSet(ctx, attr, value) {
      check('seccomp_attr_set', `attribute ${attr}`, f.attrSet(ctx, attr, value >>> 0) as number);
    },
    ruleAddArray(ctx, action, syscall, args, what) {
      let buf: Buffer | null = null;
      if (args.length > 0) {
        // An array of struct scmp_arg_cmp in host byte order (layout from koffi's own struct).
        const le = os().endianness() === 'LE';
        buf = Buffer.alloc(ARG_SIZE * args.length);
        args.forEach((a, i) => {
          const o = i * ARG_SIZE;
          if (le) {
            buf!.writeUInt32LE(a.arg >>> 0, o);
            buf!.writeInt32LE(a.op, o + OFF_OP);
            buf!.writeBigUInt64LE(a.datumA, o + OFF_A);
            buf!.writeBigUInt64LE(a.datumB, o + OFF_B);
          } else {
            buf!.writeUInt32BE(a.arg >>> 0, o);
            buf!.writeInt32BE(a.op, o + OFF_OP);
            buf!.writeBigUInt64BE(a.datumA, o + OFF_A);
            buf!.writeBigUInt64BE(a.datumB, o + OFF_B);
          }
        });
      }
      const rc = f.ruleAddArray(ctx, action >>> 0, syscall, args.length, buf) as number;
      check('seccomp_rule_add_array', what ?? `syscall ${syscall}`, rc);
    },
    exportBpf(ctx) {
      const fd = scratchFd();
      try {
        check('seccomp_export_bpf', undefined, f.exportBpf(ctx, fd) as number);
        const size = fstatSync(fd).size;
        const out = Buffer.alloc(size);
        let done = 0;
        while (done < size) {
          const n = readSync(fd, out, done, size - done, done);
          if (n === 0) break;
          done += n;
        }
        return new Uint8Array(out.buffer, out.byteOffset, done);
      } finally {
        closeSync(fd);
      }
    },
    kernelAcceptsFilterFlags(flags) {
      const nr = f.resolveName('seccomp') as number;
      if (nr < 0) return undefined;
      try {
        syscall3 ??= getLibc().func('long syscall(long number, ...)') as (nr: number, ...rest: unknown[]) => number;
        koffi.errno(0);
        const rc = Number(syscall3(nr, 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', flags >>> 0, 'void *', null));
        const errno = koffi.errno();
        if (rc === 0) return true; // cannot happen with a NULL program; be safe
        if (errno === os().constants.errno.EFAULT) return true;
        if (errno === os().constants.errno.EINVAL) return false;
        return undefined;
      } catch {
        return undefined;
      }
    },
  };
}
