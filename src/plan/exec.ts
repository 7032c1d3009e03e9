/**
 * The plan of `exec`: a new process that joins every namespace of a running container (user
 * first, mount last, as for create), forks into its pid namespace, and then gets the same process
 * set-up as an init: terminal, rlimits, user, capabilities, no_new_privs, seccomp, exec lookup.
 */
import { Op, type PlanOp } from '../executor/protocol.js';
import { NAMESPACE_FLAGS } from './namespaces.js';
import { credentialOps, rlimitOps } from './process.js';
import type { Plan, PlanContext, SpecProcess } from './types.js';

/** The /proc/PID/ns entry of each namespace type. */
export const NS_PROC_NAME: Record<string, string> = {
  user: 'user',
  ipc: 'ipc',
  uts: 'uts',
  network: 'net',
  pid: 'pid',
  cgroup: 'cgroup',
  time: 'time',
  mount: 'mnt',
};

const JOIN_ORDER = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface ExecContext extends Omit<PlanContext, 'rootfs' | 'bundle' | 'fifoPath' | 'noPivot'> {
  /** Host pid of the container's init. */
  initPid: number;
  /** Namespace types whose /proc/<init>/ns entry differs from tsrun's own: these are joined. */
  joinTypes: ReadonlySet<string>;
}

export function buildExecPlan(proc: SpecProcess, ctx: ExecContext): Plan {
  const ops: PlanOp[] = [{ op: Op.CLOEXEC_FROM, args: { fd: 3 } }];
  for (let fd = 3; fd < 3 + ctx.extraFds; fd++) ops.push({ op: Op.INHERIT_FD, args: { fd } });
  if (ctx.consoleSocket) ops.push({ op: Op.CONSOLE_CONNECT, args: { path: ctx.consoleSocket } });
  for (const type of JOIN_ORDER) {
    if (!ctx.joinTypes.has(type)) continue;
    ops.push({ op: Op.SETNS, args: { nstype: NAMESPACE_FLAGS[type]!, path: `/proc/${ctx.initPid}/ns/${NS_PROC_NAME[type]}` }, note: `join the container's ${type} namespace` });
    if (type === 'user') ops.push({ op: Op.SETRESGID, args: { gid: 0 } }, { op: Op.SETRESUID, args: { uid: 0 } });
  }
  ops.push({ op: Op.FORK, args: {}, note: 'the child is in the pid namespace' });
  ops.push({ op: Op.SETSID, args: {} });
  // Joining a mount namespace moves the root to that namespace's root: the container's.
  ops.push({ op: Op.SET_ROOT, args: { path: '/' } });
  if (proc.terminal) {
    const size = proc.consoleSize;
    ops.push({ op: Op.CONSOLE, args: { rows: size?.height ?? 0, cols: size?.width ?? 0 } });
  }
  ops.push(...rlimitOps(proc, 'process.json: '));
  if (proc.oomScoreAdj !== undefined) ops.push({ op: Op.WRITE_FILE, args: { how: 0, path: '/proc/self/oom_score_adj', data: String(proc.oomScoreAdj) } });
  const warnings: string[] = [];
  const cred = credentialOps(proc, { ...ctx, rootfs: '/', bundle: '/', extraFds: ctx.extraFds }, warnings);
  ops.push(...cred.beforeGate);
  ops.push({ op: Op.READY, args: {} }, { op: Op.CLOSE_SYNC, args: {} });
  ops.push(...cred.afterGate);
  return { ops, warnings };
}
