/** v2 pids: same rule as v1 (limit > 0 -> N, negative -> "max"). */
import { CgroupWriter, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import { pidsMaxValue } from '../v1/pids.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'pids');
  const limit = res.pids?.limit;
  if (limit !== undefined && limit !== 0) w.set(`${F}.pids.limit`, 'pids.max', pidsMaxValue(limit), limit < 0);
  return w.writes;
}
