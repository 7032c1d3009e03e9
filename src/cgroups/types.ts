/**
 * The OCI runtime-spec `linux.resources` object, as tsrun's cgroup layer reads it. Declared here
 * (structurally, every member optional) so the cgroup code depends on no other module's types.
 */

export interface LinuxDeviceCgroup {
  allow: boolean;
  type?: string;
  major?: number | null;
  minor?: number | null;
  access?: string;
}

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface LinuxPids {
  limit?: number;
}

export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  pageSize: string;
  limit: number;
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  rdma?: Record<string, LinuxRdma>;
  unified?: Record<string, string>;
}

/** A `linux.devices` entry, as far as the device cgroup cares (it is allowed rwm). */
export interface LinuxDeviceNode {
  type: string;
  major: number;
  minor: number;
  path?: string;
}

/** One write to a cgroup file, in the order made. */
export interface CgroupWrite {
  path: string;
  value: string;
}
