/**
 * A foreground terminal (`run` and `exec` of a process with terminal: true, without --detach):
 * tsrun-console listens on a fresh console socket, receives the pty master that the executor sends
 * from inside the container, and copies bytes between it and tsrun's own stdio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { childProcess, os } from '../sys/builtins.js';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { TsrunError } from '../errors.js';
import { siblingBinary } from '../executor/spawn.js';

export interface ConsoleProxy {
  /** The console socket to pass to create/exec. */
  socket: string;
  /** Resolves when the pty is closed (the proxy exits). */
  done: Promise<void>;
  /** Stops the proxy (restoring the terminal) if it still runs. */
  stop(): void;
}

export async function startConsoleProxy(): Promise<ConsoleProxy> {
  const dir = mkdtempSync(join(os().tmpdir(), 'tsrun-console-'));
  const socket = join(dir, 'console.sock');
  const child = childProcess().spawn(siblingBinary('tsrun-console', 'TSRUN_CONSOLE'), [socket], { stdio: [0, 1, 2, 'pipe'] });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve())).finally(() => rmSync(dir, { recursive: true, force: true }));
  const ready = await new Promise<boolean>((resolve) => {
    const pipe = child.stdio[3] as Readable;
    pipe.once('data', () => resolve(true));
    pipe.once('end', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  if (!ready) throw new TsrunError('cannot start the console proxy (tsrun-console)');
  return {
    socket,
    done,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
