/**
 * The process calls of create, run, exec and kill, each through the cheapest way the engine has:
 * tsrun's own addon on Node (sys/addon.ts), Bun.FFI on Bun (sys/bun-libc.ts), and koffi, loaded
 * on first use, where neither is there. state, list, start and delete make none of these calls.
 */
import { loadKoffi } from './koffi.js';
import { SysError } from '../errors.js';
import { bunRuntime } from './builtins.js';
import { closeFile } from './file.js';
import { bunLibc } from './bun-libc.js';
import type { PidfdCalls } from './pidfd.js';
import { SpawnStep, sysAddon } from './addon.js';

type Fn = (...args: unknown[]) => number;

interface Libc {
  prctl: Fn;
  waitpid: Fn;
  socketpair: Fn;
  shutdown: Fn;
  faInit: Fn;
  faAddDup2: Fn;
  faAddOpen: Fn;
  faDestroy: Fn;
  posixSpawn: Fn;
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
    socketpair: lib.func('int socketpair(int, int, int, _Out_ int *)'),
    shutdown: lib.func('int shutdown(int, int)'),
    faInit: lib.func('int posix_spawn_file_actions_init(void *)'),
    faAddDup2: lib.func('int posix_spawn_file_actions_adddup2(void *, int, int)'),
    faAddOpen: lib.func('int posix_spawn_file_actions_addopen(void *, int, const char *, int, unsigned int)'),
    faDestroy: lib.func('int posix_spawn_file_actions_destroy(void *)'),
    posixSpawn: lib.func('int posix_spawn(_Out_ int *, const char *, void *, void *, const char **, const char **)'),
    errno: () => koffi.errno() as number,
  };
  return libc;
}

/** Which way the process calls go in this process (tests and traces). */
export function processBackend(): 'Bun.FFI' | 'addon' | 'koffi' {
  return bunRuntime() ? 'Bun.FFI' : sysAddon() ? 'addon' : 'koffi';
}

/** The process calls `run` and `exec` make in the foreground (subreaper, waitpid). */
interface ProcCalls {
  prctl(option: number, a: number, b: number, c: number, d: number): number;
  /** waitpid(2): what it returns, and the status it wrote. */
  waitpid(pid: number, flags: number): { got: number; status: number };
  errno(): number;
}

let proc: ProcCalls | undefined;

function procCalls(): ProcCalls {
  if (proc) return proc;
  const native = bunRuntime() ? bunLibc() : sysAddon();
  if (native) {
    const status = new Int32Array(1);
    proc = {
      prctl: (option, a, b, c, d) => native.prctl(option, a, b, c, d),
      waitpid: (pid, flags) => ({ got: native.waitpid(pid, status, flags), status: status[0]! }),
      errno: () => native.errno(),
    };
  } else {
    const c = load();
    proc = {
      prctl: c.prctl,
      waitpid: (pid, flags) => {
        const status = [0];
        return { got: c.waitpid(pid, status, flags), status: status[0]! };
      },
      errno: c.errno,
    };
  }
  return proc;
}

const PR_SET_CHILD_SUBREAPER = 36;

