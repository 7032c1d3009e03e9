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

/**
 * CgroupManager.destroy (see there) on a recorded state: the container's own directories that
 * create made, with what is below them; with `parents`, the levels above that it made too. What
 * goes is struck from state.created; the first error is thrown once the rest was tried.
 */
export function removeCgroupDirs(fs: CgroupFs, state: CgroupState, { wait = true, parents = false }: { wait?: boolean; parents?: boolean } = {}): void {
  const own = new Set(ownDirs(state));
  const depth = (p: string) => p.split('/').length;
  const order = state.created.filter((d) => parents || own.has(d)).sort((a, b) => depth(b) - depth(a));
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
export function removeContainerCgroup(stored: unknown, opts: { wait?: boolean; fs?: CgroupFs } = {}): void {
  const state = checkCgroupState(stored);
  removeCgroupDirs(opts.fs ?? hostCgroupFs, { ...state, created: [...state.created] }, opts);
}
