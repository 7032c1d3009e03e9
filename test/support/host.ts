/**
 * What this host has, asked of its files (never of how a test behaves): huge page sizes, block
 * devices, cgroup files, user namespaces for unprivileged users, who may reach or write a path.
 * Tests use the answers to test what exists and to expect tsrun's refusal of what does not.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The host's huge page sizes as cgroup files name them ('2MB', '1GB'), with their bytes. */
export function hugePageSizes(): Array<{ name: string; bytes: number }> {
  let dirs: string[] = [];
  try {
    dirs = readdirSync('/sys/kernel/mm/hugepages');
  } catch {
    return [];
  }
  return dirs
    .map((d) => /^hugepages-(\d+)kB$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]) * 1024)
    .sort((a, b) => a - b)
    .map((bytes) => ({ name: hugePageName(bytes), bytes }));
}

/** The kernel's name of a huge page size in hugetlb.<size>.* files: 2097152 → '2MB'. */
export function hugePageName(bytes: number): string {
  for (const [unit, size] of [['GB', 1 << 30], ['MB', 1 << 20], ['KB', 1 << 10]] as const) {
    if (bytes >= size) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** A whole block device of this host and its major:minor (from /sys/block/<dev>/dev), real disks first. */
export function blockDevice(): { name: string; major: number; minor: number } | undefined {
  let names: string[] = [];
  try {
    names = readdirSync('/sys/block');
  } catch {
    return undefined;
  }
  const virtual = (n: string) => /^(loop|ram|zram|nbd)/.test(n);
  for (const name of [...names.filter((n) => !virtual(n)), ...names.filter(virtual)]) {
    const m = /^(\d+):(\d+)$/.exec(readOr(`/sys/block/${name}/dev`, '').trim());
    if (m) return { name, major: Number(m[1]), minor: Number(m[2]) };
  }
  return undefined;
}

/** The host's RDMA devices (/sys/class/infiniband), by the names rdma.max takes. */
export function rdmaDevices(): string[] {
  try {
    return readdirSync('/sys/class/infiniband');
  } catch {
    return [];
  }
}

/** The first of `files` that exists in dir (the kernel offers one of several names), or undefined. */
export function firstExisting(dir: string | undefined, files: readonly string[]): string | undefined {
  return dir === undefined ? undefined : files.find((f) => existsSync(join(dir, f)));
}

/** Whether a cgroup2 mount offers a controller (its cgroup.controllers lists it). */
export function unifiedHas(mountPoint: string | undefined, controller: string): boolean {
  if (mountPoint === undefined) return false;
  return readOr(join(mountPoint, 'cgroup.controllers'), '').split(/\s+/).includes(controller);
}

/** Why a normal user cannot make a user namespace here (the kernel's switches say so), or undefined. */
export function unprivilegedUsernsBlocked(): string | undefined {
  const max = readOr('/proc/sys/user/max_user_namespaces', '').trim();
  if (max === '0') return 'user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)';
  if (readOr('/proc/sys/kernel/unprivileged_userns_clone', '1').trim() === '0') {
    return 'unprivileged user namespaces are disabled (/proc/sys/kernel/unprivileged_userns_clone is 0)';
  }
  if (readOr('/proc/sys/kernel/apparmor_restrict_unprivileged_userns', '0').trim() === '1') {
    return 'AppArmor restricts unprivileged user namespaces (/proc/sys/kernel/apparmor_restrict_unprivileged_userns is 1)';
  }
  return undefined;
}

/**
 * The first of `paths` that a user who is neither the owner nor in the group cannot reach: every
 * directory above it searchable by others, the path itself readable (and executable when asked).
 */
export function unreachableByOthers(paths: ReadonlyArray<{ path: string; exec?: boolean }>): string | undefined {
  for (const { path, exec } of paths) {
    const need = exec ? 0o005 : 0o004;
    try {
      if ((statSync(path).mode & need) !== need) return path;
      for (let dir = dirname(path); ; dir = dirname(dir)) {
        if ((statSync(dir).mode & 0o001) === 0) return dir;
        if (dir === dirname(dir)) break;
      }
    } catch {
      return path;
    }
  }
  return undefined;
}

/** Whether uid (with primary group gid, nothing else) may write path, by its owner, group and mode. */
export function writableBy(path: string, uid: number, gid: number): boolean {
  const st = statSync(path);
  const bit = st.uid === uid ? 0o200 : st.gid === gid ? 0o020 : 0o002;
  return (st.mode & bit) !== 0;
}

/**
 * Why a v1 memory limit cannot keep a process from swapping here, or undefined: swap is on
 * (/proc/swaps lists a device) but the memory hierarchy has no memsw files (swap accounting off).
 */
export function swapWithoutAccounting(memoryMount: string | undefined): string | undefined {
  const swaps = readOr('/proc/swaps', '').trim().split('\n').slice(1).filter(Boolean);
  if (swaps.length === 0 || memoryMount === undefined) return undefined;
  if (existsSync(join(memoryMount, 'memory.memsw.limit_in_bytes'))) return undefined;
  return 'swap is on without swap accounting (no memory.memsw.*): a memory limit would swap, not OOM-kill';
}

/**
 * A kernel build option as /proc/config.gz or /boot/config-<release> sets it: 'y', 'm', 'n' (not
 * set), or undefined when the host publishes no config.
 */
export function kernelConfig(option: string): string | undefined {
  let text: string | undefined;
  try {
    text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    text = readOr(`/boot/config-${release()}`, '') || undefined;
  }
  if (text === undefined) return undefined;
  return new RegExp(`^${option}=(\\S+)$`, 'm').exec(text)?.[1] ?? 'n';
}

/**
 * Whether the cgroup at rel (below the cgroup mounts) is frozen, as its freezer says: 'FROZEN' or
 * 'THAWED' from v1's freezer.state, or from v2's cgroup.freeze; undefined when it has neither.
 */
export function freezerState(rel: string): string | undefined {
  const v1 = readOr(`/sys/fs/cgroup/freezer${rel}/freezer.state`, '').trim();
  if (v1) return v1;
  const v2 = readOr(`${existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup'}${rel}/cgroup.freeze`, '').trim();
  return v2 === '' ? undefined : v2 === '1' ? 'FROZEN' : 'THAWED';
}

/** Whether this host has a freezer: a v1 freezer hierarchy, or a pure cgroup2 one (cgroup.freeze). */
export function hasFreezer(): boolean {
  return existsSync('/sys/fs/cgroup/freezer/freezer.state') || existsSync('/sys/fs/cgroup/freezer/cgroup.procs') || existsSync('/sys/fs/cgroup/cgroup.controllers');
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
