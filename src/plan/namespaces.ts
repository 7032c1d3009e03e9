/**
 * Namespaces: which to join by path, which to create, and in what order (see namespaceOps). A
 * joined user namespace comes first; namespaces joined by path come before a new user namespace
 * (they belong to a more privileged one); every namespace created is created inside the
 * container's user namespace, so it owns them. The mount namespace is joined last, since joining
 * it changes what the other namespace paths resolve to.
 */
import { ConfigError } from '../errors.js';
import { Op, type PlanOp } from '../executor/protocol.js';
import { CLONE } from './linux-constants.js';
import type { SpecLinux, SpecNamespace } from './types.js';

export const NAMESPACE_FLAGS: Record<string, number> = {
  user: CLONE.NEWUSER,
  ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS,
  network: CLONE.NEWNET,
  pid: CLONE.NEWPID,
  cgroup: CLONE.NEWCGROUP,
  time: CLONE.NEWTIME,
  mount: CLONE.NEWNS,
};

/** Join order; `user` first and `mount` last (see above). */
const JOIN_ORDER = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

/**
 * The order in which exec (and hooks) join a running container's namespaces. Root joins every
 * namespace but mount before the user namespace: root may join any namespace from the host, but
 * not from inside the container's user namespace one that this user namespace does not own (a
 * network namespace of the host's, joined by path at create). Anyone else must be in the user
 * namespace first, to have any right to the rest. The mount namespace is always last: after it,
 * /proc/<host pid> paths no longer resolve.
 */
export function execJoinOrder(privileged: boolean): readonly string[] {
  return privileged ? ['ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'user', 'mount'] : JOIN_ORDER;
}

export function namespaceFlag(type: string): number {
  const flag = NAMESPACE_FLAGS[type];
  if (flag === undefined) throw new ConfigError(`config.json: /linux/namespaces: unknown namespace type "${type}"`);
  return flag;
}

/** The namespace of `type` in the spec, if any. */
export function findNamespace(linux: SpecLinux | undefined, type: string): SpecNamespace | undefined {
  return linux?.namespaces?.find((n) => n.type === type);
}

/** True when the container gets a namespace of this type of its own (created, not joined). */
export function createsNamespace(linux: SpecLinux | undefined, type: string): boolean {
  const ns = findNamespace(linux, type);
  return ns !== undefined && !ns.path;
}

/** "container host size" lines, as /proc/PID/uid_map wants them. */
export function renderIdMap(maps: ReadonlyArray<{ containerID: number; hostID: number; size: number }> | undefined): string {
  return (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** /proc/self/timens_offsets lines for linux.timeOffsets. */
export function renderTimeOffsets(offsets: SpecLinux['timeOffsets']): string {
  return Object.entries(offsets ?? {})
    .map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`)
    .join('');
}

/** Whether `id` falls in one of the maps' container ranges (the id is visible in the namespace). */
export function isMapped(maps: ReadonlyArray<{ containerID: number; size: number }> | undefined, id: number): boolean {
  return (maps ?? []).some((m) => id >= m.containerID && id < m.containerID + m.size);
}

/**
 * Ops that put the executor into the container's namespaces, up to and including the fork
 * that makes the container's init (pid 1 of a new pid namespace). The order:
 *
 * 1. a user namespace given by path, then become its root: the namespaces joined next are
 *    normally its own (another container's);
 * 2. every other namespace given by path, mount last. This comes before a *new* user namespace:
 *    such namespaces belong to the host's (or the joined) user namespace, where the executor is
 *    still privileged; from inside a new user namespace setns into them fails with EPERM;
 * 3. a new user namespace: tsrun writes its maps (IDMAP_SYNC), the executor becomes its root;
 * 4. the namespaces to create, in one unshare from inside the container's user namespace, so it
 *    owns them (and proc, sysfs, mqueue can be mounted there).
 */
export function namespaceOps(linux: SpecLinux | undefined): PlanOp[] {
  const ops: PlanOp[] = [];
  const spaces = linux?.namespaces ?? [];
  for (const ns of spaces) namespaceFlag(ns.type);
  const byType = new Map<string, SpecNamespace>(spaces.map((n) => [n.type, n]));
  const becomeRoot = (): PlanOp[] => [
    // Root of the user namespace, so that the rest of the set-up has its capabilities.
    { op: Op.SETRESGID, args: { gid: 0 } },
    { op: Op.SETRESUID, args: { uid: 0 } },
  ];

  const user = byType.get('user');
  if (user?.path) {
    ops.push({ op: Op.SETNS, args: { nstype: CLONE.NEWUSER, path: user.path }, note: 'join the user namespace (its maps stay as they are)' }, ...becomeRoot());
  }
  for (const type of JOIN_ORDER) {
    const ns = byType.get(type);
    if (type !== 'user' && ns?.path) ops.push({ op: Op.SETNS, args: { nstype: NAMESPACE_FLAGS[type]!, path: ns.path }, note: `join the ${type} namespace` });
  }
  if (user && !user.path) {
    ops.push({ op: Op.UNSHARE, args: { flags: CLONE.NEWUSER }, note: 'new user namespace, before every namespace to create' });
    ops.push({ op: Op.IDMAP_SYNC, args: {}, note: 'tsrun writes uid_map and gid_map' }, ...becomeRoot());
  }

  let unshare = 0;
  for (const ns of spaces) if (!ns.path && ns.type !== 'user') unshare |= NAMESPACE_FLAGS[ns.type]!;
  if (unshare) ops.push({ op: Op.UNSHARE, args: { flags: unshare }, note: `new ${spaces.filter((n) => !n.path && n.type !== 'user').map((n) => n.type).join(', ')} namespaces` });

  const offsets = renderTimeOffsets(linux?.timeOffsets);
  if (offsets) {
    if (!createsNamespace(linux, 'time')) throw new ConfigError('config.json: /linux/timeOffsets: requires a new time namespace');
    ops.push({ op: Op.TIMENS_OFFSETS, args: { data: offsets } });
  }
  // Always fork: the new pid and time namespaces apply to children only, and the intermediate
  // exits so the init is never a child of tsrun: it reparents to the manager's subreaper
  // (docs/contract.md).
  ops.push({ op: Op.FORK, args: { wait: 0 }, note: 'the child is the container init' });
  return ops;
}