/** Makes this process the reaper of its orphaned descendants (the container's init, for `run`). */
export function setChildSubreaper(): void {
  const c = procCalls();
  if (c.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) throw SysError.fromErrno('prctl(PR_SET_CHILD_SUBREAPER)', undefined, c.errno());
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

const WNOHANG = 1;

/** waitpid(pid, WNOHANG): the result once the process has ended (and is reaped now), else undefined. */
export function waitPidNow(pid: number): WaitResult | undefined {
  const c = procCalls();
  const { got, status } = c.waitpid(pid, WNOHANG);
  if (got < 0) throw SysError.fromErrno('waitpid', String(pid), c.errno());
  return got === 0 ? undefined : { pid: got, code: exitCodeOf(status) };
}

/**
 * Resolves once pid, a child of this process (or an orphan it reaps as subreaper), has ended:
 * reaped with WNOHANG now and at each SIGCHLD, so no thread sits in waitpid and the event loop
 * stays free (signals are forwarded meanwhile). A thread-pool waitpid through koffi was slower
 * to set up than the whole wait.
 */
export function waitChild(pid: number): Promise<WaitResult> {
  return new Promise((resolve, reject) => {
    // A signal listener does not keep the event loop alive; this timer does (and looks again
    // now and then, should a SIGCHLD ever go unseen).
    const keepAlive = setInterval(() => check(), 1000);
    const done = (): void => {
      clearInterval(keepAlive);
      process.off('SIGCHLD', check);
    };
    const check = (): void => {
      let r: WaitResult | undefined;
      try {
        r = waitPidNow(pid);
      } catch (e) {
        done();
        return reject(e);
      }
      if (!r) return;
      done();
      resolve(r);
    };
    // Listening first, then looking: an end between the two is seen either way.
    process.on('SIGCHLD', check);
    check();
  });
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const O_RDWR = 2;
/** glibc's posix_spawn_file_actions_t is 80 bytes on 64-bit Linux; room to spare. */
const FILE_ACTIONS_SIZE = 256;

export interface SpawnedWithChannel {
  pid: number;
  /** Our end of the socket pair (close-on-exec, blocking). */
  channel: number;
}

/**
 * posix_spawn(3) of path with stdio[i] as its fd i (one of our fds, or 'ignore' for /dev/null) and
 * the other end of a new AF_UNIX socket pair as fd stdio.length. Through koffi, undefined
 * (nothing started, nothing left open) when an end of the pair would land among those fds: the
 * caller takes another way; the addon moves the ends above them instead.
 */
export function spawnWithChannel(path: string, argv0: string, env: Record<string, string>, stdio: Array<number | 'ignore'>): SpawnedWithChannel | undefined {
  const envp = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const addon = sysAddon();
  if (addon) {
    const out = new Int32Array(2);
    const rc = addon.spawn(path, argv0, envp, stdio.map((fd) => (fd === 'ignore' ? -1 : fd)), out);
    if (rc < 0) {
      const step = SpawnStep[out[0]!] ?? 'spawn';
      throw SysError.fromErrno(step, step === 'posix_spawn' ? path : undefined, -rc);
    }
    return { pid: out[0]!, channel: out[1]! };
  }
  const c = load();
  const pair = [0, 0];
  if (c.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) !== 0) throw SysError.fromErrno('socketpair', undefined, c.errno());
  const [ours, theirs] = pair as [number, number];
  const target = stdio.length;
  const closeBoth = () => {
    closeFd(ours);
    closeFd(theirs);
  };
  if (theirs <= target || ours <= target) {
    closeBoth();
    return undefined;
  }
  const actions = Buffer.alloc(FILE_ACTIONS_SIZE);
  const check = (what: string, rc: number) => {
    if (rc !== 0) throw SysError.fromErrno(what, path, rc);
  };
  check('posix_spawn_file_actions_init', c.faInit(actions));
  try {
    stdio.forEach((fd, i) => {
      if (fd === 'ignore') check('posix_spawn_file_actions_addopen', c.faAddOpen(actions, i, '/dev/null', O_RDWR, 0));
      else check('posix_spawn_file_actions_adddup2', c.faAddDup2(actions, fd, i));
    });
    check('posix_spawn_file_actions_adddup2', c.faAddDup2(actions, theirs, target));
    const pid = [0];
    // posix_spawn returns the error number itself (ENOENT for a missing binary, ...).
    check('posix_spawn', c.posixSpawn(pid, path, actions, null, [argv0, null], [...envp, null]));
    closeFd(theirs);
    return { pid: pid[0]!, channel: ours };
  } catch (e) {
    closeBoth();
    throw e;
  } finally {
    c.faDestroy(actions);
  }
}

/** pidfd_open and pidfd_send_signal on Node: the addon's, else koffi's (undefined when this libc lacks them). */
export function nodePidfd(): PidfdCalls | undefined {
  const addon = sysAddon();
  if (addon) return { open: (pid) => addon.pidfdOpen(pid, 0), sendSignal: (fd, sig) => addon.pidfdSendSignal(fd, sig), errno: () => addon.errno() };
  return koffiPidfd();
}

/** pidfd_open and pidfd_send_signal through koffi (glibc 2.36 and later): undefined when this libc lacks them. */
function koffiPidfd(): PidfdCalls | undefined {
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  try {
    const open = lib.func('int pidfd_open(int, unsigned int)');
    const send = lib.func('int pidfd_send_signal(int, int, void *, unsigned int)');
    return { open: (pid) => open(pid, 0) as number, sendSignal: (fd, sig) => send(fd, sig, null, 0) as number, errno: () => koffi.errno() as number };
  } catch {
    return undefined; // an older glibc: the executor signals instead
  }
}

const SHUT_WR = 1;
const SHUT_RDWR = 2;

/** shutdown(2): no more writes from us (`write`), or neither way (a blocked read returns 0). */
export function shutdownSocket(fd: number, how: 'write' | 'both'): void {
  (sysAddon() ?? load()).shutdown(fd, how === 'write' ? SHUT_WR : SHUT_RDWR);
}

function closeFd(fd: number): void {
  try {
    closeFile(fd);
  } catch {
    /* already closed */
  }
}
