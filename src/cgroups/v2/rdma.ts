/** v2 rdma: rdma.max lines, as v1. */
import { CgroupWriter, type CgroupFs } from '../fs.js';
import type { ApplyOptions } from '../controller.js';
import { rdmaLines } from '../v1/rdma.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'rdma');
  for (const { field, line } of rdmaLines(res)) w.set(field, 'rdma.max', line);
  return w.writes;
}
