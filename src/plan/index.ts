/**
 * config.json → the executor's plan, in one place (like runc's specconv). Pure: the same spec and
 * context always give the same ops, so plans are unit-tested as data and `tsrun plan` prints them.
 */
import { Op, type PlanOp } from '../executor/protocol.js';
import { CLONE } from './linux-constants.js';
import { namespaceOps, renderIdMap, findNamespace } from './namespaces.js';
import { credentialOps, processSetupOps } from './process.js';
import { idmapTreeOps, rootfsOps, sourceHelperOps } from './rootfs.js';
import { checkPlanSize } from './size.js';
import type { CgroupJoin, Plan, PlanContext, Spec } from './types.js';

export type { Plan, PlanContext, CgroupMountSource } from './types.js';
export { capabilityMask } from './process.js';
export { parseMountOptions } from './mount-options.js';

/** The fds every plan starts with: nothing of tsrun's may leak into the container. */
function fdOps(extraFds: number): PlanOp[] {
  const ops: PlanOp[] = [{ op: Op.CLOEXEC_FROM, args: { fd: 3 }, note: 'no inherited fd reaches the container' }];
  for (let fd = 3; fd < 3 + extraFds; fd++) ops.push({ op: Op.INHERIT_FD, args: { fd }, note: 'preserved fd' });
  return ops;
}

/** The plan of a new container (`create` and `run`). */
export function buildCreatePlan(spec: Spec, ctx: PlanContext): Plan {
  const linux = spec.linux;
  const ops: PlanOp[] = [];
  const cgroupNs = findNamespace(linux, 'cgroup');
  const joinsCgroup = ctx.cgroupJoin !== undefined && executorJoinsCgroup(spec, ctx.cgroupJoin.unified !== undefined);
  if (joinsCgroup) ops.push(cgroupJoinOp(ctx.cgroupJoin!));
  ops.push(...fdOps(ctx.extraFds));
  // Host paths are reached before any namespace changes what they name.
  if (ctx.fifoPath) ops.push({ op: Op.OPEN_FIFO, args: { mode: 0o622, path: ctx.fifoPath }, note: 'the start gate' });
  if (ctx.consoleSocket) ops.push({ op: Op.CONSOLE_CONNECT, args: { path: ctx.consoleSocket } });
  if (ctx.seccomp?.listenerPath) ops.push({ op: Op.SECCOMP_LISTENER_CONNECT, args: { path: ctx.seccomp.listenerPath } });

  // Id-mapped mounts are cloned while the executor is privileged in the host user namespace.
  ops.push(...idmapTreeOps(spec, ctx));
  // So is the helper that clones bind sources in a user namespace (its root may not reach them).
  ops.push(...sourceHelperOps(spec, ctx));
  ops.push(...(joinsCgroup && cgroupNs && ctx.cgroupJoin?.unified ? cgroupNsAfterFork(namespaceOps(linux)) : namespaceOps(linux)));
  // From here on the ops run in the container's init.
  ops.push({ op: Op.SETSID, args: {} });
  if (ctx.sessionKeyring) ops.push({ op: Op.JOIN_KEYRING, args: { name: ctx.sessionKeyring }, note: 'a session keyring of its own' });
  const oom = spec.process?.oomScoreAdj;
  if (oom !== undefined) ops.push({ op: Op.WRITE_FILE, args: { how: 0, path: '/proc/self/oom_score_adj', data: String(oom) }, note: 'process.oomScoreAdj' });

  const warnings: string[] = [];
  const fs = rootfsOps(spec, ctx, warnings);
  ops.push(...fs.beforePivot, ...fs.pivot);
  // Console first (it binds /dev/console), then sysctls, hostname and rlimits, all before
  // masked and read-only paths hide or freeze what they write (/proc/sys).
  ops.push(...processSetupOps(spec, ctx));
  ops.push(...fs.afterPivot);
  // Without a process (runtime-spec requires one only at start) the init just waits at the gate.
  const cred = spec.process ? credentialOps(spec.process, ctx, warnings) : { beforeGate: [], afterGate: [] };
  ops.push(...cred.beforeGate);
  ops.push({ op: Op.READY, args: {}, note: 'tsrun writes state and the pid file, then says go' });
  ops.push({ op: Op.CLOSE_SYNC, args: {} });
  if (ctx.fifoPath) ops.push({ op: Op.WAIT_FIFO, args: {}, note: 'blocks until `tsrun start`' });
  ops.push(...cred.afterGate);

  checkPlanSize(ops, 'config.json');
  const user = findNamespace(linux, 'user');
  const plan: Plan = { ops, warnings, ...(joinsCgroup ? { joinsCgroup } : {}) };
  if (user && !user.path) plan.idmap = { uidMap: renderIdMap(linux?.uidMappings), gidMap: renderIdMap(linux?.gidMappings) };
  return plan;
}

