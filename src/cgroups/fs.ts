/**
 * Every file-system access of the cgroup layer goes through `CgroupFs`, so the unit tests can run
 * the managers against a fake tree (a temp directory with the control files pre-created) and
 * record the exact writes. The host's (hostCgroupFs) opens control files without O_CREAT or
 * O_TRUNC, as runc does, so a missing file is ENOENT and each write is one write(2); its calls
 * are sys/file.ts's (libc in the compiled Bun program), but for isDir and readdir, which only
 * create and a busy delete need.
 */
import { nodeFs } from '../sys/builtins.js';
import { O, makeDir, pathExists, readText, removeDir, writeFileWith } from '../sys/file.js';
import { ConfigError, SysError, UnsupportedError } from '../errors.js';
import type { CgroupWrite } from './types.js';

export interface DirEntry {
  name: string;
  isDir: boolean;
}

export interface CgroupFs {
  readFile(path: string): string;
  /** One write(2) of `data` to an existing file (no create, no truncate). */
  writeFile(path: string, data: string): void;
  /** One level; EEXIST when present. */
  mkdir(path: string): void;
  rmdir(path: string): void;
  exists(path: string): boolean;
  /** A directory is there (false: missing, or a file). */
  isDir(path: string): boolean;
  readdir(path: string): DirEntry[];
}

export const hostCgroupFs: CgroupFs = {
  readFile: (path) => readText(path),
  writeFile: (path, data) => writeFileWith(path, data, O.WRONLY),
  mkdir: (path) => makeDir(path, 0o755),
  rmdir: (path) => removeDir(path),
  exists: (path) => pathExists(path),
  isDir: (path) => nodeFs().statSync(path, { throwIfNoEntry: false })?.isDirectory() === true,
  readdir: (path) => nodeFs().readdirSync(path, { withFileTypes: true }).map((d) => ({ name: d.name, isDir: d.isDirectory() })),
};

export type FsOp =
  | { op: 'write'; path: string; value: string }
  | { op: 'mkdir'; path: string }
  | { op: 'rmdir'; path: string };

/** Wraps another CgroupFs and records every successful mutation, in order. */
export class RecordingFs implements CgroupFs {
  readonly ops: FsOp[] = [];
  constructor(readonly inner: CgroupFs = hostCgroupFs) {}
  get writes(): CgroupWrite[] {
    return this.ops.flatMap((o) => (o.op === 'write' ? [{ path: o.path, value: o.value }] : []));
  }
  clear(): void {
    this.ops.length = 0;
  }
  readFile(path: string): string {
    return this.inner.readFile(path);
  }
  writeFile(path: string, data: string): void {
    this.inner.writeFile(path, data);
    this.ops.push({ op: 'write', path, value: data });
  }
  mkdir(path: string): void {
    this.inner.mkdir(path);
    this.ops.push({ op: 'mkdir', path });
  }
  rmdir(path: string): void {
    this.inner.rmdir(path);
    this.ops.push({ op: 'rmdir', path });
  }
  exists(path: string): boolean {
    return this.inner.exists(path);
  }
  isDir(path: string): boolean {
    return this.inner.isDir(path);
  }
  readdir(path: string): DirEntry[] {
    return this.inner.readdir(path);
  }
}

export function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Synchronous sleep (the cgroup API is synchronous; waits are a few ms at most). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Writes `value` to `path`; failures become `cgroup: write "v" to /path: reason (ERRNO)`. */
export function writeCg(fs: CgroupFs, path: string, value: string): void {
  try {
    fs.writeFile(path, value);
  } catch (err) {
    throw SysError.fromNode(`cgroup: write ${JSON.stringify(value)} to`, path, err);
  }
}

export function readCg(fs: CgroupFs, path: string): string {
  try {
    return fs.readFile(path);
  } catch (err) {
    throw SysError.fromNode('cgroup: read', path, err);
  }
}

/** Reads a file, or undefined when it does not exist. */
export function readOpt(fs: CgroupFs, path: string): string | undefined {
  try {
    return fs.readFile(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined;
    throw SysError.fromNode('cgroup: read', path, err);
  }
}

/**
 * A path for an error message: one line (control characters escaped) of bounded length (the
 * middle of a very long one elided; the file name at its end stays). cgroupsPath may be 3 KiB.
 */
export function showPath(p: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const s = p.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return s.length > max ? `${s.slice(0, 60)}...${s.slice(s.length - (max - 63))}` : s;
}

/** Formats an integer from the spec (JSON numbers beyond 2^53 included) for a cgroup file. */
export function int(field: string, n: number): string {
  if (typeof n !== 'number' || !Number.isFinite(n) || !Number.isInteger(n)) {
    throw new ConfigError(`${field}: ${JSON.stringify(n)} is not an integer`);
  }
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/**
 * Writes the values of one controller's spec fields into one cgroup directory, remembering the
 * writes. A field that the host cannot apply (controller not mounted, file absent) is an
 * UnsupportedError naming the field and the file, unless the spec value is the default, in which
 * case nothing is written.
 */
export class CgroupWriter {
  readonly writes: CgroupWrite[] = [];

  constructor(
    readonly fs: CgroupFs,
    /** undefined when the controller is not available on this host. */
    readonly dir: string | undefined,
    readonly controller: string,
  ) {}

  path(file: string): string {
    return `${this.dir ?? `<${this.controller}>`}/${file}`;
  }

  /** The field cannot be applied: the controller or the file is missing. */
  unavailable(field: string, file: string): UnsupportedError {
    if (this.dir === undefined) {
      return new UnsupportedError(
        `${field}: cannot apply: the ${this.controller} cgroup controller is not available on this host (no ${file})`,
      );
    }
    return new UnsupportedError(`${field}: cannot apply: ${showPath(this.path(file))} does not exist`);
  }

  /**
   * Writes value for `field` to `file`. Returns false (nothing written) when the controller or
   * file is absent and `isDefault` says the value asks for nothing.
   */
  set(field: string, file: string, value: string, isDefault = false): boolean {
    if (this.dir === undefined) {
      if (isDefault) return false;
      throw this.unavailable(field, file);
    }
    const path = this.path(file);
    try {
      this.fs.writeFile(path, value);
    } catch (err) {
      if (errCode(err) === 'ENOENT') {
        if (isDefault) return false;
        throw this.unavailable(field, file);
      }
      throw SysError.fromNode(`cgroup: write ${JSON.stringify(value)} to`, path, err);
    }
    this.writes.push({ path, value });
    return true;
  }

  /** Like set, but returns (instead of throwing) a failed write's SysError; ENOENT still throws. */
  trySet(field: string, file: string, value: string): SysError | undefined {
    try {
      this.set(field, file, value);
      return undefined;
    } catch (err) {
      if (err instanceof SysError) return err;
      throw err;
    }
  }

  exists(file: string): boolean {
    return this.dir !== undefined && this.fs.exists(this.path(file));
  }

  read(file: string): string | undefined {
    if (this.dir === undefined) return undefined;
    return readOpt(this.fs, this.path(file));
  }
}

/** Sentinel: a JSON uint64 of 2^64-1 arrives as 18446744073709552000; treat >= 2^63 as -1. */
export function isMinusOne(n: number | undefined): boolean {
  return n === -1 || (typeof n === 'number' && n >= 2 ** 63);
}
