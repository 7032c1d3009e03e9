/**
 * Starting the executor process with its sync channel (a socket pair on one fd, both ways), on
 * each engine's fastest path. Under Node: child_process.spawn with a 'pipe' stdio entry (a
 * net.Socket). Under Bun: Bun.spawn, whose extra 'pipe' entry is a socket pair too, read
 * through Bun.file(fd).stream(); node:child_process there costs about 11 ms on first use (it
 * loads Bun's net and stream layers) against 0.2 ms for Bun.spawn, measured in a compiled
 * program. Callers that need the child's stdin/stderr streams (hooks: 'pipe' entries, onChild)
 * take the Node path on both engines.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { bunRuntime, childProcess, type BunRuntime } from '../sys/builtins.js';
import { writeAll } from '../sys/fdio.js';

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
  return bun && !o.onChild && !o.stdio.includes('pipe') ? launchBun(bun, o) : launchNode(o);
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
