/**
 * Glue between the lifecycle and src/cgroups: the manager `create` makes from the spec, and the
 * one later commands rebuild from the record. The cgroups module is loaded only by the commands
 * that need it.
 */
import { compareText } from '../text-order.js';
import { basename } from 'node:path';
import { cgroupWasFound, createManager, loadManager, type CgroupManager } from '../cgroups/index.js';
import type { CgroupMountSource } from '../plan/index.js';
import { debug, debugOn, warn } from '../log.js';
import type { Spec } from '../spec/index.js';
import type { ContainerRecord } from '../state/store.js';

/** Without linux.cgroupsPath, containers go under the runtime's own name (runc uses the caller's cgroup). */
export function defaultCgroupsPath(id: string): string {
  return `/tsrun/${id}`;
}

/**
 * Makes the container's cgroup and applies every resource; the init joins it later (apply).
 * firstPid is the executor's: the systemd driver starts its scope with it inside.
 */
export async function createCgroup(id: string, spec: Spec, systemd: boolean, firstPid: number): Promise<CgroupManager> {
  const linux = spec.linux;
  const cg = createManager({ id, cgroupsPath: linux?.cgroupsPath || (systemd ? undefined : defaultCgroupsPath(id)), systemd });
  await cg.start(firstPid);
  if (debugOn()) debug(`cgroup: ${JSON.stringify(cg.paths())}`);
  warnIfPopulated(cg);
  try {
    // linux.devices nodes get no implicit allow rule: access comes from resources.devices only,
    // as runc does (measured with runc 1.1.5 here); managers add their rules.
    await cg.set(linux?.resources ?? {});
  } catch (e) {
    await cg.remove({ parents: true });
    throw e;
  }
  return cg;
}

/**
 * runc 1.1's warning for a container put into a cgroup that already has processes (it still
 * runs; later runc versions refuse it).
 */
function warnIfPopulated(cg: CgroupManager): void {
  // A cgroup this create made is empty: no look at it.
  if (!cgroupWasFound(cg.toJSON())) return;
  const n = cg.pids().length;
  if (n > 0) warn(`container's cgroup is not empty: ${n} process(es) found`);
}

/** What a `cgroup` mount shows on a v1 host: each hierarchy's dir of this container. */
export function cgroupMountSources(cg: CgroupManager): CgroupMountSource[] | undefined {
  if (cg.mode === 'v2') return undefined;
  const state = cg.toJSON();
  const seen = new Set<string>();
  const out: CgroupMountSource[] = [];
  for (const [controller, dir] of Object.entries(state.paths)) {
    const mount = state.mounts[controller];
    if (!mount || seen.has(mount)) continue;
    seen.add(mount);
    out.push({ name: basename(mount), hostPath: dir });
  }
  return out.sort((a, b) => compareText(a.name, b.name));
}

export function cgroupOf(rec: Pick<ContainerRecord, 'cgroup'>): CgroupManager | undefined {
  return rec.cgroup ? loadManager(rec.cgroup) : undefined;
}
