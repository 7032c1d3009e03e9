/**
 * The first write to any cgroup.procs after a quiet spell is slow: the kernel's writer path of
 * cgroup_threadgroup_rwsem (one lock for every hierarchy, v1 and v2) waits for an RCU grace
 * period (rcu_sync_enter), while writes in the following grace period do not wait. create and
 * run avoid the lock altogether (the executor joins by itself: Op.JOIN_CGROUP); exec, and a
 * create into a cgroup namespace joined by path, still write a pid into a cgroup.procs, so they
 * start a write that changes nothing (this process into the cgroup it is already in) on a
 * thread-pool thread early: the grace period then passes while the command loads, validates and
 * plans, instead of after (docs/performance.md has the figures). Best effort: any failure only
 * means no head start. (The write holds cgroup_mutex while it waits, so making a cgroup
 * meanwhile waits too: start it only where a cgroup.procs write will follow.)
 *
 * exec's command module and create import this: it reads the files with the cgroup layer's own
 * parsers (detect.ts, path.ts), which import nothing heavier than node:fs and node:path.
 */
import { close, openSync, readFileSync, write } from 'node:fs';
import { detectFromMountinfo, type CgroupLayout, type CgroupMount } from './detect.js';
import { parseProcCgroup, under, type ProcCgroup } from './path.js';

/**
 * The cgroup.procs of this process's own cgroup in one mounted hierarchy (the cgroup2 one when
 * mounted, else the first v1 one /proc/self/cgroup lists), from /proc/self/cgroup and
 * /proc/self/mountinfo; undefined when none is mounted where this process can see it.
 */
export function ownProcsFile(procSelfCgroup: string, mountinfo: string): string | undefined {
  let layout: CgroupLayout;
  let self: ProcCgroup;
  try {
    layout = detectFromMountinfo(mountinfo);
    self = parseProcCgroup(procSelfCgroup);
  } catch {
    return undefined; // no cgroup mounted, or an unreadable line: no guess
  }
  /** The procs file on one mount; undefined when our cgroup lies outside what it shows. */
  const procsOn = (mount: CgroupMount, own: string, what: string): string | undefined => {
    try {
      return `${under(mount, own, what)}/cgroup.procs`;
    } catch {
      return undefined;
    }
  };
  const unified = layout.unified && self.unified !== undefined ? procsOn(layout.unified, self.unified, 'cgroup2') : undefined;
  if (unified) return unified;
  for (const [controller, path] of Object.entries(self.v1)) {
    const h = layout.v1[controller];
    const found = h && procsOn(h, path, controller);
    if (found) return found;
  }
  return undefined;
}

/** Starts the no-op attach in the background (root only: nothing else may write there). */
export function warmAttachLock(): void {
  if (process.getuid?.() !== 0) return;
  let file: string | undefined;
  try {
    file = ownProcsFile(readFileSync('/proc/self/cgroup', 'utf8'), readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return;
  }
  if (!file) return;
  // Opening is quick and done here; the write, which waits, goes to the engine's thread pool at
  // once (an async open would only hand it over at the next turn of the event loop, too late).
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch {
    return;
  }
  write(fd, String(process.pid), () => close(fd, () => undefined));
}