/**
 * Whether the executor joins the container's cgroup itself (Op.JOIN_CGROUP, first of all: a new
 * user namespace would take its right to). Not into a cgroup namespace joined by path, and not
 * into a cgroup2 directory with a user namespace: the fork into it is checked with the forking
 * process's credentials, which inside the user namespace no longer own the cgroupfs (EACCES).
 * tsrun then moves the executor, as before (the slow way, cgroups/warmup.ts).
 */
export function executorJoinsCgroup(spec: Spec, cgroup2: boolean): boolean {
  if (findNamespace(spec.linux, 'cgroup')?.path) return false;
  return !(cgroup2 && findNamespace(spec.linux, 'user'));
}

/** The executor's own join (see executorJoinsCgroup). */
function cgroupJoinOp(join: CgroupJoin): PlanOp {
  return { op: Op.JOIN_CGROUP, args: { tasks: join.tasks, unified: join.unified ?? '' }, note: 'into the container cgroup: v1 tasks, cgroup2 at the fork' };
}

/**
 * A new cgroup namespace is rooted at the cgroups of whoever unshares it. With the cgroup2 part
 * of the join made at the fork (CLONE_INTO_CGROUP), the executor is not in that cgroup yet: the
 * init unshares the cgroup namespace, right after the fork, instead of the executor before it.
 */
function cgroupNsAfterFork(nsOps: PlanOp[]): PlanOp[] {
  const out: PlanOp[] = [];
  for (const o of nsOps) {
    const flags = o.args.flags as number;
    if (o.op === Op.UNSHARE && flags & CLONE.NEWCGROUP) {
      if (flags !== CLONE.NEWCGROUP) out.push({ ...o, args: { flags: flags & ~CLONE.NEWCGROUP } });
      continue;
    }
    out.push(o);
    if (o.op === Op.FORK) out.push({ op: Op.UNSHARE, args: { flags: CLONE.NEWCGROUP }, note: 'new cgroup namespace, rooted in the container cgroup the init was forked into' });
  }
  return out;
}

/** Renders a plan as text, one op a line, for `tsrun plan` and for debugging. */
export function describePlan(plan: Plan): string {
  const lines = plan.ops.map((o, i) => {
    const args = Object.entries(o.args)
      .map(([k, v]) => `${k}=${renderValue(k, v)}`)
      .join(' ');
    return `${String(i).padStart(3)} ${Op[o.op]}${args ? ' ' + args : ''}${o.note ? `  # ${o.note}` : ''}`;
  });
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  if (plan.idmap) lines.push(`uid_map: ${JSON.stringify(plan.idmap.uidMap)} gid_map: ${JSON.stringify(plan.idmap.gidMap)}`);
  return lines.join('\n');
}

function renderValue(key: string, v: unknown): string {
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (typeof v === 'bigint') return key === 'flags' || key.endsWith('mask') || ['effective', 'permitted', 'inheritable'].includes(key) ? `0x${v.toString(16)}` : v.toString();
  if (typeof v === 'number') return key === 'flags' || key === 'nstype' || key === 'mode' || key === 'how' ? `0x${v.toString(16)}` : String(v);
  return JSON.stringify(v);
}

export { CLONE };
export { buildExecPlan, buildHookPlan, joinOps, type ExecContext, type HookAsProcess, type HookRun, type HookSpec } from './exec.js';
