/**
 * Signalling a container's init so that a recycled pid is never hit: a pidfd pins the process
 * (pidfd_open(2)), the start time read after opening it proves it is still the init that create
 * recorded, and the signal goes through the pidfd (pidfd_send_signal(2)). In this process, through
 * tsrun's addon (or koffi) on Node and Bun.FFI on Bun: `kill` no longer starts the executor for it
 * (its `signal` mode, which stays for a libc without these wrappers: glibc before 2.36).
 */
import { SysError } from '../errors.js';
import { bunPidfd } from './bun-libc.js';
import { bunRuntime } from './builtins.js';
import { closeFile } from './file.js';
import { isSameLiveProcess } from './proc.js';

const ESRCH = 3;

/**
 * pidfd_open(2) and pidfd_send_signal(2) as one engine binds them (tsrun's addon or koffi on Node,
 * Bun.FFI on Bun); errno() reads the errno the last of them set.
 */
export interface PidfdCalls {
  open(pid: number): number;
  sendSignal(pidfd: number, signal: number): number;
  errno(): number;
}

async function pidfdCalls(): Promise<PidfdCalls | undefined> {
  if (bunRuntime()) return bunPidfd();
  const { nodePidfd } = await import('./libc.js');
  return nodePidfd();
}

/**
 * Sends signal to pid if it is still the live process that started at `starttime`: 'sent', or
 * 'gone' (exited, a zombie, or another process now). undefined: this libc cannot do it here.
 */
export async function signalSameProcess(pid: number, starttime: number, signal: number): Promise<'sent' | 'gone' | undefined> {
  const calls = await pidfdCalls();
  if (!calls) return undefined;
  const pidfd = calls.open(pid);
  if (pidfd < 0) return failed(calls.errno(), 'pidfd_open', pid);
  try {
    if (!isSameLiveProcess(pid, starttime)) return 'gone';
    return calls.sendSignal(pidfd, signal) === 0 ? 'sent' : failed(calls.errno(), 'pidfd_send_signal', pid);
  } finally {
    closeFile(pidfd);
  }
}

/** ESRCH means the process is gone; any other errno is an error naming the call. */
function failed(errno: number, call: string, pid: number): 'gone' {
  if (errno === ESRCH) return 'gone';
  throw SysError.fromErrno(call, String(pid), errno);
}
