/**
 * OCI hooks: each runs as its own process with the container's state JSON on stdin, its args
 * (args[0] is argv[0], as execv), env and an optional timeout in seconds. A failing hook fails the
 * operation, except poststop whose failures are only reported (runtime-spec config.md).
 */
import type { ChildProcess } from 'node:child_process';
import { childProcess } from '../sys/builtins.js';
import { namespacesToJoin } from '../sys/proc.js';
import { TsrunError } from '../errors.js';
import { debug, debugOn } from '../log.js';
import type { HookAsProcess } from '../plan/exec.js';

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export type HookPhase = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export class HookError extends TsrunError {
  override name = 'HookError';
}

/** Where a hook runs: on the host, or in the container's namespaces (createContainer, startContainer). */
export interface HookPlace {
  /** Host pid of the container's init, whose namespaces the hook joins. */
  initPid: number;
  /** The hook's working directory in those namespaces (default: where joining the mount namespace leaves it, its root). */
  cwd?: string;
  /** startContainer: the hook runs as the container's process would (plan/exec.ts, HookAsProcess). */
  asProcess?: HookAsProcess;
  /** What the seccomp filter's listener gets with the hook's notify fd. */
  listenerState?(hookPid: number): Uint8Array | undefined;
  /** The hook process exists: put it in the container's cgroup (startContainer: runc runs it from the init). */
  onSpawn?(pid: number): void;
}

/**
 * Feeds a started hook its state, watches its timeout and exit status: rejects with a HookError
 * naming the phase, index and reason.
 */
function superviseHook(child: ChildProcess, hook: Hook, state: object, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    let timer: NodeJS.Timeout | undefined;
    if (hook.timeout !== undefined) {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new HookError(`${where}: timed out after ${hook.timeout}s`));
      }, hook.timeout * 1000);
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new HookError(`${where}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = sig ? `killed by ${sig}` : `exit status ${code}`;
      reject(new HookError(`${where}: ${why}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
    });
    // A hook that does not read its stdin must not fail the write.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(state));
  });
}

/** Runs one hook to completion, on the host or (with `place`) in the container's namespaces. */
export async function runHook(hook: Hook, state: object, phase: HookPhase, index: number, place?: HookPlace): Promise<void> {
  const where = `${phase} hook #${index} (${hook.path})`;
  if (debugOn()) debug(`running ${where}${place ? ` in the namespaces of ${place.initPid}` : ''}: ${JSON.stringify(hook.args ?? [hook.path])}`);
  if (!place) {
    const [argv0, ...rest] = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
    const child = childProcess().spawn(hook.path, rest, { argv0, env: envObject(hook.env), stdio: ['pipe', 'ignore', 'pipe'] });
    return superviseHook(child, hook, state, where);
  }
  // Only hooks in the container need the executor and the planner: load them here, not on every start.
  const [{ runExecutor }, { buildHookPlan }] = await Promise.all([import('../executor/spawn.js'), import('../plan/index.js')]);
  let supervised: Promise<void> | undefined;
  try {
    await runExecutor(
      {
        ops: buildHookPlan(hook, { initPid: place.initPid, joinTypes: namespacesToJoin(place.initPid), cwd: place.cwd, asProcess: place.asProcess }).ops,
        extraFds: 0,
        pipeStdio: true,
        onChild: (child) => {
          supervised = superviseHook(child, hook, state, where);
          supervised.catch(() => undefined);
        },
      },
      { onSpawn: place.onSpawn, onReady: (hookPid) => place.listenerState?.(hookPid) },
    );
  } catch (e) {
    throw new HookError(`${where}: ${(e as Error).message}`);
  }
  await supervised;
}

function envObject(env: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** Runs the hooks of one phase in order, stopping at the first failure. */
export async function runHooks(hooks: readonly Hook[] | undefined, state: object, phase: HookPhase, place?: HookPlace): Promise<void> {
  for (const [i, h] of (hooks ?? []).entries()) await runHook(h, state, phase, i, place);
}

/** Runs every hook of a phase, collecting failures instead of stopping (poststop). */
export async function runHooksReportingErrors(hooks: readonly Hook[] | undefined, state: object, phase: HookPhase): Promise<string[]> {
  const errors: string[] = [];
  for (const [i, h] of (hooks ?? []).entries()) {
    try {
      await runHook(h, state, phase, i);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}
