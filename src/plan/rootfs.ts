/**
 * The container's filesystem: the rootfs made a mount point, every spec mount in order, /dev,
 * pivot_root (or, for --no-pivot, a move mount after the host's proc and sysfs mounts are hidden;
 * or, without a mount namespace, chroot), masked and read-only paths. Mount targets are resolved
 * by the executor beneath the rootfs (openat2 RESOLVE_IN_ROOT), so a symlink in the image can
 * never send a mount to the host.
 */
import { isAbsolute, posix, resolve } from 'node:path';
import { ConfigError, UnsupportedError } from '../errors.js';
import { Op, PathFlag, TreeFlag, type PlanOp } from '../executor/protocol.js';
import { MS, S_IFBLK, S_IFCHR, S_IFIFO } from './linux-constants.js';
import { parseMountOptions } from './mount-options.js';
import { findNamespace, isMapped, renderIdMap } from './namespaces.js';
import { overlayMountData, overlayRoot, type OverlayRoot } from './overlay.js';
import type { PlanContext, Spec, SpecDevice, SpecLinux, SpecMount } from './types.js';

const IN_ROOT = PathFlag.IN_ROOT;

/** The devices every container gets (runc's default set), besides linux.devices. */
export const DEFAULT_DEVICES: ReadonlyArray<{ path: string; major: number; minor: number }> = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
];

const DEFAULT_SYMLINKS: ReadonlyArray<[target: string, path: string]> = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['pts/ptmx', '/dev/ptmx'],
];

/**
 * rootfsPropagation → the flags for "/". The r-forms are what Docker writes (rslave for a
 * `:rslave` volume); the bare forms are applied recursively too, so no host mount keeps its
 * sharing because the spec said "slave" rather than "rslave".
 */
