/**
 * OCI mount options → mount(2) flags, propagation and filesystem data, the way runc's
 * parseMountOptions reads them. Pure: unit-tested without root.
 */
import { UnsupportedError } from '../errors.js';
import { MOUNT_ATTR, MS } from './linux-constants.js';

/** Options that set (or clear) a mount flag. */
const FLAG_OPTIONS: Record<string, { set?: number; clear?: number }> = {
  defaults: {},
  ro: { set: MS.RDONLY },
  rw: { clear: MS.RDONLY },
  suid: { clear: MS.NOSUID },
  nosuid: { set: MS.NOSUID },
  dev: { clear: MS.NODEV },
  nodev: { set: MS.NODEV },
  exec: { clear: MS.NOEXEC },
  noexec: { set: MS.NOEXEC },
  sync: { set: MS.SYNCHRONOUS },
  async: { clear: MS.SYNCHRONOUS },
  dirsync: { set: MS.DIRSYNC },
  remount: { set: MS.REMOUNT },
  mand: { set: MS.MANDLOCK },
  nomand: { clear: MS.MANDLOCK },
  atime: { clear: MS.NOATIME },
  noatime: { set: MS.NOATIME },
  diratime: { clear: MS.NODIRATIME },
  nodiratime: { set: MS.NODIRATIME },
  relatime: { set: MS.RELATIME },
  norelatime: { clear: MS.RELATIME },
  strictatime: { set: MS.STRICTATIME },
  nostrictatime: { clear: MS.STRICTATIME },
  lazytime: { set: MS.LAZYTIME },
  nolazytime: { clear: MS.LAZYTIME },
  symfollow: { clear: MS.NOSYMFOLLOW },
  nosymfollow: { set: MS.NOSYMFOLLOW },
  bind: { set: MS.BIND },
  rbind: { set: MS.BIND | MS.REC },
};

const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/**
 * Recursive attribute options: set or clear a mount_setattr(2) attribute on the mount and every
 * submount (runc's list). An atime mode is a field the kernel takes only whole: setting one clears
 * the field first, and ratime/rnostrictatime clear it back to relatime, the kernel's default
 * (clearing one bit of it is EINVAL). rnorelatime has nothing to clear: relatime is the zero value.
 */
const REC_ATTR_OPTIONS: Record<string, { set?: number; clear?: number }> = {
  rro: { set: MOUNT_ATTR.RDONLY },
  rrw: { clear: MOUNT_ATTR.RDONLY },
  rnosuid: { set: MOUNT_ATTR.NOSUID },
  rsuid: { clear: MOUNT_ATTR.NOSUID },
  rnodev: { set: MOUNT_ATTR.NODEV },
  rdev: { clear: MOUNT_ATTR.NODEV },
  rnoexec: { set: MOUNT_ATTR.NOEXEC },
  rexec: { clear: MOUNT_ATTR.NOEXEC },
  rnodiratime: { set: MOUNT_ATTR.NODIRATIME },
  rdiratime: { clear: MOUNT_ATTR.NODIRATIME },
  rrelatime: { set: MOUNT_ATTR.RELATIME, clear: MOUNT_ATTR.ATIME_MASK },
  rnorelatime: { clear: MOUNT_ATTR.RELATIME },
  rnoatime: { set: MOUNT_ATTR.NOATIME, clear: MOUNT_ATTR.ATIME_MASK },
  ratime: { set: MOUNT_ATTR.RELATIME, clear: MOUNT_ATTR.ATIME_MASK },
  rstrictatime: { set: MOUNT_ATTR.STRICTATIME, clear: MOUNT_ATTR.ATIME_MASK },
  rnostrictatime: { set: MOUNT_ATTR.RELATIME, clear: MOUNT_ATTR.ATIME_MASK },
  rnosymfollow: { set: MOUNT_ATTR.NOSYMFOLLOW },
  rsymfollow: { clear: MOUNT_ATTR.NOSYMFOLLOW },
};

/** Options tsrun recognises but cannot honour yet: a clear error, never a silent no-op. */
const UNSUPPORTED_OPTIONS = new Set(['tmpcopyup']);

/** Id-mapped mount options (runtime-spec 1.2): `idmap` maps the mount, `ridmap` its submounts too. */
const IDMAP_OPTIONS = ['idmap', 'ridmap'] as const;

export interface ParsedMountOptions {
  /** mount(2) flags, MS_BIND/MS_REC included. */
  flags: number;
  /** Propagation flags, each applied by its own mount(2) call after the mount. */
  propagation: number[];
  /** Comma-joined filesystem-specific options (size=, mode=, newinstance ...). */
  data: string;
  bind: boolean;
  /** `idmap` or `ridmap`: an id-mapped mount (with the mount's maps, else the container's). */
  idmap: boolean;
  /** `ridmap`: submounts are id-mapped too. */
  ridmap: boolean;
  /** Recursive attributes (rro, rnosuid ...): what mount_setattr sets and clears, and the options asking. */
  recAttr: { set: number; clear: number; options: string[] };
}

export function parseMountOptions(options: readonly string[] | undefined, where: string): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  let idmap = false;
  let ridmap = false;
  const recAttr = { set: 0, clear: 0, options: [] as string[] };
  for (const opt of options ?? []) {
    const f = FLAG_OPTIONS[opt];
    const r = REC_ATTR_OPTIONS[opt];
    if (f) {
      if (f.clear) flags &= ~f.clear;
      if (f.set) flags |= f.set;
    } else if (r) {
      // As runc: set bits accumulate, clear bits too; the kernel clears, then sets.
      recAttr.set |= r.set ?? 0;
      recAttr.clear |= r.clear ?? 0;
      recAttr.options.push(opt);
    } else if (opt in PROPAGATION_OPTIONS) {
      propagation.push(PROPAGATION_OPTIONS[opt]!);
    } else if (opt === 'idmap' || opt === 'ridmap') {
      idmap = true;
      if (opt === 'ridmap') ridmap = true;
    } else if (UNSUPPORTED_OPTIONS.has(opt)) {
      throw new UnsupportedError(`${where}: mount option "${opt}" is not supported by tsrun yet`);
    } else {
      data.push(opt);
    }
  }
  return { flags, propagation, data: data.join(','), bind: (flags & MS.BIND) !== 0, idmap, ridmap, recAttr };
}

/**
 * Every option tsrun honours, for `tsrun features`; `idmap` and `ridmap` only when id-mapped
 * mounts work here (see lifecycle/rootless.ts idmapMountsWork).
 */
export function supportedMountOptions(opts: { idmap?: boolean } = {}): string[] {
  return [...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), ...Object.keys(REC_ATTR_OPTIONS), ...(opts.idmap ? IDMAP_OPTIONS : [])].sort();
}
