/**
 * Starting the executor process with its sync channel (a socket pair on one fd, both ways), on
 * each engine's fastest path. Under Node: posix_spawn and socketpair through tsrun's addon or
 * koffi (launchFfi; child_process is slow to load and first use), child_process.spawn
 * with a 'pipe' stdio entry (a net.Socket) where neither can. Under Bun: Bun.spawn, whose extra 'pipe'
 * entry is a socket pair too, read through Bun.file(fd).stream(); node:child_process there loads
 * Bun's net and stream layers on first use (docs/performance.md has the figures). Callers that need the child's stdin/stderr streams (hooks:
 * 'pipe' entries, onChild) take the child_process path on both engines.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, read } from 'node:fs';
import type { Socket } from 'node:net';
import { isTsrunError } from '../errors.js';
import { bunRuntime, childProcess, os, type BunRuntime } from '../sys/builtins.js';
import { shutdownSocket, spawnWithChannel, waitChild, waitPidNow } from '../sys/libc.js';
import { writeAll } from '../sys/file.js';

export interface LaunchOptions {
  path: string;
  argv0: string;
  env: Record<string, string>;
  /** stdio of the child: fds 0.. (numbers are ours, inherited); the channel is the next fd, stdio.length. */
  stdio: Array<number | 'ignore' | 'pipe'>;
  /** Wants the ChildProcess (its stdin/stderr pipes): forces the Node path. */
  onChild?(child: ChildProcess): void;
}

export interface Launched {
  /** 0 when the process could not be started. */
  readonly pid: number;
  send(bytes: Uint8Array): void;
  /** Sends the last bytes, then closes our end of the channel. */
  finish(bytes: Uint8Array): Promise<void>;
  /** Bytes from the child, until it closes the channel. */
  chunks(): AsyncIterable<Uint8Array>;
  /** "status N" or "signal NAME" once the process has exited. */
  readonly exited: Promise<string>;
  running(): boolean;
  kill(): void;
  /** Drops our end of the channel. */
  close(): void;
}

export function launch(o: LaunchOptions): Launched {
  const bun = bunRuntime();
  if (o.onChild || o.stdio.includes('pipe')) return launchNode(o);
  if (bun) return launchBun(bun, o);
  return launchFfi(o) ?? launchNode(o);
}

/**
 * Node without child_process: posix_spawn(3) and socketpair(2) through tsrun's addon, or koffi
 * where it is not built (sys/libc.ts), the channel read on the thread pool, the exit reaped with
 * waitpid WNOHANG (at once, or at its SIGCHLD), without loading child_process's stream and net
 * layers. Undefined when koffi cannot load or, through koffi, the fds would collide.
 */
function launchFfi(o: LaunchOptions): Launched | undefined {
  let spawned;
  try {
    spawned = spawnWithChannel(o.path, o.argv0, o.env, o.stdio as Array<number | 'ignore'>);
  } catch (e) {
    if (isTsrunError(e)) throw e;
    return undefined; // koffi itself would not load (and no addon): child_process still works
  }
  if (!spawned) return undefined;
  const { pid, channel: fd } = spawned;
  let closed = false;
  let reading = false;
  // How it ended, once reaped: by running() or the first look at `exited` when it is gone by
  // then (usually), else at its SIGCHLD (sys/libc.ts waitChild).
  let ended: string | undefined;
  let exited: Promise<string> | undefined;
  const describe = (code: number): string => (code > 128 ? `signal ${signalName(code - 128)}` : `status ${code}`);
  const reapNow = (): boolean => {
    if (ended !== undefined) return true;
    try {
      const r = waitPidNow(pid);
      if (r) ended = describe(r.code);
      return r !== undefined;
    } catch {
      return true; // ECHILD: waitChild's look at a SIGCHLD reaped it first (and says how it ended)
    }
  };
  const release = (): void => {
    if (closed) return;
    closed = true;
    closeSync(fd);
  };
  return {
    pid,
    send: (b) => void writeAll(fd, b),
    finish: async (b) => {
      writeAll(fd, b);
      shutdownSocket(fd, 'write');
    },
    async *chunks() {
      try {
        while (!closed) {
          reading = true;
          const bytes = await readChunk(fd);
          reading = false;
          if (bytes.length === 0) return;
          yield bytes;
        }
      } finally {
        reading = false;
        release();
      }
    },
    get exited() {
      exited ??= reapNow()
        ? Promise.resolve(ended ?? 'unknown (reaped elsewhere)')
        : waitChild(pid).then(
            ({ code }) => (ended ??= describe(code)),
            (e: unknown) => (ended ??= `unknown (${e instanceof Error ? e.message : String(e)})`),
          );
      return exited;
    },
    running: () => !reapNow(),
    kill: () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    },
    // A read waiting on the thread pool still holds the fd: end it (it returns 0, and the reader
    // closes); closing under it could close a later fd that reuses the number.
    close: () => (reading ? shutdownSocket(fd, 'both') : release()),
  };
}

