/**
 * A container as the commands see it: its record from the state dir and its live status.
 * Status is derived, never trusted from the file (it goes stale): frozen → paused; the init
 * gone, a zombie or a different process under the same pid → stopped; the exec fifo still
 * there → created; otherwise running.
 */
import { StateStore, type ContainerRecord } from '../state/store.js';
import { isSameLiveProcess } from '../sys/proc.js';
import { pathExists } from '../sys/file.js';
import { isFrozenStored } from '../cgroups/frozen.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface Container {
  rec: ContainerRecord;
  status: Status;
  store: StateStore;
}

export function deriveStatus(store: StateStore, rec: ContainerRecord): Status {
  if (!isSameLiveProcess(rec.pid, rec.starttime)) return 'stopped';
  if (isFrozenStored(rec.cgroup)) return 'paused';
  if (pathExists(store.fifoPath(rec.id))) return 'created';
  return 'running';
}

export function loadContainer(store: StateStore, id: string): Container {
  const rec = store.load(id);
  return { rec, status: deriveStatus(store, rec), store };
}

/** The OCI state object (runtime-spec runtime.md "State"), in runc's key order. */
export function ociState(c: Container): Record<string, unknown> {
  const { rec, status } = c;
  return {
    ociVersion: rec.ociVersion,
    id: rec.id,
    pid: status === 'stopped' ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    ...(rec.annotations && Object.keys(rec.annotations).length > 0 ? { annotations: rec.annotations } : {}),
    owner: '',
  };
}

/** The state handed to hooks: like `state`, with the status the phase implies. */
export function hookState(rec: ContainerRecord, status: Status): Record<string, unknown> {
  return {
    ociVersion: rec.ociVersion,
    id: rec.id,
    status,
    pid: rec.pid,
    bundle: rec.bundle,
    ...(rec.annotations && Object.keys(rec.annotations).length > 0 ? { annotations: rec.annotations } : {}),
  };
}

/**
 * Guards of the lifecycle, named after what they allow (youki's can_* functions); each command
 * throws its own error (runc's wording) when its guard says no.
 */
export const canStart = (s: Status) => s === 'created';
export const canKill = (s: Status) => s === 'created' || s === 'running' || s === 'paused';
/** Without --force; with it, any status (the container is killed first). */
export const canDelete = (s: Status) => s === 'stopped' || s === 'created';
export const canPause = (s: Status) => s === 'running' || s === 'created';
export const canResume = (s: Status) => s === 'paused';
/** Without --ignore-paused; with it, paused too. */
export const canExec = (s: Status) => s === 'running' || s === 'created';

/**
 * The init got its root by chroot (no mount namespace of its own, or --no-pivot): a process that
 * joins its mount namespace must chroot into /proc/<init>/root too (plan/exec.ts).
 */
export function initChrooted(rec: ContainerRecord): boolean {
  const namespaces = (rec.config.linux as { namespaces?: Array<{ type: string }> } | undefined)?.namespaces ?? [];
  return rec.noPivot || !namespaces.some((n) => n.type === 'mount');
}
