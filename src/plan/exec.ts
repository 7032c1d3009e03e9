/**
 * The plan of `exec`: a new process that joins every namespace of a running container (user
 * first, mount last, as for create), forks into its pid namespace, and then gets the same process
 * set-up as an init: terminal, rlimits, user, capabilities, no_new_privs, seccomp, exec lookup.
 */
import { Op, type PlanOp } from '../executor/protocol.js';
import { NAMESPACE_FLAGS, execJoinOrder } from './namespaces.js';
import { NS_PROC_NAME } from '../sys/proc.js';
import { credentialOps, filterOps, identityOps, rlimitOps } from './process.js';
import { checkPlanSize } from './size.js';
import type { CompiledFilter, Plan, PlanContext, SpecProcess } from './types.js';


export interface ExecContext extends Omit<PlanContext, 'rootfs' | 'bundle' | 'fifoPath' | 'noPivot'> {
  /** Host pid of the container's init. */
  initPid: number;
  /** Namespace types whose /proc/<init>/ns entry differs from tsrun's own: these are joined. */
  joinTypes: ReadonlySet<string>;
  /**
   * The init got its root by chroot (no mount namespace of its own, or --no-pivot): joining the
   * mount namespace gives that namespace's root, not the container's.
   */
  chrootRoot?: boolean;
}

/** setns ops into the init's namespaces of the given types, in execJoinOrder (userns), mount last. */
export function joinOps(initPid: number, joinTypes: ReadonlySet<string>, privileged = (process.geteuid?.() ?? 0) === 0): PlanOp[] {
  const ops: PlanOp[] = [];
  for (const type of execJoinOrder(privileged)) {
    if (!joinTypes.has(type)) continue;
    ops.push({ op: Op.SETNS, args: { nstype: NAMESPACE_FLAGS[type]!, path: `/proc/${initPid}/ns/${NS_PROC_NAME[type]}` }, note: `join the container's ${type} namespace` });
    if (type === 'user') ops.push({ op: Op.SETRESGID, args: { gid: 0 } }, { op: Op.SETRESUID, args: { uid: 0 } });
  }
  return ops;
}

/**
 * The root of an init that chrooted: opened before any join, from tsrun's /proc (joining its mount
 * namespace would give that namespace's root), and entered with chroot once joined.
 */
function chrootedInitRoot(initPid: number): { open: PlanOp; enter: PlanOp } {
  return {
    open: { op: Op.SET_ROOT, args: { path: `/proc/${initPid}/root` }, note: "the init's root (it chrooted)" },
    enter: { op: Op.CHROOT, args: {} },
  };
}

export function buildExecPlan(proc: SpecProcess, ctx: ExecContext): Plan {
  const ops: PlanOp[] = [{ op: Op.CLOEXEC_FROM, args: { fd: 3 } }];
  for (let fd = 3; fd < 3 + ctx.extraFds; fd++) ops.push({ op: Op.INHERIT_FD, args: { fd } });
  if (ctx.consoleSocket) ops.push({ op: Op.CONSOLE_CONNECT, args: { path: ctx.consoleSocket } });
  if (ctx.seccomp?.listenerPath) ops.push({ op: Op.SECCOMP_LISTENER_CONNECT, args: { path: ctx.seccomp.listenerPath } });
  const root = ctx.chrootRoot ? chrootedInitRoot(ctx.initPid) : undefined;
  if (root) ops.push(root.open);
  ops.push(...joinOps(ctx.initPid, ctx.joinTypes));
  ops.push({ op: Op.FORK, args: { wait: 0 }, note: 'the child is in the pid namespace' });
  ops.push({ op: Op.SETSID, args: {} });
  // Joining a mount namespace moves the root to that namespace's root: the container's, unless
  // the init chrooted.
  ops.push(root ? root.enter : { op: Op.SET_ROOT, args: { path: '/' } });
  if (proc.terminal) {
    const size = proc.consoleSize;
    // runc binds no /dev/console for exec: the new pty is only the process's terminal.
    ops.push({ op: Op.CONSOLE, args: { rows: size?.height ?? 0, cols: size?.width ?? 0, bindConsole: 0 } });
  }
  ops.push(...rlimitOps(proc, 'process.json: '));
  if (proc.oomScoreAdj !== undefined) ops.push({ op: Op.WRITE_FILE, args: { how: 0, path: '/proc/self/oom_score_adj', data: String(proc.oomScoreAdj) } });
  const warnings: string[] = [];
  const cred = credentialOps(proc, { ...ctx, rootfs: '/', bundle: '/', extraFds: ctx.extraFds }, warnings);
  ops.push(...cred.beforeGate);
  ops.push({ op: Op.READY, args: {} }, { op: Op.CLOSE_SYNC, args: {} });
  ops.push(...cred.afterGate);
  checkPlanSize(ops, 'process.json');
  return { ops, warnings };
}