const ROOTFS_PROPAGATION: Record<string, number> = {
  shared: MS.SHARED | MS.REC,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE | MS.REC,
  rslave: MS.SLAVE | MS.REC,
  private: MS.PRIVATE | MS.REC,
  rprivate: MS.PRIVATE | MS.REC,
  unbindable: MS.UNBINDABLE | MS.REC,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** The rootfsPropagation's flags, or undefined without one; an unknown value is a config error. */
function rootfsPropagationFlags(linux: SpecLinux | undefined): number | undefined {
  const prop = linux?.rootfsPropagation;
  if (prop === undefined) return undefined;
  if (!(prop in ROOTFS_PROPAGATION)) {
    throw new ConfigError(`config.json: /linux/rootfsPropagation: must be one of ${Object.keys(ROOTFS_PROPAGATION).join(', ')}`);
  }
  return ROOTFS_PROPAGATION[prop]!;
}

function mountOp(how: number, flags: number, source: string, target: string, fstype = '', data = '', note?: string): PlanOp {
  return { op: Op.MOUNT, args: { how, flags: BigInt(flags), source, target, fstype, data }, ...(note ? { note } : {}) };
}

/** Refuses a destination that is relative or climbs with "..": it could name anything. */
function checkDestination(dest: string, where: string): void {
  if (!isAbsolute(dest)) throw new ConfigError(`config.json: ${where}/destination: must be an absolute path, got "${dest}"`);
  if (dest.split('/').includes('..')) throw new ConfigError(`config.json: ${where}/destination: must not contain "..", got "${dest}"`);
}

/** How an id-mapped mount is mapped: the user namespace to open, or the maps of a new one. */
export interface MountIdmap {
  usernsPath: string;
  uidMap: string;
  gidMap: string;
  /** `ridmap`: submounts are id-mapped too. */
  recursive: boolean;
}

/**
 * The id mapping of a spec mount, or undefined for a plain one. A mount is id-mapped when it has
 * uidMappings/gidMappings (a user namespace with exactly those maps: an id on disk is shown as
 * its hostID) or the `idmap`/`ridmap` option without them (the container's own maps, or the
 * joined user namespace itself). runtime-spec 1.2; the same reading as runc's.
 */
export function mountIdmap(m: SpecMount, index: number, linux: SpecLinux | undefined): MountIdmap | undefined {
  const where = `/mounts/${index}`;
  const opts = parseMountOptions(m.options, `config.json: ${where}/options`);
  const hasMaps = Boolean(m.uidMappings?.length || m.gidMappings?.length);
  if (!opts.idmap && !hasMaps) return undefined;
  if (!(opts.bind || m.type === 'bind')) {
    throw new UnsupportedError(`config.json: ${where}: only bind mounts can be id-mapped by tsrun (type "${m.type ?? ''}")`);
  }
  if (hasMaps) {
    if (!m.uidMappings?.length || !m.gidMappings?.length) {
      throw new ConfigError(`config.json: ${where}/${m.uidMappings?.length ? 'gidMappings' : 'uidMappings'}: an id-mapped mount needs both uidMappings and gidMappings`);
    }
    return { usernsPath: '', uidMap: renderIdMap(m.uidMappings), gidMap: renderIdMap(m.gidMappings), recursive: opts.ridmap };
  }
  const user = findNamespace(linux, 'user');
  if (!user) throw new ConfigError(`config.json: ${where}/options: "${opts.ridmap ? 'ridmap' : 'idmap'}" without uidMappings/gidMappings takes the container's user namespace maps, and there is no user namespace`);
  if (user.path) return { usernsPath: user.path, uidMap: '', gidMap: '', recursive: opts.ridmap };
  return { usernsPath: '', uidMap: renderIdMap(linux?.uidMappings), gidMap: renderIdMap(linux?.gidMappings), recursive: opts.ridmap };
}

function bindSource(m: SpecMount, where: string, ctx: PlanContext): string {
  if (!m.source) throw new ConfigError(`config.json: ${where}/source: a bind mount needs a source`);
  return isAbsolute(m.source) ? m.source : resolve(ctx.bundle, m.source);
}

/**
 * The first half of every id-mapped mount, planned before any namespace op: the executor can
 * only id-map a host filesystem while it is still privileged in the host user namespace. Each
 * tree waits in a slot (the mount's index) until mountOps attaches it in its place.
 */
export function idmapTreeOps(spec: Spec, ctx: PlanContext): PlanOp[] {
  const ops: PlanOp[] = [];
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    const idm = mountIdmap(m, i, spec.linux);
    if (!idm) continue;
    const opts = parseMountOptions(m.options, `config.json: /mounts/${i}/options`);
    const how = (opts.flags & MS.REC ? TreeFlag.RECURSIVE : 0) | (idm.recursive ? TreeFlag.IDMAP_RECURSIVE : 0);
    const source = bindSource(m, `/mounts/${i}`, ctx);
    ops.push({
      op: Op.IDMAP_TREE,
      args: { how, slot: i, source, usernsPath: idm.usernsPath, uidMap: idm.uidMap, gidMap: idm.gidMap },
      note: `mounts[${i}] ${m.destination}: id-mapped clone of ${source}`,
    });
  }
  return ops;
}

/**
 * Whether a plain bind mount's source is cloned by the source helper (Op.CLONE_TREE): in a user
 * namespace, whose root may not reach a source the host's root can (a directory only root may
 * search), as runc does. Only a privileged tsrun has a helper that can.
 */
function clonesBindSource(m: SpecMount, index: number, ctx: PlanContext, linux: SpecLinux | undefined): boolean {
  if (!ctx.privileged || !findNamespace(linux, 'user')) return false;
  const opts = parseMountOptions(m.options, `config.json: /mounts/${index}/options`);
  return (opts.bind || m.type === 'bind') && mountIdmap(m, index, linux) === undefined;
}

