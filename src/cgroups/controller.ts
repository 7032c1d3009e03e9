/** What every per-controller `apply(resources, dir, fs, options)` shares. */
import type { DeviceFilterAttacher } from './ebpf/attach.js';
import type { DeviceRule } from './devices-rules.js';
import type { LinuxDeviceNode } from './types.js';

export interface ApplyOptions {
  /** `tsrun update`: only the fields given change; memory.checkBeforeUpdate applies. */
  update?: boolean;
  /** The full device rule list; default: containerDeviceRules(resources.devices, deviceNodes). */
  deviceRules?: DeviceRule[];
  /** `linux.devices`, allowed rwm after the defaults. */
  deviceNodes?: LinuxDeviceNode[];
  /** v2 device filter loader (default: bpf(2)). */
  attacher?: DeviceFilterAttacher;
}

export const F = 'linux.resources';
