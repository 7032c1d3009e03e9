/** v1 devices: the transition from devices.list to the container's rules (see devices-v1.ts). */
import { CgroupWriter, type CgroupFs } from '../fs.js';
import type { ApplyOptions } from '../controller.js';
import { applyDevicesV1 } from '../devices-v1.js';
import { containerDeviceRules } from '../devices-rules.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, opts: ApplyOptions = {}): CgroupWrite[] {
  if (opts.update && res.devices === undefined && opts.deviceRules === undefined) return [];
  const rules = opts.deviceRules ?? containerDeviceRules(res.devices, opts.deviceNodes);
  return applyDevicesV1(new CgroupWriter(fs, dir, 'devices'), rules);
}
