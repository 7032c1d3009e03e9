/**
 * The first write to any cgroup.procs after a quiet spell is slow: the kernel's writer path of
 * cgroup_threadgroup_rwsem (one lock for every hierarchy, v1 and v2) waits for an RCU grace
 * period (rcu_sync_enter), 10-20 ms on this kind of host, while writes in the following grace
 * period take microseconds. create and run avoid the lock altogether (the executor joins by
 * itself: Op.JOIN_CGROUP); exec, and a create into a cgroup namespace joined by path, still write
 * a pid into a cgroup.procs, so they start a write that changes nothing (this process into the
 * cgroup it is already in) on a thread-pool thread early: the grace period then passes while the
 * command loads, validates and plans, instead of after. Measured on a cgroup v1 host: the attach
 * went from 10-25 ms to under 1 ms. Best effort: any failure only means no head start. (The
 * write holds cgroup_mutex while it waits, so making a cgroup meanwhile waits too: start it only
 * where a cgroup.procs write will follow.)
 *
 * This module is imported by the CLI dispatcher, so it stays tiny (node:fs only).
 */
import * as nodefs from 'node:fs';

/**
 * The cgroup.procs of this process's own cgroup in one mounted hierarchy (the cgroup2 one when
 * mounted, else the first v1 one listed), from /proc/self/cgroup and /proc/self/mountinfo.
 */
export function ownProcsFile(procSelfCgroup: string, mountinfo: string): string | undefined {
  const mounts: Array<{ point: string; root: string; v2: boolean; opts: string[] }> = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || (f[dash + 1] !== 'cgroup' && f[dash + 1] !== 'cgroup2')) continue;
    mounts.push({ point: unescapeMountinfo(f[4]!), root: unescapeMountinfo(f[3]!), v2: f[dash + 1] === 'cgroup2', opts: (f[dash + 3] ?? '').split(',') });
  }
  const lines = procSelfCgroup.split('\n').filter(Boolean).map((l) => {
    const a = l.indexOf(':');
    const b = l.indexOf(':', a + 1);
    return { controllers: l.slice(a + 1, b), path: l.slice(b + 1) };
  });
  const pick = (want: (typeof lines)[number], m: (typeof mounts)[number] | undefined): string | undefined => {
    if (!m) return undefined;
    // Inside a cgroup namespace or a bind of a sub-tree, the mount shows `root`, not "/".
    if (m.root !== '/' && !want.path.startsWith(`${m.root}/`) && want.path !== m.root) return undefined;
    const inner = m.root === '/' ? want.path : want.path.slice(m.root.length);
    return `${m.point}${inner === '/' ? '' : inner}/cgroup.procs`;
  };
  const v2line = lines.find((l) => l.controllers === '');
  if (v2line) {
    const found = pick(v2line, mounts.find((m) => m.v2));
    if (found) return found;
  }
  for (const l of lines) {
    if (l.controllers === '') continue;
    const names = l.controllers.split(',');
    const found = pick(l, mounts.find((m) => !m.v2 && names.every((n) => m.opts.includes(n))));
    if (found) return found;
  }
  return undefined;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Starts the no-op attach in the background (root only: nothing else may write there). */
export function warmAttachLock(): void {
  if (process.getuid?.() !== 0) return;
  let file: string | undefined;
  try {
    file = ownProcsFile(nodefs.readFileSync('/proc/self/cgroup', 'utf8'), nodefs.readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return;
  }
  if (!file) return;
  // Opening is quick and done here; the write, which waits, goes to the engine's thread pool at
  // once (an async open would only hand it over at the next turn of the event loop, too late).
  let fd: number;
  try {
    fd = nodefs.openSync(file, 'w');
  } catch {
    return;
  }
  nodefs.write(fd, String(process.pid), () => nodefs.close(fd, () => undefined));
}