/** The source helper, forked before any namespace op, when some bind source needs it. */
export function sourceHelperOps(spec: Spec, ctx: PlanContext): PlanOp[] {
  const needed = (spec.mounts ?? []).some((m, i) => clonesBindSource(m, i, ctx, spec.linux));
  return needed ? [{ op: Op.SOURCE_HELPER, args: {}, note: 'opens bind sources as root in the host user namespace' }] : [];
}

/** Marks the plan's last Op.CLONE_TREE, after which the source helper is let go. */
function markLastClone(ops: PlanOp[]): PlanOp[] {
  const last = ops.map((o) => o.op).lastIndexOf(Op.CLONE_TREE);
  if (last >= 0) ops[last] = { ...ops[last]!, args: { ...ops[last]!.args, how: (ops[last]!.args.how as number) | TreeFlag.LAST_CLONE } };
  return ops;
}

/** Filesystems the kernel mounts only for a namespace of this type owned by the caller's user namespace. */
const OWNING_NAMESPACE: Record<string, string> = { proc: 'pid', sysfs: 'network', mqueue: 'ipc', cgroup2: 'cgroup' };

/**
 * Whether the container's new user namespace cannot own the namespace of `type`: it is the host's
 * (absent from the spec) or joined by path (so it existed before, owned by another). With a user
 * namespace joined by path, ownership is not known here; the kernel decides (and the executor's
 * error says EPERM in a user namespace).
 */
function notOwnedByUserNs(linux: SpecLinux | undefined, type: string): boolean {
  const user = findNamespace(linux, 'user');
  if (!user || user.path) return false;
  const ns = findNamespace(linux, type);
  return !ns || Boolean(ns.path);
}

/** devpts uid=/gid= options naming an id the user namespace does not map make mount fail: drop them. */
function devptsData(data: string, linux: SpecLinux | undefined, where: string, warnings: string[]): string {
  const user = findNamespace(linux, 'user');
  if (!user || user.path || !data) return data;
  return data
    .split(',')
    .filter((o) => {
      const m = /^(uid|gid)=(\d+)$/.exec(o);
      if (!m) return true;
      if (isMapped(m[1] === 'uid' ? linux?.uidMappings : linux?.gidMappings, Number(m[2]))) return true;
      warnings.push(`config.json: ${where}/options: "${o}" dropped: ${m[1]} ${m[2]} is not mapped in the container's user namespace`);
      return false;
    })
    .join(',');
}

