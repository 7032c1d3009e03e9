/**
 * v2 devices: no files; the rules become a BPF_PROG_TYPE_CGROUP_DEVICE program (ebpf/program.ts)
 * attached to the cgroup directory. Returns no writes; the attacher is injectable for tests.
 */
import type { CgroupFs } from '../fs.js';
import type { ApplyOptions } from '../controller.js';
import { containerDeviceRules } from '../devices-rules.js';
import { buildDeviceFilter } from '../ebpf/program.js';
import { bpfDeviceFilterAttacher } from '../ebpf/attach.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, _fs: CgroupFs, opts: ApplyOptions = {}): CgroupWrite[] {
  if (opts.update && res.devices === undefined && opts.deviceRules === undefined) return [];
  if (dir === undefined) return [];
  const rules = opts.deviceRules ?? containerDeviceRules(res.devices, opts.deviceNodes);
  (opts.attacher ?? bpfDeviceFilterAttacher).attach(dir, buildDeviceFilter(rules));
  return [];
}
