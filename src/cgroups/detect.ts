/**
 * Which cgroup layout the host has: v1 (only per-controller hierarchies), v2 (one cgroup2 tree),
 * or hybrid (v1 hierarchies plus a cgroup2 mount, usually /sys/fs/cgroup/unified), and where
 * every hierarchy is mounted. Read from /proc/self/mountinfo, or from a directory laid out like
 * /sys/fs/cgroup (the unit tests' fake trees).
 */
import { compareText } from '../text-order.js';
import { readFileSync } from 'node:fs';
import { SysError } from '../errors.js';
import type { CgroupFs } from './fs.js';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export interface CgroupMount {
  mountPoint: string;
  /** The path inside the hierarchy that is mounted there ("/" outside a cgroup namespace). */
  root: string;
}

export interface V1Hierarchy extends CgroupMount {
  /** Controllers co-mounted there, e.g. ["cpu", "cpuacct"], or ["name=systemd"]. */
  controllers: string[];
}

export interface CgroupLayout {
  mode: CgroupMode;
  /** Controller name (and "name=systemd") -> its hierarchy. Empty on v2. */
  v1: Record<string, V1Hierarchy>;
  /** The cgroup2 mount (v2 and hybrid). */
  unified?: CgroupMount;
}

/** Controllers that a v1 mount option can name (the rest of the options are mount flags). */
export const V1_CONTROLLERS = [
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
] as const;

export interface MountinfoEntry {
  mountId: number;
  parentId: number;
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

/** Undoes the octal escapes (\040 for space etc.) of /proc/self/mountinfo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountinfoEntry[] {
  const out: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 3) continue;
    out.push({
      mountId: Number(f[0]),
      parentId: Number(f[1]),
      root: unescape(f[3]!),
      mountPoint: unescape(f[4]!),
      fsType: f[dash + 1]!,
      source: unescape(f[dash + 2]!),
      superOptions: (f[dash + 3] ?? '').split(','),
    });
  }
  return out;
}

function v1ControllersOf(options: string[]): string[] {
  return options.filter((o) => (V1_CONTROLLERS as readonly string[]).includes(o) || o.startsWith('name='));
}

/** Prefers mounts under /sys/fs/cgroup when a hierarchy is mounted more than once. */
function better(a: CgroupMount | undefined, b: CgroupMount): boolean {
  if (!a) return true;
  const pref = (m: CgroupMount) => (m.mountPoint.startsWith('/sys/fs/cgroup') ? 0 : 1);
  return pref(b) < pref(a);
}

/** The layout from the text of a mountinfo file. */
export function detectFromMountinfo(text: string): CgroupLayout {
  const v1: Record<string, V1Hierarchy> = {};
  let unified: CgroupMount | undefined;
  for (const m of parseMountinfo(text)) {
    if (m.fsType === 'cgroup2') {
      const c = { mountPoint: m.mountPoint, root: m.root };
      if (better(unified, c)) unified = c;
    } else if (m.fsType === 'cgroup') {
      const controllers = v1ControllersOf(m.superOptions);
      const h: V1Hierarchy = { mountPoint: m.mountPoint, root: m.root, controllers };
      for (const c of controllers) if (better(v1[c], h)) v1[c] = h;
    }
  }
  return layoutOf(v1, unified);
}

function layoutOf(v1: Record<string, V1Hierarchy>, unified: CgroupMount | undefined): CgroupLayout {
  const hasV1 = Object.keys(v1).length > 0;
  if (!hasV1 && !unified) throw new SysError('cgroup: detect', undefined, 'ENOENT', 'no cgroup file system is mounted');
  const mode: CgroupMode = !hasV1 ? 'v2' : unified ? 'hybrid' : 'v1';
  return unified ? { mode, v1, unified } : { mode, v1 };
}

/**
 * The layout of a directory laid out like /sys/fs/cgroup: the directory itself is a cgroup2 root
 * when it has cgroup.controllers; otherwise each subdirectory holding cgroup.procs is a v1
 * hierarchy named after its controllers ("cpu,cpuacct", "systemd" for name=systemd), except a
 * subdirectory with cgroup.controllers (the hybrid "unified" mount).
 */
export function detectFromRoot(root: string, fs: CgroupFs): CgroupLayout {
  if (fs.exists(`${root}/cgroup.controllers`)) return { mode: 'v2', v1: {}, unified: { mountPoint: root, root: '/' } };
  const v1: Record<string, V1Hierarchy> = {};
  let unified: CgroupMount | undefined;
  for (const e of fs.readdir(root)) {
    if (!e.isDir) continue;
    const dir = `${root}/${e.name}`;
    if (fs.exists(`${dir}/cgroup.controllers`)) {
      unified = { mountPoint: dir, root: '/' };
      continue;
    }
    if (!fs.exists(`${dir}/cgroup.procs`)) continue;
    const names = e.name.split(',').map((n) => (n === 'systemd' ? 'name=systemd' : n));
    const controllers = v1ControllersOf(names);
    const h: V1Hierarchy = { mountPoint: dir, root: '/', controllers };
    for (const c of controllers) v1[c] = h;
  }
  return layoutOf(v1, unified);
}

/** This host's layout, from /proc/self/mountinfo. */
export function detectHost(): CgroupLayout {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch (err) {
    throw SysError.fromNode('read', '/proc/self/mountinfo', err);
  }
  return detectFromMountinfo(text);
}

/** The distinct v1 hierarchies (co-mounted controllers appear once), in mount-point order. */
export function v1Hierarchies(layout: CgroupLayout): V1Hierarchy[] {
  const seen = new Map<string, V1Hierarchy>();
  for (const h of Object.values(layout.v1)) seen.set(h.mountPoint, h);
  return [...seen.values()].sort((a, b) => compareText(a.mountPoint, b.mountPoint));
}