/** Ops for one spec mount. */
export function mountOps(m: SpecMount, index: number, ctx: PlanContext, linux?: SpecLinux, warnings: string[] = []): PlanOp[] {
  const where = `/mounts/${index}`;
  checkDestination(m.destination, where);
  const opts = parseMountOptions(m.options, `config.json: ${where}/options`);
  let type = m.type ?? '';
  const ops: PlanOp[] = [];
  let bind = opts.bind || type === 'bind';
  const note = `mounts[${index}] ${m.destination}`;
  const extraFlags = opts.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  let data = opts.data;
  let sysfsBind = false;

  // In a user namespace, proc, sysfs, mqueue and cgroup2 need namespaces it owns.
  const owning = OWNING_NAMESPACE[type === 'cgroup' && !ctx.cgroupV1Mounts ? 'cgroup2' : type];
  if (!bind && owning && notOwnedByUserNs(linux, owning)) {
    if (type !== 'sysfs') {
      throw new ConfigError(
        `config.json: ${where}: ${type} cannot be mounted in a user namespace without a new ${owning} namespace (the kernel mounts ${type} only for a ${owning} namespace the user namespace owns): add {"type": "${owning}"} to /linux/namespaces`,
      );
    }
    // As runc: without a network namespace of its own, bind the host's /sys (its flags kept).
    bind = sysfsBind = true;
    type = 'bind';
  }
  if (type === 'devpts') data = devptsData(data, linux, where, warnings);

  if (bind) {
    const idmapped = mountIdmap(m, index, linux) !== undefined;
    if (idmapped) {
      // The tree was cloned and id-mapped before the namespaces (idmapTreeOps): put it in place.
      ops.push({ op: Op.ATTACH_TREE, args: { how: IN_ROOT | PathFlag.CREATE_LIKE_SOURCE, slot: index, target: m.destination }, note: `${note} (id-mapped)` });
    } else if (clonesBindSource(m, index, ctx, linux)) {
      const source = bindSource(m, where, ctx);
      ops.push(
        { op: Op.CLONE_TREE, args: { how: opts.flags & MS.REC ? TreeFlag.RECURSIVE : 0, slot: index, source }, note: `${note}: ${source} cloned by the source helper` },
        { op: Op.ATTACH_TREE, args: { how: IN_ROOT | PathFlag.CREATE_LIKE_SOURCE, slot: index, target: m.destination }, note },
      );
    } else if (sysfsBind) {
      ops.push(mountOp(IN_ROOT | PathFlag.CREATE_DIR, MS.BIND | MS.REC, '/sys', m.destination, '', '', `${note}: the host's /sys, bound (sysfs needs a network namespace the user namespace owns)`));
    } else {
      ops.push(mountOp(IN_ROOT | PathFlag.CREATE_LIKE_SOURCE, MS.BIND | (opts.flags & MS.REC), bindSource(m, where, ctx), m.destination, '', '', note));
    }
    // Bind mounts ignore every other flag: they take effect on a remount of the new mount.
    if (extraFlags) ops.push(mountOp(IN_ROOT, MS.BIND | MS.REMOUNT | extraFlags, '', m.destination, '', '', `${note}: remount with its flags`));
  } else if (type === 'cgroup') {
    ops.push(...cgroupMountOps(m, where, opts.flags, ctx));
  } else {
    // A read-only /dev is mounted writable, filled, and made read-only last (readOnlyDevOps).
    const flags = isDev(m.destination) ? opts.flags & ~MS.RDONLY : opts.flags;
    ops.push(mountOp(IN_ROOT | PathFlag.CREATE_DIR, flags, m.source ?? type, m.destination, type, data, note));
  }
  for (const p of opts.propagation) ops.push(mountOp(IN_ROOT, p, '', m.destination, '', '', `${note}: propagation`));
  // Last, as runc: the recursive attributes reach every submount the mount brought.
  const rec = opts.recAttr;
  if (rec.options.length) {
    ops.push({
      op: Op.MOUNT_SETATTR,
      args: { how: IN_ROOT, attrSet: BigInt(rec.set), attrClr: BigInt(rec.clear), target: m.destination, options: rec.options.join(',') },
      note: `${note}: ${rec.options.join(',')}`,
    });
  }
  return ops;
}

/**
 * `cgroup` mounts. On cgroup v2 a cgroup2 filesystem; on v1 (and hybrid), like runc, a tmpfs with
 * one bind mount per hierarchy of the container's own cgroup, read-only when the mount is.
 */
function cgroupMountOps(m: SpecMount, where: string, flags: number, ctx: PlanContext): PlanOp[] {
  const note = `${where} ${m.destination} (cgroup)`;
  if (!ctx.cgroupV1Mounts) return [mountOp(IN_ROOT | PathFlag.CREATE_DIR, flags, 'cgroup2', m.destination, 'cgroup2', '', note)];
  const base = flags & ~MS.RDONLY;
  const ops = [mountOp(IN_ROOT | PathFlag.CREATE_DIR, base, 'tmpfs', m.destination, 'tmpfs', 'mode=755', note)];
  for (const h of ctx.cgroupV1Mounts) {
    const dest = `${m.destination.replace(/\/$/, '')}/${h.name}`;
    ops.push(mountOp(IN_ROOT | PathFlag.CREATE_DIR, MS.BIND | MS.REC, h.hostPath, dest, '', '', `${note}: ${h.name}`));
    ops.push(mountOp(IN_ROOT, MS.BIND | MS.REMOUNT | flags, '', dest, '', '', `${note}: ${h.name} flags`));
  }
  if (flags & MS.RDONLY) ops.push(mountOp(IN_ROOT, MS.REMOUNT | flags, '', m.destination, '', '', `${note}: read-only`));
  return ops;
}

