/** v2 hugetlb: hugetlb.<size>.max, and hugetlb.<size>.rsvd.max where the kernel has it. */
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'hugetlb');
  let rsvd = true;
  (res.hugepageLimits ?? []).forEach((h, i) => {
    const f = `${F}.hugepageLimits[${i}]`;
    const v = int(`${f}.limit`, h.limit);
    w.set(f, `hugetlb.${h.pageSize}.max`, v);
    if (rsvd) rsvd = w.set(f, `hugetlb.${h.pageSize}.rsvd.max`, v, true);
  });
  return w.writes;
}
