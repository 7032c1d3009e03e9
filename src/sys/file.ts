/**
 * The synchronous file calls of the commands a manager makes for every container (state, start,
 * kill, delete; the store, /proc, the cgroup files and the log they share). On Node they are
 * node:fs's. In the compiled Bun program they go to libc through Bun.FFI (sys/bun-libc.ts), since
 * loading its node:fs is a large share of a `state` (docs/performance.md).
 *
 * Both behave alike: every fd is close-on-exec (as Node opens them), open/read/write retry EINTR,
 * and a failure throws an Error with Node's fields (code "ENOENT", errno -2, syscall, path), so
 * callers test `e.code` and wrap with SysError.fromNode either way. What only create, exec or
 * the rarer paths need (recursive mkdir and rm, readdir, stat) stays with node:fs (`nodeFs()`).
 */
import { errnoName } from '../errors.js';
import { bunRuntime, nodeFs } from './builtins.js';
import { bunLibc } from './bun-libc.js';

/** open(2) flags, Linux's values (the same on x86-64 and arm64). */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
} as const;

interface FileOps {
  /** A whole file as UTF-8 text (also /proc files, whose size reads as 0). */
  readText(path: string): string;
  open(path: string, flags: number, mode: number): number;
  /** One read(2) into buf; 0 at end of file. */
  read(fd: number, buf: Uint8Array): number;
  /** One write(2) of bytes from offset; returns the count written. */
  write(fd: number, bytes: Uint8Array, offset: number): number;
  close(fd: number): void;
  unlink(path: string): void;
  rmdir(path: string): void;
  /** One level, like mkdir(2): EEXIST when present. */
  mkdir(path: string, mode: number): void;
  rename(from: string, to: string): void;
  exists(path: string): boolean;
}

const nodeOps = (): FileOps => {
  const fs = nodeFs();
  return {
    readText: (path) => fs.readFileSync(path, 'utf8'),
    open: (path, flags, mode) => fs.openSync(path, flags, mode),
    read: (fd, buf) => fs.readSync(fd, buf, 0, buf.length, null),
    write: (fd, bytes, offset) => fs.writeSync(fd, bytes, offset),
    close: (fd) => fs.closeSync(fd),
    unlink: (path) => fs.unlinkSync(path),
    rmdir: (path) => fs.rmdirSync(path),
    mkdir: (path, mode) => void fs.mkdirSync(path, { mode }),
    rename: (from, to) => fs.renameSync(from, to),
    exists: (path) => fs.existsSync(path),
  };
};

const EINTR = 4;

/** An Error shaped like node:fs's for errno from syscall on path. */
export function errnoException(errno: number, syscall: string, path?: string): NodeJS.ErrnoException {
  const code = errnoName(errno);
  const err: NodeJS.ErrnoException = new Error(`${code}: ${syscall} failed${path === undefined ? '' : `, ${syscall} '${path}'`}`);
  Object.assign(err, { code, errno: -errno, syscall, ...(path === undefined ? {} : { path }) });
  return err;
}

const bunOps = (): FileOps => {
  const c = bunLibc();
  const encoder = new TextEncoder();
  const cPath = (path: string): Uint8Array => {
    // node:fs refuses these too: C would see a shorter path.
    if (path.includes('\0')) throw Object.assign(new TypeError(`path must not contain NUL bytes: ${JSON.stringify(path)}`), { code: 'ERR_INVALID_ARG_VALUE' });
    return encoder.encode(`${path}\0`);
  };
  /** Runs a call returning -1 on failure, again while it fails with EINTR. */
  const check = (rc: number, syscall: string, path?: string, retry?: () => number): number => {
    while (rc < 0) {
      const errno = c.errno();
      if (errno !== EINTR || !retry) throw errnoException(errno, syscall, path);
      rc = retry();
    }
    return rc;
  };
  const call = (syscall: string, path: string | undefined, fn: () => number, retry = false): number =>
    check(fn(), syscall, path, retry ? fn : undefined);
  const ops: FileOps = {
    readText: (path) => {
      const fd = ops.open(path, O.RDONLY, 0);
      try {
        let buf = new Uint8Array(8192);
        let len = 0;
        for (;;) {
          if (len === buf.length) {
            const bigger = new Uint8Array(buf.length * 2);
            bigger.set(buf);
            buf = bigger;
          }
          const n = ops.read(fd, buf.subarray(len));
          if (n === 0) break;
          len += n;
        }
        return new TextDecoder().decode(buf.subarray(0, len));
      } finally {
        ops.close(fd);
      }
    },
    open: (path, flags, mode) => {
      const p = cPath(path);
      return call('open', path, () => c.open(p, flags | O.CLOEXEC, mode), true);
    },
    read: (fd, buf) => call('read', undefined, () => c.read(fd, buf, buf.length), true),
    write: (fd, bytes, offset) => {
      const rest = offset === 0 ? bytes : bytes.subarray(offset);
      return call('write', undefined, () => c.write(fd, rest, rest.length), true);
    },
    close: (fd) => void call('close', undefined, () => c.close(fd)),
    unlink: (path) => void call('unlink', path, () => c.unlink(cPath(path))),
    rmdir: (path) => void call('rmdir', path, () => c.rmdir(cPath(path))),
    mkdir: (path, mode) => void call('mkdir', path, () => c.mkdir(cPath(path), mode)),
    rename: (from, to) => void call('rename', from, () => c.rename(cPath(from), cPath(to))),
    exists: (path) => !path.includes('\0') && c.access(cPath(path), 0) === 0,
  };
  return ops;
};

let chosen: FileOps | undefined;
/** The implementation for this engine, made on first use. */
const ops = (): FileOps => (chosen ??= bunRuntime() ? bunOps() : nodeOps());

export const openFile = (path: string, flags: number, mode = 0o666): number => ops().open(path, flags, mode);
export const readInto = (fd: number, buf: Uint8Array): number => ops().read(fd, buf);
export const closeFile = (fd: number): void => ops().close(fd);
export const unlinkPath = (path: string): void => ops().unlink(path);
export const removeDir = (path: string): void => ops().rmdir(path);
export const makeDir = (path: string, mode = 0o777): void => ops().mkdir(path, mode);
export const renamePath = (from: string, to: string): void => ops().rename(from, to);
export const pathExists = (path: string): boolean => ops().exists(path);
export const readText = (path: string): string => ops().readText(path);
/** Writes all of data to fd, in as many write(2) calls as the fd takes it in. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const o = ops();
  for (let off = 0; off < bytes.length; ) off += o.write(fd, bytes, off);
}

/** Opens path with flags (O.WRONLY and what else), writes all of data, closes it. */
export function writeFileWith(path: string, data: string, flags: number, mode = 0o666): void {
  const fd = openFile(path, flags, mode);
  try {
    writeAll(fd, data);
  } finally {
    closeFile(fd);
  }
}

/** Which implementation runs here (for tests and traces). */
export function fileBackend(): 'node:fs' | 'Bun.FFI' {
  return bunRuntime() ? 'Bun.FFI' : 'node:fs';
}
