/** v1 cpuset: cpu.cpus -> cpuset.cpus, cpu.mems -> cpuset.mems. */
import { CgroupWriter, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'cpuset');
  const cpu = res.cpu;
  if (cpu?.cpus) w.set(`${F}.cpu.cpus`, 'cpuset.cpus', cpu.cpus);
  if (cpu?.mems) w.set(`${F}.cpu.mems`, 'cpuset.mems', cpu.mems);
  return w.writes;
}

/**
 * A new v1 cpuset cgroup starts with empty cpus and mems, and a process cannot join it until they
 * are set: copy them down from the parent, top-down, for every level that is still empty
 * (runc's ensureParent).
 */
export function inheritFromParents(dirs: string[], fs: CgroupFs): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  // Each level's value, once read or written, is its child's parent value: one read a level.
  const above = new Map<string, string | undefined>();
  for (const [i, dir] of dirs.entries()) {
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const w = new CgroupWriter(fs, dir, 'cpuset');
      const mine = w.read(file)?.trim();
      if (mine !== '') {
        above.set(file, mine);
        continue;
      }
      const theirs = i > 0 ? above.get(file) : new CgroupWriter(fs, dir.slice(0, dir.lastIndexOf('/')), 'cpuset').read(file)?.trim();
      above.set(file, theirs);
      if (!theirs) continue;
      w.set(`cpuset of ${dir}`, file, theirs);
      writes.push(...w.writes);
    }
  }
  return writes;
}
