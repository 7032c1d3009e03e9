/**
 * libc through Bun's own FFI, for the compiled Bun program only: the file calls of sys/file.ts,
 * the pidfd calls of sys/pidfd.ts, and the subreaper and waitpid of sys/libc.ts (`run`, `exec`).
 * Why not node:fs there: a compiled Bun program loads its node:fs (with fs/promises, util/types
 * and the validators) on the first call, and every command makes one. Why not koffi: loading its
 * addon costs more than all of these calls (docs/performance.md).
 * On Node this module is never called.
 *
 * Bun.FFI is the native object under the bun:ffi module; that module's JavaScript (a load of its
 * own, and a `new Function` argument wrapper per symbol) only converts arguments, and the ones
 * passed here need no conversion: int32 numbers, typed arrays for pointers, null. test/unit/file-ops.test.ts runs the same cases on both engines.
 *
 * The functions return what libc returns (-1 and errno on failure); errno is read right after the
 * call, before any other JavaScript can make a libc call that would overwrite it.
 */
import { bunRuntime, type BunFfi } from './builtins.js';
import type { PidfdCalls } from './pidfd.js';

/** What file.ts calls: open/read/write/close, the path calls, and errno. Paths are NUL-terminated bytes. */
export interface BunLibc {
  open(path: Uint8Array, flags: number, mode: number): number;
  read(fd: number, buf: Uint8Array, len: number): number;
  write(fd: number, buf: Uint8Array, len: number): number;
  close(fd: number): number;
  unlink(path: Uint8Array): number;
  rmdir(path: Uint8Array): number;
  mkdir(path: Uint8Array, mode: number): number;
  rename(from: Uint8Array, to: Uint8Array): number;
  access(path: Uint8Array, mode: number): number;
  /** prctl(2) with four more arguments (glibc's is variadic: all are passed as unsigned long). */
  prctl(option: number, a: number, b: number, c: number, d: number): number;
  waitpid(pid: number, status: Int32Array, flags: number): number;
  /** errno of the last failed call. */
  errno(): number;
}

const SYMBOLS = {
  open: { args: ['ptr', 'i32', 'u32'], returns: 'i32' },
  // i64_fast: a number (not a BigInt) for every count these buffers can hold.
  read: { args: ['i32', 'ptr', 'u64'], returns: 'i64_fast' },
  write: { args: ['i32', 'ptr', 'u64'], returns: 'i64_fast' },
  close: { args: ['i32'], returns: 'i32' },
  unlink: { args: ['ptr'], returns: 'i32' },
  rmdir: { args: ['ptr'], returns: 'i32' },
  mkdir: { args: ['ptr', 'u32'], returns: 'i32' },
  rename: { args: ['ptr', 'ptr'], returns: 'i32' },
  access: { args: ['ptr', 'i32'], returns: 'i32' },
  prctl: { args: ['i32', 'u64', 'u64', 'u64', 'u64'], returns: 'i32' },
  waitpid: { args: ['i32', 'ptr', 'i32'], returns: 'i32' },
  __errno_location: { args: [], returns: 'ptr' },
} as const;

let libc: BunLibc | undefined;

function nativeFfi(): BunFfi {
  const ffi = bunRuntime()?.FFI;
  if (!ffi) throw new Error('sys/bun-libc: Bun.FFI is missing (not running on Bun?)');
  return ffi;
}

export function bunLibc(): BunLibc {
  if (libc) return libc;
  const ffi = nativeFfi();
  const s = ffi.dlopen('libc.so.6', SYMBOLS).symbols;
  const errnoPtr = s.__errno_location();
  libc = {
    open: (path, flags, mode) => s.open(path, flags, mode),
    read: (fd, buf, len) => s.read(fd, buf, len),
    write: (fd, buf, len) => s.write(fd, buf, len),
    close: (fd) => s.close(fd),
    unlink: (path) => s.unlink(path),
    rmdir: (path) => s.rmdir(path),
    mkdir: (path, mode) => s.mkdir(path, mode),
    rename: (from, to) => s.rename(from, to),
    access: (path, mode) => s.access(path, mode),
    prctl: (option, a, b, c, d) => s.prctl(option, a, b, c, d),
    waitpid: (pid, status, flags) => s.waitpid(pid, status, flags),
    // errno is thread-local and this program calls libc on its main thread only: one address.
    errno: () => ffi.read.i32(errnoPtr, 0),
  };
  return libc;
}

/** pidfd_open and pidfd_send_signal (glibc 2.36 and later), bound apart: undefined when this libc lacks them. */
export function bunPidfd(): PidfdCalls | undefined {
  let s;
  try {
    s = nativeFfi().dlopen('libc.so.6', {
      pidfd_open: { args: ['i32', 'u32'], returns: 'i32' },
      pidfd_send_signal: { args: ['i32', 'i32', 'ptr', 'u32'], returns: 'i32' },
    }).symbols;
  } catch {
    return undefined; // an older glibc: the executor signals instead
  }
  const c = bunLibc();
  return {
    open: (pid) => s.pidfd_open(pid, 0),
    sendSignal: (pidfd, signal) => s.pidfd_send_signal(pidfd, signal, null, 0),
    errno: c.errno,
  };
}