function deviceMode(d: SpecDevice, where: string): number {
  const perm = d.fileMode ?? 0o666;
  switch (d.type) {
    case 'c':
    case 'u':
      return S_IFCHR | perm;
    case 'b':
      return S_IFBLK | perm;
    case 'p':
      return S_IFIFO | perm;
    default:
      throw new ConfigError(`config.json: ${where}/type: must be one of c, b, u, p`);
  }
}

/** Whether a mount destination names /dev (as runc compares it: cleaned). */
function isDev(destination: string): boolean {
  return posix.normalize(destination).replace(/(.)\/+$/, '$1') === '/dev';
}

/**
 * A read-only /dev mount (not a bind: that one is remounted read-only in place) is made
 * read-only only after devpts, shm, mqueue, the devices, the symlinks and the console are in it,
 * as runc does. A bind remount: the one remount a user namespace may make.
 */
function readOnlyDevOps(spec: Spec): PlanOp[] {
  const dev = (spec.mounts ?? []).map((m, i) => ({ m, i })).filter(({ m }) => isDev(m.destination)).pop();
  if (!dev) return [];
  const opts = parseMountOptions(dev.m.options, `config.json: /mounts/${dev.i}/options`);
  if (opts.bind || dev.m.type === 'bind' || !(opts.flags & MS.RDONLY)) return [];
  const flags = opts.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  return [mountOp(IN_ROOT, MS.BIND | MS.REMOUNT | flags, '', dev.m.destination, '', '', `mounts[${dev.i}] ${dev.m.destination}: read-only, now that it is populated`)];
}