export interface HookSpec {
  path: string;
  args?: string[];
  env?: string[];
}

/**
 * A startContainer hook runs as the container's process would, since runc runs it from the init
 * after the init took the process's identity: its root, rlimits, working directory, user, groups,
 * capabilities, no_new_privs and seccomp filter. So a hook binary that the image or the container
 * put at the hook's path never gets more than the container's own process gets.
 */
export interface HookAsProcess {
  proc: SpecProcess;
  /** The init chrooted (ExecContext.chrootRoot). */
  chrootRoot: boolean;
  /** The container's filter; a notifying one sends its fd to the listener with the state GO brings. */
  seccomp?: CompiledFilter;
}

export interface HookRun {
  /** Host pid of the container's init. */
  initPid: number;
  /** Namespace types to join (ExecContext.joinTypes). */
  joinTypes: ReadonlySet<string>;
  /** createContainer: the hook starts here (the rootfs, as runc does; ldconfig-style hooks write relative paths). */
  cwd?: string;
  /** startContainer: see HookAsProcess. */
  asProcess?: HookAsProcess;
}

/**
 * A createContainer or startContainer hook, run "in the container namespace": every namespace of
 * the init, then a fork into its pid namespace whose parent stays to report the hook's exit
 * status, then exec of the hook (its state comes on stdin). A notifying filter's fd goes to the
 * listener per hook (a filter cannot be shared with a process that is not a child of the init: the
 * agent gets one per hook, as it does per exec).
 */
export function buildHookPlan(hook: HookSpec, run: HookRun): Plan {
  const as = run.asProcess;
  const root = as?.chrootRoot ? chrootedInitRoot(run.initPid) : undefined;
  const listener = as?.seccomp?.listenerPath;
  const warnings: string[] = [];
  const ops: PlanOp[] = [
    { op: Op.CLOEXEC_FROM, args: { fd: 3 } },
    ...(listener ? [{ op: Op.SECCOMP_LISTENER_CONNECT, args: { path: listener } }] : []),
    ...(root ? [root.open] : []),
    ...joinOps(run.initPid, run.joinTypes),
    ...(root ? [root.enter] : []),
    ...(run.cwd === undefined ? [] : [{ op: Op.CHDIR, args: { path: run.cwd }, note: 'the hook starts in the rootfs' }]),
    { op: Op.FORK, args: { wait: 1 }, note: 'the parent passes the hook status on' },
    ...(as ? rlimitOps(as.proc) : []),
    { op: Op.RESOLVE_EXEC, args: { arg0: hook.path, path: '' } },
    { op: Op.READY, args: {} },
    { op: Op.CLOSE_SYNC, args: {} },
    ...(as ? hookIdentityOps(as, warnings) : []),
    { op: Op.EXECVE, args: { argv: hook.args && hook.args.length > 0 ? hook.args : [hook.path], envp: hook.env ?? [] } },
  ];
  return { ops, warnings };
}

/** The process's identity and filter, in the init's order: the filter first while root unless no_new_privs lets it go last. */
function hookIdentityOps({ proc, seccomp }: HookAsProcess, warnings: string[]): PlanOp[] {
  const filter = seccomp ? filterOps(seccomp, "the container's seccomp filter") : [];
  const identity = identityOps(proc, warnings);
  return proc.noNewPrivileges ? [...identity, ...filter] : [...filter, ...identity];
}
