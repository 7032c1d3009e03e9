/**
 * create: validate the bundle, make the state dir and cgroup, run the plan to the start gate,
 * write state.json and the pid file, and return with the init blocked on exec.fifo. Any failure
 * removes everything this call made: process, state dir, cgroup.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, SysError, UnsupportedError, UsageError } from '../errors.js';
import { startExecutor, type StartedExecutor } from '../executor/spawn.js';
import { Op, SYNC_SECCOMP_STATE, type PlanOp } from '../executor/protocol.js';
import { runHooks } from '../hooks/index.js';
import { buildCreatePlan, executorJoinsCgroup, type PlanContext } from '../plan/index.js';
import { compileSpecSeccomp, listenerState } from '../seccomp/spec-filter.js';
import { loadSpec, type Spec } from '../spec/index.js';
import { StateStore, writePidFile, type ContainerRecord } from '../state/store.js';
import { readProcStat } from '../sys/proc.js';
import type { CgroupManager } from '../cgroups/index.js';
import { cgroupMountSources } from './cgroup.js';
import { checkUserNamespace, containerCgroup, writeIdMaps } from './rootless.js'; // userns/rootless
import { euid } from '../state/root.js';
import { checkHostSupport, checkMountNsNotOwn, probeHostSecurity } from './host-checks.js';
import { hookState } from './container.js';
import { releaseChrootMount } from './chroot-mount.js';
import { mark } from '../trace.js';
import { warmAttachLock } from '../cgroups/warmup.js';
import { isoTimestamp } from '../state/timestamp.js';

export interface CreateOptions {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** `run` in the foreground keeps the terminal itself; `create` and `run -d` need a console socket. */
  detached: boolean;
  /** For a terminal in the foreground: starts the console proxy and returns its socket. */
  foregroundTerminal?: () => Promise<string>;
  /** --systemd-cgroup: cgroupsPath is slice:prefix:name. */
  systemdCgroup?: boolean;
  /** Where debug notes go (plan warnings); runc prints nothing on success, nor does tsrun. */
  debug?: (msg: string) => void;
}

/**
 * Tag of the OP_SYNC where prestart and createRuntime hooks run on the host, then createContainer
 * hooks in the container's namespaces: the namespaces exist, the mounts are made, pivot_root is next.
 */
export const SYNC_CREATE_RUNTIME = 1;

/**
 * runc's checkTerminal (utils_linux.go): a terminal needs a console socket, and a console socket
 * needs a terminal. In the foreground (`run` without --detach) tsrun makes the socket itself.
 */
export function checkTerminal(spec: Spec, consoleSocket: string | undefined, detached: boolean): void {
  const terminal = spec.process?.terminal === true;
  if (terminal && detached && !consoleSocket) throw new UsageError('cannot allocate tty if tsrun will detach without setting console socket');
  if (!terminal && consoleSocket) throw new UsageError('cannot use console socket if tsrun will not detach or allocate tty');
}

/** fds the container inherits: --preserve-fds plus systemd socket activation (LISTEN_FDS). */
export function inheritedFds(preserveFds: number | undefined, env: NodeJS.ProcessEnv = process.env): { count: number; listenEnv: string[] } {
  let count = preserveFds ?? 0;
  const listen = Number(env.LISTEN_FDS);
  if (env.LISTEN_PID === String(process.pid) && listen > 0) {
    count = Math.max(count, listen);
    return { count, listenEnv: [`LISTEN_FDS=${listen}`, 'LISTEN_PID=1'] };
  }
  return { count, listenEnv: [] };
}

export function resolveRootfs(spec: Spec, bundle: string): string {
  const p = spec.root?.path;
  if (!p) throw new ConfigError('config.json: /root/path: required');
  const abs = isAbsolute(p) ? p : resolve(bundle, p);
  try {
    // realpath(3) in one call; Node's own realpathSync lstat()s every component from JavaScript.
    return realpathSync.native(abs);
  } catch (e) {
    throw SysError.fromNode('rootfs', abs, e);
  }
}

/** Puts the SYNC op for createRuntime hooks right before the pivot. */
function withHookSync(ops: PlanOp[], spec: Spec): PlanOp[] {
  const h = spec.hooks;
  if (!h?.prestart?.length && !h?.createRuntime?.length && !h?.createContainer?.length) return ops;
  const at = ops.findIndex((o) => o.op === Op.PIVOT_ROOT || o.op === Op.MOVE_ROOT || o.op === Op.CHROOT);
  return [...ops.slice(0, at), { op: Op.SYNC, args: { tag: SYNC_CREATE_RUNTIME }, note: 'prestart, createRuntime, createContainer hooks' }, ...ops.slice(at)];
}

