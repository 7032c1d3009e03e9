/**
 * Removing a container's cgroup, from what state.json recorded of it (CgroupState), without the
 * managers: `delete` needs this alone (index.ts says why it must not load them). The managers'
 * destroy() is this too.
 */
import { SysError, describeCode } from '../errors.js';
import { errCode, hostCgroupFs, sleepSync, type CgroupFs } from './fs.js';
import { checkCgroupState, ownDirs, type CgroupState } from './state.js';

/** One rmdir: true when the directory is gone (or already was), false while tasks or sub-cgroups keep it busy. */
function rmdirOnce(fs: CgroupFs, dir: string): boolean {
  try {
    fs.rmdir(dir);
    return true;
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') return true;
    if (code === 'EBUSY' || code === 'ENOTEMPTY') return false;
    throw SysError.fromNode('cgroup: rmdir', dir, err);
  }
}

/** rmdir, retried with a growing pause while killed tasks are still leaving (about 1 s in all; none without wait). */
function rmdirRetry(fs: CgroupFs, dir: string, wait: boolean): void {
  let delay = 1;
  for (let tries = 0; !rmdirOnce(fs, dir); tries++) {
    if (!wait || tries >= 10) throw new SysError('cgroup: rmdir', dir, 'EBUSY', describeCode('EBUSY'));
    sleepSync(delay);
    delay *= 2;
  }
}

/** Removes a cgroup and the sub-cgroups below it (made by the container), deepest first. */
function removeTree(fs: CgroupFs, dir: string, wait: boolean): void {
  // Usually there is nothing below and nothing inside: one rmdir, no listing. Busy means
  // sub-cgroups or tasks are still there: list, recurse, and retry while tasks leave.
  if (rmdirOnce(fs, dir)) return;
  let entries;
  try {
    entries = fs.readdir(dir);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return;
    throw SysError.fromNode('cgroup: readdir', dir, err);
  }
  for (const e of entries) if (e.isDir) removeTree(fs, `${dir}/${e.name}`, wait);
  rmdirRetry(fs, dir, wait);
}

/** What to remove besides the container's own directories that its create made. */
export interface RemoveOptions {
  /** Retry while killed tasks leave (default true). */
  wait?: boolean;
  /** The levels above that create made too (a failed create undoing itself). */
  parents?: boolean;
  /**
   * The container's own directories even when create found them there (runc's delete: the
   * cgroup at cgroupsPath is the container's whoever made it; a stale one breaks the next run
   * that writes real-time cpu values into it). Never a hierarchy's mount point.
   */
  found?: boolean;
}

/** The container's own directories that this removal takes: those create made, or all with `found`. */
function ownToRemove(state: CgroupState, found: boolean): Set<string> {
  const own = ownDirs(state);
  if (!found) {
    const made = new Set(state.created);
    return new Set(own.filter((d) => made.has(d)));
  }
  const mounts = new Set([...Object.values(state.mounts ?? {}), state.unifiedMount]);
  return new Set(own.filter((d) => !mounts.has(d)));
}

/**
 * CgroupManager.destroy (see there) on a recorded state: the container's own directories that
 * create made (or found, see RemoveOptions), with what is below them; with `parents`, the levels
 * above that it made too. What goes is struck from state.created; the first error is thrown once
 * the rest was tried.
 */
export function removeCgroupDirs(fs: CgroupFs, state: CgroupState, { wait = true, parents = false, found = false }: RemoveOptions = {}): void {
  const own = ownToRemove(state, found);
  const depth = (p: string) => p.split('/').length;
  const above = parents ? state.created.filter((d) => !own.has(d)) : [];
  const order = [...own, ...above].sort((a, b) => depth(b) - depth(a));
  let first: unknown;
  for (const dir of order) {
    try {
      if (own.has(dir)) removeTree(fs, dir, wait);
      // A level above that this create made: one rmdir, no retry. Busy means something else
      // lives below it (or in it) now: it stays.
      else if (!rmdirOnce(fs, dir)) continue;
      state.created = state.created.filter((d) => d !== dir);
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}

/**
 * Removes a container's cgroup from its stored description (state.json "cgroup"), as the
 * manager's destroy() would, without loading the managers; the record itself is left as it was.
 * With `wait: false`, a cgroup still busy with tasks is an EBUSY error at once.
 */
export function removeContainerCgroup(stored: unknown, opts: RemoveOptions & { fs?: CgroupFs } = {}): void {
  const state = checkCgroupState(stored);
  removeCgroupDirs(opts.fs ?? hostCgroupFs, { ...state, created: [...state.created] }, opts);
}

/** True when create found (did not make) some of the container's own directories (state.json "cgroup"). */
export function cgroupWasFound(stored: unknown): boolean {
  const state = checkCgroupState(stored);
  const made = new Set(state.created);
  return ownDirs(state).some((d) => !made.has(d));
}

/** True when the systemd driver made the cgroup (a unit to stop, through the managers: CgroupManager.remove). */
export function ownedBySystemd(stored: unknown): boolean {
  return (stored as { driver?: unknown } | undefined)?.driver === 'systemd';
}
