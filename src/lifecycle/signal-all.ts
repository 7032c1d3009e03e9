/**
 * Signalling every process of a container, apart from kill.ts: start and delete use it to stop a
 * container without loading what `kill` needs for the init alone (the executor's modules).
 */
import { isSameLiveProcess } from '../sys/proc.js';

/** Signals every process of the container's cgroup (and its init); loads src/cgroups only here. */
export async function signalAll(rec: { pid: number; starttime: number; cgroup?: unknown }, signal: number): Promise<void> {
  const { cgroupOf } = await import('./cgroup.js');
  const cg = cgroupOf(rec as never);
  const pids = new Set<number>(cg?.pids() ?? []);
  if (isSameLiveProcess(rec.pid, rec.starttime)) pids.add(rec.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* exited meanwhile */
    }
  }
  if (signal === 9 && cg?.isFrozen()) cg.thaw(); // v1: a frozen task cannot die until thawed (runc thaws too)
}