export async function createContainer(store: StateStore, opts: CreateOptions): Promise<ContainerRecord> {
  const bundle = resolve(opts.bundle ?? process.cwd());
  // `process` is required only at start (runtime-spec config.md), which checks it.
  const spec = loadSpec(bundle, { forStart: false });
  mark('spec');
  // The executor joins the cgroup by itself (Op.JOIN_CGROUP), without the kernel's slow
  // cgroup-wide lock, except in the cases executorJoinsCgroup names (a cgroup2 tree assumed, as
  // on hybrid and v2 hosts): then tsrun writes its pid to cgroup.procs, and starts that lock's
  // wait now, to overlap what follows (cgroups/warmup.ts).
  const slowJoin = !executorJoinsCgroup(spec, true);
  if (slowJoin) warmAttachLock();
  checkTerminal(spec, opts.consoleSocket, opts.detached);
  let consoleSocket = opts.consoleSocket;
  if (spec.process?.terminal && !consoleSocket) {
    if (!opts.foregroundTerminal) throw new UnsupportedError('process.terminal in the foreground needs a console socket');
    consoleSocket = await opts.foregroundTerminal();
  }
  checkHostSupport(spec, probeHostSecurity(), 'config.json', '/process', opts.debug);
  checkMountNsNotOwn(spec);
  checkUserNamespace(spec); // userns/rootless: devices, id-mapped mounts, a user namespace when not root
  const rootfs = resolveRootfs(spec, bundle);
  const seccomp = await compileSpecSeccomp(spec, opts.debug);
  mark('checks');
  store.createDir(opts.id);
  let cg: CgroupManager | undefined;
  let executor: StartedExecutor | undefined;
  try {
    const fds = inheritedFds(opts.preserveFds);
    // The executor first, the cgroup second: its start-up overlaps making the cgroup (and, on
    // the slow join, the kernel's wait). It does nothing until it gets its plan.
    executor = startExecutor({ extraFds: fds.count, nullStdio: spec.process?.terminal === true });
    mark('spawned');
    if (slowJoin) warmAttachLock(); // keeps the window open (one grace period after each write)
    cg = await containerCgroup(opts.id, spec, opts.systemdCgroup === true, opts.debug, executor.pid); // userns/rootless: undefined where not delegated
    // A frozen cgroup would hold the init before the start gate, and create would wait forever.
    cg?.checkNotFrozen();
    mark('cgroup');
    if (fds.listenEnv.length && spec.process) spec.process.env = [...(spec.process.env ?? []), ...fds.listenEnv];
    const ctx: PlanContext = {
      rootfs,
      bundle,
      fifoPath: store.fifoPath(opts.id),
      consoleSocket: consoleSocket ? resolve(consoleSocket) : undefined,
      noPivot: opts.noPivot,
      chrootMount: store.chrootMountPath(opts.id),
      sessionKeyring: opts.noNewKeyring ? undefined : opts.id,
      extraFds: fds.count,
      cgroupV1Mounts: cg ? cgroupMountSources(cg) : undefined,
      cgroupJoin: cg?.joinTargets(),
      seccomp,
      privileged: euid() === 0,
    };
    const plan = buildCreatePlan(spec, ctx);
    mark('plan');
    for (const w of plan.warnings) opts.debug?.(w);
    const rec: ContainerRecord = {
      recordVersion: 1,
      id: opts.id,
      ociVersion: spec.ociVersion,
      pid: 0,
      starttime: 0,
      bundle,
      rootfs,
      created: isoTimestamp(),
      annotations: spec.annotations,
      uid: process.getuid?.() ?? 0,
      noPivot: opts.noPivot === true,
      cgroup: cg?.toJSON(),
      config: spec as unknown as Record<string, unknown>,
    };
    const manager = cg;
    await executor.run(
      withHookSync(plan.ops, spec),
      {
        // In its cgroup before it reads the plan, before any namespace (cgroup ns included)
        // exists; or it joins by itself, the plan's first op.
        onSpawn(pid) {
          if (!plan.joinsCgroup) manager?.apply(pid);
          mark('applied');
        },
        onNeedIdmap(pid) {
          writeIdMaps(pid, plan.idmap!);
        },
        async onSync(tag, initPid) {
          // The seccomp agent gets runc's "creating"; hooks get runtime-spec's state as crun sends
          // it (runc sends "creating"): the container exists, its process has not started.
          if (tag === SYNC_SECCOMP_STATE) return listenerState(spec, hookState({ ...rec, pid: initPid }, 'creating'), initPid);
          const state = hookState({ ...rec, pid: initPid }, 'created');
          await runHooks(spec.hooks?.prestart, state, 'prestart');
          await runHooks(spec.hooks?.createRuntime, state, 'createRuntime');
          await runHooks(spec.hooks?.createContainer, state, 'createContainer', { initPid, cwd: rootfs });
        },
        onReady(initPid) {
          mark('ready');
          rec.pid = initPid;
          rec.starttime = readProcStat(initPid)?.starttime ?? 0;
          store.save(rec);
          if (opts.pidFile) writePidFile(opts.pidFile, initPid);
          return listenerState(spec, hookState(rec, 'creating'), initPid);
        },
      },
    );
    return rec;
  } catch (e) {
    // A failed run() has killed the executor and the init; one that never ran is killed here.
    // What is left is ours to remove.
    try {
      await executor?.abort();
      await releaseChrootMount(store, opts.id);
      await cg?.remove({ parents: true });
    } finally {
      store.remove(opts.id);
    }
    throw e;
  }
}
