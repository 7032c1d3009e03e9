/** Glue between the lifecycle and src/cgroups: find the manager that create stored in the record. */
import type { ContainerRecord } from '../state/store.js';

export interface CgroupHandle {
  isFrozen(): boolean;
  pids(): number[];
  thaw(): void;
  destroy(): void;
  /** Moves a process (an exec's) into the container's cgroup. */
  join(pid: number): void;
}

export function cgroupOf(_rec: Pick<ContainerRecord, 'cgroup'>): CgroupHandle | undefined {
  return undefined;
}
