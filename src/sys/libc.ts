/**
 * libc through koffi, loaded on first use only: the commands that merely read state (state,
 * list, start, kill, delete) never pay for loading the FFI.
 */
import { loadKoffi } from './koffi.js';
import { SysError } from '../errors.js';

type Fn = ((...args: unknown[]) => number) & { async: (...args: unknown[]) => void };

interface Libc {
  prctl: Fn;
  waitpid: Fn;
  errno: () => number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  libc = {
    prctl: lib.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)'),
    waitpid: lib.func('int waitpid(int, _Out_ int *, int)'),
    errno: () => koffi.errno() as number,
  };
  return libc;
}

const PR_SET_CHILD_SUBREAPER = 36;

/** Makes this process the reaper of its orphaned descendants (the container's init, for `run`). */
export function setChildSubreaper(): void {
  const c = load();
  if (c.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) throw new SysError('prctl(PR_SET_CHILD_SUBREAPER)', undefined, c.errno());
}

export interface WaitResult {
  pid: number;
  /** Exit status, or 128 + the signal number, as a shell reports it. */
  code: number;
}

/** Decodes a wait status into a shell-style exit code. */
export function exitCodeOf(status: number): number {
  const sig = status & 0x7f;
  return sig === 0 ? (status >> 8) & 0xff : 128 + sig;
}

/** waitpid(pid, 0) on a worker thread, so signals can still be forwarded meanwhile. */
export function waitPidAsync(pid: number): Promise<WaitResult> {
  const c = load();
  return new Promise((resolve, reject) => {
    const status = [0];
    c.waitpid.async(pid, status, 0, (err: unknown, got: number) => {
      if (err) return reject(err);
      if (got < 0) return reject(new SysError('waitpid', String(pid), c.errno()));
      resolve({ pid: got, code: exitCodeOf(status[0]!) });
    });
  });
}
