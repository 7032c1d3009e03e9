/** v1 hugetlb: hugetlb.<size>.limit_in_bytes and, where the kernel has it, rsvd.limit_in_bytes. */
import type { CgroupFs } from '../fs.js';
import type { ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';
import { applyHugepageLimits } from '../v2/hugetlb.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  return applyHugepageLimits(res, dir, fs, 'limit_in_bytes', 'rsvd.limit_in_bytes');
}
