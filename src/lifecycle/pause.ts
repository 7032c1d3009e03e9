/**
 * pause / resume: freeze or thaw every process of the container's cgroup (runc's
 * Container.Pause/Resume). Pausing needs a created or running container, else runc's
 * "container not running"; resuming needs a paused one, else runc's "container not paused".
 */
import { ContainerNotRunningError, IncorrectStatusError, UnsupportedError } from '../errors.js';
import type { StateStore } from '../state/store.js';
import { cgroupOf } from './cgroup.js';
import { canPause, canResume, loadContainer, type Container } from './container.js';

export const NOT_PAUSED = 'container not paused';

function cgroupFor(c: Container, what: string) {
  const cg = cgroupOf(c.rec);
  if (!cg) throw new UnsupportedError(`cannot ${what} container ${c.rec.id}: it has no cgroup`);
  return cg;
}

export async function pauseContainer(store: StateStore, id: string): Promise<void> {
  await store.withLock(id, () => {
    const c = loadContainer(store, id);
    if (!canPause(c.status)) throw new ContainerNotRunningError(id);
    cgroupFor(c, 'pause').freeze();
  });
}

export async function resumeContainer(store: StateStore, id: string): Promise<void> {
  await store.withLock(id, () => {
    const c = loadContainer(store, id);
    if (!canResume(c.status)) throw new IncorrectStatusError(NOT_PAUSED);
    cgroupFor(c, 'resume').thaw();
  });
}
