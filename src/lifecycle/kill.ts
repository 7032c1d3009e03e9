/** kill: signal the init, or with --all every process of the container's cgroup. */
import { ContainerNotRunningError, TsrunError } from '../errors.js';
import type { StateStore } from '../state/store.js';
import { signalSameProcess } from '../sys/pidfd.js';
import { canKill, loadContainer } from './container.js';
import { signalAll } from './signal-all.js';

export async function killContainer(store: StateStore, id: string, signal: number, all: boolean): Promise<void> {
  await store.withLock(id, async () => {
    const c = loadContainer(store, id);
    if (all) {
      // runc 1.2+ (and podman) rely on --all reaching every process, and on success when stopped.
      await signalAll(c.rec, signal);
      return;
    }
    if (!canKill(c.status)) throw new ContainerNotRunningError(id);
    await signalInit(c.rec.pid, c.rec.starttime, signal, id);
    // A frozen init cannot die until thawed: SIGKILL of a paused container thaws it (runc 1.2 does).
    if (signal === 9 && c.status === 'paused') {
      const { cgroupOf } = await import('./cgroup.js');
      cgroupOf(c.rec)?.thaw();
    }
  });
}

/** Signals the init through a pidfd (sys/pidfd.ts), so a recycled pid is never signalled. */
async function signalInit(pid: number, starttime: number, signal: number, id: string): Promise<void> {
  const sent = await signalSameProcess(pid, starttime, signal);
  if (sent === 'sent') return;
  if (sent === 'gone') throw new ContainerNotRunningError(id);
  // A libc without the pidfd wrappers: the executor's `signal` mode does the same in C.
  const [{ runQuiet }, { executorPath }] = await Promise.all([import('../executor/launch.js'), import('../executor/spawn.js')]);
  const r = runQuiet(executorPath(), ['signal', String(pid), String(starttime), String(signal)]);
  if (r.status === 0) return;
  if (r.status === 3) throw new ContainerNotRunningError(id);
  throw new TsrunError(`kill ${pid} with signal ${signal}: ${(r.stderr || `status ${r.status}`).trim()}`);
}
