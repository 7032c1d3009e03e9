/**
 * Whether a cgroup is delegated to the caller: a rootless tsrun may make and use a container's
 * cgroup only where its own user can write (a delegated sub-tree, as systemd gives a user's
 * session). Checked with access(2) on the host, before anything is made.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest existing ancestor of dir (dir itself when it exists). */
function nearestExisting(dir: string): string {
  let cur = dir;
  while (!existsSync(cur) && cur !== dirname(cur)) cur = dirname(cur);
  return cur;
}

/** Why the caller cannot use these cgroup directories, or undefined when it can (delegation). */
export function cgroupNotDelegated(dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const at = nearestExisting(dir);
    try {
      accessSync(at, constants.W_OK);
      // An existing cgroup must also take our processes.
      if (at === dir) accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    } catch {
      return `${at} is not writable by uid ${process.geteuid?.() ?? 0}`;
    }
  }
  return undefined;
}
