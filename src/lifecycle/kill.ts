/** kill: signal the init, or with --all every process of the container's cgroup. */
import { runQuiet } from '../executor/launch.js';
import { ContainerNotRunningError, TsrunError } from '../errors.js';
import { executorPath } from '../executor/spawn.js';
import type { StateStore } from '../state/store.js';
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
    signalInit(c.rec.pid, c.rec.starttime, signal, id);
    // A frozen init cannot die until thawed: SIGKILL of a paused container thaws it (runc 1.2 does).
    if (signal === 9 && c.status === 'paused') {
      const { cgroupOf } = await import('./cgroup.js');
      cgroupOf(c.rec)?.thaw();
    }
  });
}

/**
 * Signals the init through a pidfd (the executor's `signal` mode: neither engine has pidfds, and
 * a small process keeps kill free of the FFI), so a recycled pid is never signalled.
 */
function signalInit(pid: number, starttime: number, signal: number, id: string): void {
  const r = runQuiet(executorPath(), ['signal', String(pid), String(starttime), String(signal)]);
  if (r.status === 0) return;
  if (r.status === 3) throw new ContainerNotRunningError(id);
  throw new TsrunError(`kill ${pid} with signal ${signal}: ${(r.stderr || `status ${r.status}`).trim()}`);
}
