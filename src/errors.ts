/**
 * Errors that reach the user. Each carries enough context (operation, path, errno) to make one
 * clear line; the CLI prints `error.message` and exits 1. Phrases that managers match on
 * (docs/contract.md) live here and nowhere else.
 */

import { util } from './sys/builtins.js';

const TSRUN_ERROR = Symbol.for('tsrun.error');

export class TsrunError extends Error {
  override name = 'TsrunError';
  /** A brand instead of instanceof: each command bundle has its own copy of this class. */
  readonly [TSRUN_ERROR] = true;
}

/** True for every tsrun error, whichever bundle made it. */
export function isTsrunError(e: unknown): e is TsrunError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[TSRUN_ERROR] === true;
}

/** config.json (or a --process file) is unreadable, not JSON, or breaks a schema or a rule. */
export class ConfigError extends TsrunError {
  override name = 'ConfigError';
}

/** A command-line usage error (missing ID, bad flag value). */
export class UsageError extends TsrunError {
  override name = 'UsageError';
}

export class ContainerNotExistError extends TsrunError {
  override name = 'ContainerNotExistError';
  constructor(readonly id: string) {
    super(`container does not exist`);
  }
}

export class ContainerExistsError extends TsrunError {
  override name = 'ContainerExistsError';
  constructor(readonly id: string) {
    super(`container with given ID already exists`);
  }
}

export class ContainerNotRunningError extends TsrunError {
  override name = 'ContainerNotRunningError';
  constructor(readonly id: string) {
    super(`container not running`);
  }
}

/** An operation that the container's current status does not allow. */
export class IncorrectStatusError extends TsrunError {
  override name = 'IncorrectStatusError';
}

/** Something the spec asks for that tsrun (or this host) cannot do; never silently skipped. */
export class UnsupportedError extends TsrunError {
  override name = 'UnsupportedError';
}

/** A system call failed: `op path: reason (ERRNO)`. */
export class SysError extends TsrunError {
  override name = 'SysError';
  constructor(
    readonly op: string,
    readonly path: string | undefined,
    readonly errno: string | number | undefined,
    reason?: string,
  ) {
    super(`${op}${path ? ` ${shownPath(path)}` : ''}: ${reason ?? String(errno ?? 'failed')}`);
  }

  /** A failed call's errno number as one line naming op and path: `op path: no such file or directory (ENOENT)`. */
  static fromErrno(op: string, path: string | undefined, errno: number): SysError {
    const code = errnoName(errno);
    return new SysError(op, path, code, describeCode(code));
  }

  /** Wraps a Node fs error (with .code and .message) into one line naming op and path. */
  static fromNode(op: string, path: string | undefined, err: unknown): SysError {
    const e = err as NodeJS.ErrnoException;
    const reason = e?.code ? `${describeCode(e.code)}` : String(e?.message ?? err);
    return new SysError(op, path, e?.code, reason);
  }
}

/** The executor reported a failure inside the container set-up. */
export class ExecutorError extends TsrunError {
  override name = 'ExecutorError';
  constructor(
    message: string,
    readonly errno: number,
    readonly opIndex: number,
  ) {
    super(message);
  }
}

const CODE_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  EBUSY: 'device or resource busy',
  EINVAL: 'invalid argument',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on device',
  ESRCH: 'no such process',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links',
  ENOTEMPTY: 'directory not empty',
  EAGAIN: 'resource temporarily unavailable',
};

// Linux errno numbers of the codes callers test for; the others are named by node:util (loaded then).
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 9: 'EBADF', 11: 'EAGAIN', 13: 'EACCES',
  16: 'EBUSY', 17: 'EEXIST', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 28: 'ENOSPC', 30: 'EROFS', 39: 'ENOTEMPTY', 40: 'ELOOP',
};

/** The name of a (positive) errno number: "ENOENT"; "errno N" for one the system does not name. */
export function errnoName(errno: number): string {
  const known = ERRNO_NAMES[errno];
  if (known) return known;
  try {
    return util().getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

/** Go-style lower-case text for an errno code, as runc prints it (podman matches on these). */
export function describeCode(code: string): string {
  return CODE_TEXT[code] ? `${CODE_TEXT[code]} (${code})` : code;
}

/** A path fit for a one-line message: control characters escaped, the middle of a long one elided. */
export function shownPath(path: string, max = 300): string {
  const clean = path.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length <= max ? clean : `${clean.slice(0, max / 2)}…${clean.slice(-max / 2)}`;
}
