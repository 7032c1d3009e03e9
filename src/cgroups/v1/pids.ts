/** v1 pids: limit > 0 -> pids.max N; a negative limit -> "max" (no limit); 0 -> unset. */
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function pidsMaxValue(limit: number): string {
  return limit > 0 ? int(`${F}.pids.limit`, limit) : 'max';
}

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'pids');
  const limit = res.pids?.limit;
  if (limit !== undefined && limit !== 0) w.set(`${F}.pids.limit`, 'pids.max', pidsMaxValue(limit), limit < 0);
  return w.writes;
}
