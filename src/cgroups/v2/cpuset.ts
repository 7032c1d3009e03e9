/** v2 cpuset: cpu.cpus -> cpuset.cpus, cpu.mems -> cpuset.mems. */
import { CgroupWriter, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'cpuset');
  if (res.cpu?.cpus) w.set(`${F}.cpu.cpus`, 'cpuset.cpus', res.cpu.cpus);
  if (res.cpu?.mems) w.set(`${F}.cpu.mems`, 'cpuset.mems', res.cpu.mems);
  return w.writes;
}
