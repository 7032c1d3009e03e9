/** v2 hugetlb: hugetlb.<size>.max, and hugetlb.<size>.rsvd.max where the kernel has it. */
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

/**
 * Writes each hugepage limit to hugetlb.<size>.<limit>, and the same value to the reservation
 * limit hugetlb.<size>.<rsvd> while the kernel has it (runc skips rsvd once it is absent). v1 and
 * v2 differ only in the file names.
 */
export function applyHugepageLimits(res: LinuxResources, dir: string | undefined, fs: CgroupFs, limit: string, rsvd: string): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'hugetlb');
  let hasRsvd = true;
  (res.hugepageLimits ?? []).forEach((h, i) => {
    const f = `${F}.hugepageLimits[${i}]`;
    const v = int(`${f}.limit`, h.limit);
    w.set(f, `hugetlb.${h.pageSize}.${limit}`, v);
    if (hasRsvd) hasRsvd = w.set(f, `hugetlb.${h.pageSize}.${rsvd}`, v, true);
  });
  return w.writes;
}

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  return applyHugepageLimits(res, dir, fs, 'max', 'rsvd.max');
}
