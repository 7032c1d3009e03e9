/**
 * OCI mount options → mount(2) flags, propagation and filesystem data, the way runc's
 * parseMountOptions reads them. Pure: unit-tested without root.
 */
import { UnsupportedError } from '../errors.js';
import { MS } from './linux-constants.js';

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

/** Options tsrun recognises but cannot honour yet: a clear error, never a silent no-op. */
const UNSUPPORTED_OPTIONS = new Set([
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime',
  'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow',
  'rsymfollow', 'tmpcopyup',
]);

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
}

export function parseMountOptions(options: readonly string[] | undefined, where: string): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  let idmap = false;
  let ridmap = false;
  for (const opt of options ?? []) {
    const f = FLAG_OPTIONS[opt];
    if (f) {
      if (f.clear) flags &= ~f.clear;
      if (f.set) flags |= f.set;
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
  return { flags, propagation, data: data.join(','), bind: (flags & MS.BIND) !== 0, idmap, ridmap };
}

/**
 * Every option tsrun honours, for `tsrun features`; `idmap` and `ridmap` only when id-mapped
 * mounts work here (see lifecycle/rootless.ts idmapMountsWork).
 */
export function supportedMountOptions(opts: { idmap?: boolean } = {}): string[] {
  return [...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), ...(opts.idmap ? IDMAP_OPTIONS : [])].sort();
}
