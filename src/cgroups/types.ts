/**
 * The OCI runtime-spec `linux.resources` types come from the project's schemas (one definition:
 * src/spec/types.generated.ts); this file adds what only the cgroup layer needs.
 */
export type {
  LinuxBlockIO,
  LinuxCPU,
  LinuxDeviceCgroup,
  LinuxHugepageLimit,
  LinuxInterfacePriority,
  LinuxMemory,
  LinuxNetwork,
  LinuxPids,
  LinuxRdma,
  LinuxResources,
  LinuxThrottleDevice,
  LinuxWeightDevice,
} from '../spec/types.generated.js';

/** A `linux.devices` entry, as far as the device cgroup cares (it is allowed rwm). */
export interface LinuxDeviceNode {
  type: string;
  /** Required for c, b and u devices (the spec checks say so); absent for fifos. */
  major?: number;
  minor?: number;
  path?: string;
}

/** One write to a cgroup file, in the order made. */
export interface CgroupWrite {
  path: string;
  value: string;
}
