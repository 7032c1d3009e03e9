/**
 * Starts tsrun-executor, hands it a plan and answers it, following the sync table at the top of
 * protocol.ts. The caller decides what to do at each step (write id maps, run hooks, write state)
 * through the callbacks; this file only speaks the protocol.
 */
import type { ChildProcess } from 'node:child_process';
import { ExecutorError, TsrunError } from '../errors.js';
import { findBuilt, searchStart } from '../install-paths.js';
import { launch } from './launch.js';
import { isSameLiveProcess, readProcStat } from '../sys/proc.js';
import { debug, debugOn } from '../log.js';
import { decodeFrames, encodeFrame, encodePlan, FrameType, Op, PROTOCOL_VERSION, type ExecutorMessage, type PlanOp } from './protocol.js';

/**
 * A binary built beside the TypeScript: $ENV_NAME when set, else build/NAME in the nearest folder
 * above this module (or above a compiled Bun program) that has one (src/install-paths.ts).
 */
export function siblingBinary(name: string, envName: string): string {
  const override = process.env[envName];
  if (override) return override;
  const found = findBuilt(name);
  if (!found) throw new TsrunError(`${name} not found in a build/ folder above ${searchStart()}: run \`make\` (or set ${envName})`);
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
  /** An OP_SYNC point (hooks, the seccomp listener's state). Throwing aborts; bytes returned go with SYNC_ACK. */
  onSync?(tag: number, initPid: number): void | Uint8Array | Promise<void | Uint8Array>;
  /**
   * Everything before the start gate succeeded: write state and the pid file. Throwing aborts.
   * Bytes returned go with GO (the container state for a seccomp listener).
   */
  onReady(initPid: number): void | Uint8Array | Promise<void | Uint8Array>;
}

/** How the executor process is started. */
export interface ExecutorStart {
  /** fds 3.. of this process that the container inherits, in order. */
  extraFds: number;
  /** Use /dev/null for the executor's stdio (a terminal replaces them; clients wait on our pipes). */
  nullStdio?: boolean;
  /** Pipes for stdin and stderr (hooks: the state goes in, the error text comes out). */
  pipeStdio?: boolean;
  /** Sees the executor process before anything is sent (hooks: feed stdin, arm a timeout). */
  onChild?(child: ChildProcess): void;
}

export interface ExecutorRun extends ExecutorStart {
  ops: readonly PlanOp[];
}

/**
 * A started executor waiting for its plan. It does nothing before the plan arrives (it starts
 * its sealed copy and says HELLO), so a caller may start it first and make the cgroup meanwhile:
 * create does, to overlap the executor's start with the kernel's first-attach wait
 * (cgroups/warmup.ts).
 */
export interface StartedExecutor {
  readonly pid: number;
  /** Sends the plan and answers the executor up to READY; resolves with the init's host pid. */
  run(ops: readonly PlanOp[], cb: ExecutorCallbacks): Promise<number>;
  /** Kills and reaps an executor that will not get its plan (a failure before run()). */
  abort(): Promise<void>;
}

/** --debug: the ops the executor is sent, as `tsrun plan` shows them (the planner's text, loaded then only). */
async function debugPlan(pid: number, ops: readonly PlanOp[]): Promise<void> {
  const { describePlan } = await import('../plan/index.js');
  debug(`executor ${pid}: ${ops.length} ops\n${describePlan({ ops: [...ops], warnings: [] })}`);
}

/** Starts the executor; it waits for its plan (see StartedExecutor). */
export function startExecutor(start: ExecutorStart): StartedExecutor {
  const stdio: Array<number | 'ignore' | 'pipe'> = start.pipeStdio ? ['pipe', 'ignore', 'pipe'] : start.nullStdio ? ['ignore', 'ignore', 'ignore'] : [0, 1, 2];
  for (let fd = 3; fd < 3 + start.extraFds; fd++) stdio.push(fd);
  const child = launch({
    path: executorPath(),
    argv0: 'tsrun-init',
    stdio,
    env: { _TSRUN_SYNCFD: String(stdio.length) },
    onChild: start.onChild,
  });
  /** Leaves no process behind: the init (if it exists) and the executor itself. */
  const kill = async (initPid: number): Promise<void> => {
    if (initPid > 0) await killAndWait(initPid);
    if (child.running()) child.kill();
    child.close();
  };
  /** The intermediate process exits right after the fork; reap it before returning. */
  const reap = async (): Promise<void> => {
    // A process that never started (spawn failed) has nothing to reap and may emit no 'exit'.
    if (child.pid && child.running()) await child.exited;
  };
  return {
    pid: child.pid,
    async abort() {
      await kill(0);
      await reap();
    },
    async run(ops, cb) {
      let initPid = 0;
      try {
        if (!child.pid) throw new TsrunError(`cannot start the executor ${executorPath()}`);
        await cb.onSpawn?.(child.pid);
        if (debugOn()) await debugPlan(child.pid, ops);
        child.send(encodePlan(ops));
        for await (const msg of messages(child.chunks())) {
          switch (msg.type) {
            case FrameType.HELLO:
              if (msg.version !== PROTOCOL_VERSION) throw new TsrunError(`executor speaks protocol ${msg.version} (${msg.build}), tsrun speaks ${PROTOCOL_VERSION}: rebuild with \`make\``);
              break;
            case FrameType.NEED_IDMAP:
              await cb.onNeedIdmap?.(msg.pid);
              child.send(encodeFrame(FrameType.IDMAP_DONE));
              break;
            case FrameType.CHILD_PID:
              initPid = msg.pid;
              await cb.onChildPid?.(msg.pid);
              break;
            case FrameType.SYNC:
              const ack = await cb.onSync?.(msg.tag, initPid);
              child.send(encodeFrame(FrameType.SYNC_ACK, ack ?? undefined));
              break;
            case FrameType.READY:
              const go = await cb.onReady(initPid);
              await child.finish(encodeFrame(FrameType.GO, go ?? undefined));
              return initPid;
            case FrameType.ERROR:
              throw new ExecutorError(msg.message, msg.errno, msg.opIndex);
          }
        }
        throw new TsrunError(`the container's executor exited before it was ready (${await child.exited})`);
      } catch (e) {
        await kill(initPid);
        throw e;
      } finally {
        await reap();
      }
    },
  };
}

/** Starts the executor and runs a plan to its READY point; resolves with the init's host pid. */
export async function runExecutor(run: ExecutorRun, cb: ExecutorCallbacks): Promise<number> {
  return startExecutor(run).run(run.ops, cb);
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
async function* messages(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ExecutorMessage> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    pending = Buffer.concat([pending, chunk]);
    const { messages: msgs, rest } = decodeFrames(pending);
    pending = rest;
    yield* msgs;
  }
}

export { Op };
