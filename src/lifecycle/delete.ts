/**
 * delete: stopped → destroy; created → SIGKILL, then destroy (runc's behaviour, which containerd
 * relies on); running or paused → error unless --force, which kills first and waits up to 10 s.
 * Destroy removes the container's cgroup (whoever made it, as runc does) and its state dir, then
 * runs poststop. The cgroup levels above the container's stay, as runc leaves them, even those
 * its create made: another container may be making its own below one right now.
 */
import { ContainerNotExistError, IncorrectStatusError, TsrunError, isTsrunError, type SysError } from '../errors.js';
import { runHooksReportingErrors, type Hook } from '../hooks/index.js';
import type { ContainerRecord, StateStore } from '../state/store.js';
import { isSameLiveProcess } from '../sys/proc.js';
import { cgroupWasFound, ownedBySystemd, removeContainerCgroup } from '../cgroups/remove.js';
import { canDelete, hookState, loadContainer, type Container } from './container.js';
import { signalAll } from './signal-all.js';
import { releaseChrootMount } from './chroot-mount.js';

const KILL_WAIT_MS = 10_000;
const FOUND_CGROUP_WAIT_MS = 1_000;

/** Returns warnings (poststop hook failures) for the caller to log. */
export async function deleteContainer(store: StateStore, id: string, force: boolean): Promise<string[]> {
  if (!store.exists(id)) {
    if (force) return [];
    throw new ContainerNotExistError(id);
  }
  return store.withLock(id, async () => {
    let c: Container;
    try {
      c = loadContainer(store, id);
    } catch (e) {
      // A create killed half-way leaves a folder without state.json: only --force removes it.
      // A brand check: the store (and its errors) may come from another bundle than this code.
      if (isTsrunError(e)) {
        if (!force) throw e;
        await releaseChrootMount(store, id);
        store.remove(id);
        return [];
      }
      throw e;
    }
    if (!canDelete(c.status) && !force) throw new IncorrectStatusError(`cannot delete container ${id} that is not stopped: ${c.status}`);
    if (c.status !== 'stopped') await killAndWait(c.rec);
    return destroy(store, c.rec);
  });
}

async function killAndWait(rec: ContainerRecord): Promise<void> {
  const { cgroupOf } = await import('./cgroup.js');
  const cg = cgroupOf(rec);
  await signalAll(rec, 9);
  // A frozen process cannot die: thaw after the signal is queued.
  if (cg?.isFrozen()) cg.thaw();
  const deadline = Date.now() + KILL_WAIT_MS;
  while (isSameLiveProcess(rec.pid, rec.starttime)) {
    if (Date.now() > deadline) throw new TsrunError(`container ${rec.id}: init process ${rec.pid} did not die within ${KILL_WAIT_MS / 1000}s of SIGKILL`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sharesHostPidNs(rec: ContainerRecord): boolean {
  const ns = ((rec.config.linux as { namespaces?: Array<{ type: string; path?: string }> } | undefined)?.namespaces ?? []).find((n) => n.type === 'pid');
  return ns === undefined || ns.path !== undefined;
}

async function destroy(store: StateStore, rec: ContainerRecord): Promise<string[]> {
  const warnings = rec.cgroup ? await removeCgroup(rec) : [];
  await releaseChrootMount(store, rec.id);
  store.remove(rec.id);
  const hooks = (rec.config.hooks as { poststop?: Hook[] } | undefined)?.poststop;
  return [...warnings, ...(await runHooksReportingErrors(hooks, hookState(rec, 'stopped'), 'poststop'))];
}

const isBusy = (e: unknown) => isTsrunError(e) && (e as SysError).errno === 'EBUSY';

/**
 * Removes the container's cgroup, whoever made it (runc's delete). A cgroup that create found
 * at cgroupsPath may hold processes of others (runc 1.1 let a container join a non-empty one):
 * while they stay, so does the cgroup, with a warning, and the container is deleted anyway.
 */
async function removeCgroup(rec: ContainerRecord): Promise<string[]> {
  // Without a pid namespace of its own, the init's death does not take the rest with it.
  if (sharesHostPidNs(rec)) await signalAll(rec, 9);
  // The systemd driver's unit: systemd stops it, which removes its cgroup.
  if (ownedBySystemd(rec.cgroup)) {
    const { cgroupOf } = await import('./cgroup.js');
    await cgroupOf(rec)!.remove({ found: true });
    return [];
  }
  // Usually nothing is left (the init's pid namespace took its processes along): the cgroup
  // goes at once, from its record, without loading the managers or listing it first.
  try {
    removeContainerCgroup(rec.cgroup, { wait: false, found: true });
    return [];
  } catch (e) {
    if (!isBusy(e)) throw e;
  }
  // Killed processes (an exec's too) leave it only when they are gone: wait for them, then
  // remove it. Others' processes in a cgroup create found would never go: wait less for those.
  const found = cgroupWasFound(rec.cgroup);
  const { cgroupOf } = await import('./cgroup.js');
  const cg = cgroupOf(rec)!;
  const deadline = Date.now() + (found ? FOUND_CGROUP_WAIT_MS : KILL_WAIT_MS);
  while (cg.pids().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  try {
    cg.destroy({ found: true });
    return [];
  } catch (e) {
    if (!found || !isBusy(e)) throw e;
    return [`${(e as Error).message}: the cgroup was there before the container, and processes (${cg.pids().join(' ')}) still use it: left in place`];
  }
}
