/**
 * Starts tsrun-executor, hands it a plan and answers it, following the sync table at the top of
 * protocol.ts. The caller decides what to do at each step (write id maps, run hooks, write state)
 * through the callbacks; this file only speaks the protocol.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { ExecutorError, TsrunError } from '../errors.js';
import { findAbove, searchStart } from '../install.js';
import { childProcess } from '../sys/builtins.js';
import { isSameLiveProcess, readProcStat } from '../sys/proc.js';
import { decodeFrames, encodeFrame, encodePlan, FrameType, Op, PROTOCOL_VERSION, type ExecutorMessage, type PlanOp } from './protocol.js';

/**
 * A binary built beside the TypeScript: $ENV_NAME when set, else build/NAME in the nearest folder
 * above this module (or above a compiled Bun program) that has one (src/install.ts).
 */
export function siblingBinary(name: string, envName: string): string {
  const override = process.env[envName];
  if (override) return override;
  const from = searchStart(import.meta.url);
  const found = findAbove(from, join('build', name));
  if (!found) throw new TsrunError(`${name} not found in a build/ folder above ${from}: run \`make\` (or set ${envName})`);
  return found;
}

/** The executor binary ($TSRUN_EXECUTOR overrides). */
export function executorPath(): string {
  return siblingBinary('tsrun-executor', 'TSRUN_EXECUTOR');
}

export interface ExecutorCallbacks {
  /** The executor process exists: put it in its cgroups before it reads the plan. */
  onSpawn?(pid: number): void | Promise<void>;
  /** The executor unshared a user namespace: write its uid and gid maps. */
  onNeedIdmap?(pid: number): void | Promise<void>;
  /** The container's init exists (host pid). */
  onChildPid?(pid: number): void | Promise<void>;
  /** An OP_SYNC point (hooks). Throwing aborts the container. */
  onSync?(tag: number, initPid: number): void | Promise<void>;
  /**
   * Everything before the start gate succeeded: write state and the pid file. Throwing aborts.
   * Bytes returned go with GO (the container state for a seccomp listener).
   */
  onReady(initPid: number): void | Uint8Array | Promise<void | Uint8Array>;
}

export interface ExecutorRun {
  ops: readonly PlanOp[];
  /** fds 3.. of this process that the container inherits, in order. */
  extraFds: number;
  /** Use /dev/null for the executor's stdio (a terminal replaces them; clients wait on our pipes). */
  nullStdio?: boolean;
  /** Pipes for stdin and stderr (hooks: the state goes in, the error text comes out). */
  pipeStdio?: boolean;
  /** Sees the executor process before anything is sent (hooks: feed stdin, arm a timeout). */
  onChild?(child: ChildProcess): void;
}

/** Runs a plan to its READY point; resolves with the init's host pid. */
export async function runExecutor(run: ExecutorRun, cb: ExecutorCallbacks): Promise<number> {
  const inherited: Array<number | 'ignore' | 'inherit' | 'pipe'> = run.pipeStdio ? ['pipe', 'ignore', 'pipe'] : run.nullStdio ? ['ignore', 'ignore', 'ignore'] : [0, 1, 2];
  for (let fd = 3; fd < 3 + run.extraFds; fd++) inherited.push(fd);
  inherited.push('pipe');
  const syncFd = inherited.length - 1;
  const child = childProcess().spawn(executorPath(), [], {
    stdio: inherited,
    env: { _TSRUN_SYNCFD: String(syncFd) },
    argv0: 'tsrun-init',
  });
  const sock = child.stdio[syncFd] as Socket;
  const exited = new Promise<string>((res) => child.once('exit', (code, sig) => res(sig ? `signal ${sig}` : `status ${code}`)));
  child.once('error', () => undefined);
  run.onChild?.(child);
  let initPid = 0;
  try {
    if (!child.pid) throw new TsrunError(`cannot start the executor ${executorPath()}`);
    await cb.onSpawn?.(child.pid);
    sock.write(encodePlan(run.ops));
    for await (const msg of messages(sock)) {
      switch (msg.type) {
        case FrameType.HELLO:
          if (msg.version !== PROTOCOL_VERSION) throw new TsrunError(`executor speaks protocol ${msg.version} (${msg.build}), tsrun speaks ${PROTOCOL_VERSION}: rebuild with \`make\``);
          break;
        case FrameType.NEED_IDMAP:
          await cb.onNeedIdmap?.(msg.pid);
          sock.write(encodeFrame(FrameType.IDMAP_DONE));
          break;
        case FrameType.CHILD_PID:
          initPid = msg.pid;
          await cb.onChildPid?.(msg.pid);
          break;
        case FrameType.SYNC:
          await cb.onSync?.(msg.tag, initPid);
          sock.write(encodeFrame(FrameType.SYNC_ACK));
          break;
        case FrameType.READY:
          const go = await cb.onReady(initPid);
          await new Promise<void>((res) => sock.end(encodeFrame(FrameType.GO, go ?? undefined), () => res()));
          return initPid;
        case FrameType.ERROR:
          throw new ExecutorError(msg.message, msg.errno, msg.opIndex);
      }
    }
    throw new TsrunError(`the container's executor exited before it was ready (${await exited})`);
  } catch (e) {
    // Leave no process behind: the init (if it exists) and the executor itself.
    if (initPid > 0) await killAndWait(initPid);
    if (child.exitCode === null) child.kill('SIGKILL');
    sock.destroy();
    throw e;
  } finally {
    // The intermediate process exits right after the fork; reap it before returning.
    if (child.exitCode === null && child.signalCode === null) await exited;
  }
}

/** SIGKILL, then wait (briefly) until the process is dead, so a failed create leaves nothing running. */
async function killAndWait(pid: number): Promise<void> {
  const start = readProcStat(pid)?.starttime;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const deadline = Date.now() + 2000;
  while (start !== undefined && isSameLiveProcess(pid, start) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
}

/** Decoded frames from the sync socket, in order, until it closes. */
async function* messages(sock: Socket): AsyncGenerator<ExecutorMessage> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of sock) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    const { messages: msgs, rest } = decodeFrames(pending);
    pending = rest;
    yield* msgs;
  }
}

export { Op };
