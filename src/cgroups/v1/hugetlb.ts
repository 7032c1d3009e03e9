/**
 * v1 hugetlb: hugetlb.<size>.limit_in_bytes, and the same value to the reservation limit
 * hugetlb.<size>.rsvd.limit_in_bytes where the kernel has it (runc skips rsvd once it is absent).
 */
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'hugetlb');
  let rsvd = true;
  (res.hugepageLimits ?? []).forEach((h, i) => {
    const f = `${F}.hugepageLimits[${i}]`;
    const v = int(`${f}.limit`, h.limit);
    w.set(f, `hugetlb.${h.pageSize}.limit_in_bytes`, v);
    if (rsvd) rsvd = w.set(f, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, v, true);
  });
  return w.writes;
}
