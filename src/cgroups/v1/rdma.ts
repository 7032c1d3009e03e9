/** v1 rdma (same file format on v2): "DEVICE hca_handle=N hca_object=M" to rdma.max, by device name. */
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function rdmaLines(res: LinuxResources): Array<{ field: string; line: string }> {
  return Object.keys(res.rdma ?? {})
    .sort()
    .map((dev) => {
      const l = res.rdma![dev]!;
      const field = `${F}.rdma[${JSON.stringify(dev)}]`;
      let line = dev;
      if (l.hcaHandles !== undefined && l.hcaHandles !== null) line += ` hca_handle=${int(field, l.hcaHandles)}`;
      if (l.hcaObjects !== undefined && l.hcaObjects !== null) line += ` hca_object=${int(field, l.hcaObjects)}`;
      return { field, line };
    })
    .filter((x) => x.line.includes(' '));
}

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'rdma');
  for (const { field, line } of rdmaLines(res)) w.set(field, 'rdma.max', line);
  return w.writes;
}
