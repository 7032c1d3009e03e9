/**
 * Loads a device filter and attaches it to a cgroup v2 directory, replacing the programs that
 * were attached there before (attach the new one with BPF_F_ALLOW_MULTI first, then detach the
 * old ones, so the cgroup is never unfiltered), as runc does.
 */
import { constants, openSync } from 'node:fs';
import { SysError } from '../../errors.js';
import {
  BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_PROG_TYPE_CGROUP_DEVICE,
  closeFd, progAttach, progDetach, progGetFdById, progLoad, progQuery,
} from '../../sys/bpf.js';
import { DEVICE_FILTER_LICENSE, type DeviceFilter } from './program.js';

export interface DeviceFilterAttacher {
  attach(dir: string, filter: DeviceFilter): void;
}

function openDir(dir: string): number {
  try {
    return openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw SysError.fromNode('cgroup: open', dir, err);
  }
}

export const bpfDeviceFilterAttacher: DeviceFilterAttacher = {
  attach(dir: string, filter: DeviceFilter): void {
    const cg = openDir(dir);
    try {
      const before = progQuery(cg, BPF_CGROUP_DEVICE);
      const prog = progLoad(BPF_PROG_TYPE_CGROUP_DEVICE, filter.bytes, DEVICE_FILTER_LICENSE, 'tsrun_devices');
      try {
        progAttach(cg, prog, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
      } finally {
        closeFd(prog);
      }
      for (const id of before.ids) {
        let old: number;
        try {
          old = progGetFdById(id);
        } catch {
          continue; // gone meanwhile
        }
        try {
          progDetach(cg, old, BPF_CGROUP_DEVICE);
        } finally {
          closeFd(old);
        }
      }
    } catch (err) {
      if (err instanceof SysError) {
        throw new SysError(`cgroup: device filter for ${dir}: ${err.op}`, undefined, err.errno, err.message.slice(err.op.length + 2));
      }
      throw err;
    } finally {
      closeFd(cg);
    }
  },
};

/** The programs attached to a cgroup (ids), for inspection and tests. */
export function attachedDeviceFilters(dir: string): number[] {
  const cg = openDir(dir);
  try {
    return progQuery(cg, BPF_CGROUP_DEVICE).ids;
  } finally {
    closeFd(cg);
  }
}