/** One read(2) of up to 64 KiB on the thread pool: the bytes, empty at end of stream. */
function readChunk(fd: number): Promise<Uint8Array> {
  const buf = Buffer.allocUnsafe(65536);
  return new Promise((resolve, reject) => read(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(buf.subarray(0, n)))));
}

function signalName(n: number): string {
  return Object.entries(os().constants.signals).find(([, v]) => v === n)?.[0] ?? String(n);
}

function launchNode(o: LaunchOptions): Launched {
  const stdio = [...o.stdio, 'pipe' as const];
  const channelFd = stdio.length - 1;
  const child = childProcess().spawn(o.path, [], { stdio, env: o.env, argv0: o.argv0 });
  const sock = child.stdio[channelFd] as Socket;
  const exited = new Promise<string>((res) => child.once('exit', (code, sig) => res(sig ? `signal ${sig}` : `status ${code}`)));
  child.once('error', () => undefined);
  o.onChild?.(child);
  return {
    pid: child.pid ?? 0,
    send: (b) => void sock.write(b),
    finish: (b) => new Promise<void>((res) => sock.end(b, () => res())),
    chunks: () => sock as AsyncIterable<Uint8Array>,
    exited,
    running: () => child.pid !== undefined && child.exitCode === null && child.signalCode === null,
    kill: () => void child.kill('SIGKILL'),
    close: () => void sock.destroy(),
  };
}

function launchBun(bun: BunRuntime, o: LaunchOptions): Launched {
  const stdio = [...o.stdio, 'pipe'];
  const channelFd = stdio.length - 1;
  const proc = bun.spawn([o.path], { stdio, env: o.env, argv0: o.argv0 });
  const fd = proc.stdio[channelFd] as number;
  let open = true;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const close = (): void => {
    if (!open) return;
    open = false;
    // Once Bun's reader has the fd, cancelling the reader is what lets it go (closing the fd
    // under it could close a later fd reusing the number).
    if (reader) return void reader.cancel().catch(() => undefined);
    try {
      closeSync(fd);
    } catch {
      /* already gone */
    }
  };
  return {
    pid: proc.pid ?? 0,
    // Frames are a few KiB at most: the socket buffer takes them whole.
    send: (b) => void writeAll(fd, b),
    finish: async (b) => {
      writeAll(fd, b);
      close();
    },
    async *chunks() {
      reader = bun.file(fd).stream().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    },
    exited: proc.exited.then(() => (proc.signalCode ? `signal ${proc.signalCode}` : `status ${proc.exitCode}`)),
    running: () => proc.exitCode === null && proc.signalCode === null,
    kill: () => proc.kill('SIGKILL'),
    close,
  };
}

/**
 * Runs a short helper to completion, stdin and stdout on /dev/null: its exit status, and its
 * stderr as text. Bun.spawnSync under Bun (see above), child_process.spawnSync under Node.
 */
export function runQuiet(path: string, args: string[]): { status: number | null; stderr: string } {
  const bun = bunRuntime();
  if (bun) {
    const r = bun.spawnSync([path, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { status: r.exitCode, stderr: r.stderr ? Buffer.from(r.stderr).toString('utf8') : '' };
  }
  const r = childProcess().spawnSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  return { status: r.status, stderr: r.stderr || r.error?.message || '' };
}