/** Whether the spec itself mounts something at /dev (then runc-style defaults are still made in it). */
function bindsHostDev(spec: Spec): boolean {
  return (spec.mounts ?? []).some((m) => m.destination === '/dev' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')));
}

/**
 * /dev: the default devices and linux.devices, then the standard symlinks. In a user namespace
 * mknod is not allowed, so devices are bind mounts of the host's nodes (as runc does).
 */
export function deviceOps(spec: Spec, inUserNs: boolean): PlanOp[] {
  if (bindsHostDev(spec)) return [];
  const ops: PlanOp[] = [];
  const custom = spec.linux?.devices ?? [];
  const customPaths = new Set(custom.map((d) => d.path));
  const devices: Array<{ d: SpecDevice; where: string }> = [
    ...DEFAULT_DEVICES.filter((d) => !customPaths.has(d.path)).map((d) => ({ d: { ...d, type: 'c', fileMode: 0o666, uid: 0, gid: 0 } as SpecDevice, where: `default device ${d.path}` })),
    ...custom.map((d, i) => ({ d, where: `/linux/devices/${i}` })),
  ];
  for (const { d, where } of devices) {
    checkDestination(d.path, where);
    if (!d.path.startsWith('/dev/')) throw new ConfigError(`config.json: ${where}/path: devices must be under /dev, got "${d.path}"`);
    const mode = deviceMode(d, where);
    if (inUserNs) {
      ops.push(mountOp(IN_ROOT | PathFlag.CREATE_FILE, MS.BIND, d.path, d.path, '', '', `device ${d.path} (bind: no mknod in a user namespace)`));
    } else {
      ops.push({
        op: Op.MKNOD,
        args: { how: IN_ROOT | PathFlag.CREATE_DIR, mode, major: d.major ?? 0, minor: d.minor ?? 0, uid: d.uid ?? 0, gid: d.gid ?? 0, path: d.path },
        note: `device ${d.path}`,
      });
    }
  }
  for (const dir of ['/dev/pts', '/dev/shm']) ops.push({ op: Op.MKDIR, args: { how: IN_ROOT, mode: 0o755, path: dir } });
  for (const [target, path] of DEFAULT_SYMLINKS) ops.push({ op: Op.SYMLINK, args: { how: IN_ROOT, target, path } });
  return ops;
}

/** Ops from the propagation of "/" up to the set root fd, before any spec mount. */
export function prepareRootOps(linux: SpecLinux | undefined, rootfs: string, overlay?: OverlayRoot): PlanOp[] {
  const flags = rootfsPropagationFlags(linux);
  // Host mount events must not leak in: slave unless the spec says otherwise. Unbindable waits
  // for pivot_root (finishRootOps): an unbindable "/" cannot be bound onto itself.
  const before = flags === undefined || flags & MS.UNBINDABLE ? MS.SLAVE | MS.REC : flags;
  const ops = [mountOp(0, before, '', '/', '', '', `/ made ${propagationName(before)}`)];
  // Shared before the spec mounts, so a bind of a shared host directory joins the host's peer
  // group (mounts then propagate both ways); pivot_root refuses a shared parent of the new root,
  // and the rootfs bind must not propagate to the host, so the mount holding the rootfs is private.
  if (before & MS.SHARED) ops.push(mountOp(PathFlag.ENCLOSING_MOUNT, MS.PRIVATE, '', rootfs, '', '', 'mount holding the rootfs made private'));
  return [
    ...ops,
    // pivot_root needs the rootfs to be a mount point: bind it onto itself, or mount the image's
    // overlay on it (in this namespace only: it goes when the container does).
    overlay
      ? mountOp(0, 0, 'overlay', rootfs, 'overlay', overlayMountData(overlay), `rootfs: overlay of ${overlay.lower.length} layers, upper ${overlay.upper}`)
      : mountOp(0, MS.BIND | MS.REC, rootfs, rootfs, '', '', 'rootfs bound onto itself'),
    { op: Op.SET_ROOT, args: { path: rootfs } },
  ];
}

/** "rslave", "rshared" ... for the notes of the plan. */
function propagationName(flags: number): string {
  const name = Object.entries(ROOTFS_PROPAGATION).find(([k, f]) => f === flags && k.startsWith('r'))?.[0];
  return name ?? `propagation ${flags.toString(16)}`;
}

/** After pivot: a read-only /dev, masked paths, read-only paths, a read-only root, shared-root propagation. */
export function finishRootOps(spec: Spec): PlanOp[] {
  const linux = spec.linux;
  const ops: PlanOp[] = readOnlyDevOps(spec);
  for (const [i, p] of (linux?.maskedPaths ?? []).entries()) {
    if (!isAbsolute(p)) throw new ConfigError(`config.json: /linux/maskedPaths/${i}: must be an absolute path`);
    ops.push({ op: Op.MASK_PATH, args: { path: p } });
  }
  for (const [i, p] of (linux?.readonlyPaths ?? []).entries()) {
    if (!isAbsolute(p)) throw new ConfigError(`config.json: /linux/readonlyPaths/${i}: must be an absolute path`);
    const how = IN_ROOT | PathFlag.IGNORE_ENOENT;
    ops.push(mountOp(how | PathFlag.SOURCE_IN_ROOT, MS.BIND | MS.REC, p, p, '', '', `readonly path ${p}`));
    ops.push(mountOp(how, MS.BIND | MS.REMOUNT | MS.RDONLY, '', p, '', '', `readonly path ${p}: remount read-only`));
  }
  if (spec.root?.readonly) ops.push(mountOp(IN_ROOT, MS.BIND | MS.REMOUNT | MS.RDONLY, '', '/', '', '', 'root.readonly'));
  // The new root is a bind of a private mount: it gets the spec's sharing (or unbindable) here.
  const flags = rootfsPropagationFlags(linux);
  if (flags !== undefined && flags & (MS.SHARED | MS.UNBINDABLE)) ops.push(mountOp(0, flags, '', '/', '', '', `/ made ${propagationName(flags)}`));
  return ops;
}

/**
 * A config without a mount namespace (runtime-spec: the container inherits tsrun's): the rootfs
 * is bound at a mount point of tsrun's own (ctx.chrootMount), made private, every mount goes
 * beneath it, in tsrun's namespace, and the init chroots there. Nothing changes the propagation of
 * the caller's "/", and delete detaches that one mount point (with all beneath).
 */
function chrootRootOps(linux: SpecLinux | undefined, ctx: PlanContext): PlanOp[] {
  if (findNamespace(linux, 'user')) {
    throw new ConfigError('config.json: /linux/namespaces: a user namespace needs a mount namespace too (without one, the rootfs is mounted in the runtime\'s own mount namespace, which a user namespace cannot mount in)');
  }
  if (linux?.rootfsPropagation !== undefined) {
    throw new ConfigError('config.json: /linux/rootfsPropagation: needs a mount namespace (without one it would change the propagation of the runtime\'s own "/")');
  }
  if (!ctx.chrootMount) throw new ConfigError('config.json: /linux/namespaces: no mount namespace, and no mount point of the runtime\'s for the rootfs');
  return [
    mountOp(PathFlag.CREATE_DIR, MS.BIND | MS.REC, ctx.rootfs, ctx.chrootMount, '', '', "rootfs bound at the runtime's mount point for it (no mount namespace)"),
    // A bind of a shared mount joins its peer group: what goes beneath would show at the
    // rootfs's own path (runc's container mounts do) and in every peer.
    mountOp(0, MS.PRIVATE | MS.REC, '', ctx.chrootMount, '', '', 'that mount point made private: the mounts beneath stay there'),
    { op: Op.SET_ROOT, args: { path: ctx.chrootMount } },
  ];
}

/** Every filesystem op of a new container, in order, up to (not including) the console. */
export function rootfsOps(spec: Spec, ctx: PlanContext, warnings: string[] = []): { beforePivot: PlanOp[]; pivot: PlanOp[]; afterPivot: PlanOp[] } {
  const linux = spec.linux;
  // A joined mount namespace (by path) is set up like a new one, inside it (as runc does).
  const chroot = !findNamespace(linux, 'mount');
  const inUserNs = (linux?.namespaces ?? []).some((n) => n.type === 'user');
  const overlay = overlayRoot(spec.annotations, ctx.bundle);
  if (chroot && overlay) {
    throw new ConfigError('config.json: /linux/namespaces: an overlay rootfs (tsrun image unpack --overlay) needs a mount namespace: without one it would be mounted in the runtime\'s own');
  }
  const beforePivot = markLastClone([
    ...(chroot ? chrootRootOps(linux, ctx) : prepareRootOps(linux, ctx.rootfs, overlay)),
    ...(spec.mounts ?? []).flatMap((m, i) => mountOps(m, i, ctx, linux, warnings)),
    ...deviceOps(spec, inUserNs),
  ]);
  return { beforePivot, pivot: [rootChangeOp(chroot, ctx.noPivot)], afterPivot: finishRootOps(spec) };
}

/** How the init's root becomes the rootfs: pivot_root, --no-pivot's move, or chroot without a mount namespace. */
function rootChangeOp(chroot: boolean, noPivot: boolean | undefined): PlanOp {
  if (chroot) return { op: Op.CHROOT, args: {}, note: "chroot: the mounts stay in the runtime's mount namespace until delete" };
  if (noPivot) return { op: Op.MOVE_ROOT, args: {}, note: "--no-pivot: the host's full proc and sysfs mounts detached or covered, then the rootfs moved onto /" };
  return { op: Op.PIVOT_ROOT, args: {} };
}
