/**
 * events: runc's container event stream. `--stats` prints one stats event and exits; otherwise
 * a stats event every interval and an `oom` event each time the cgroup's OOM-kill count rises,
 * until the container stops (or the caller aborts: SIGINT/SIGTERM). One JSON object per line:
 * {"type":"stats","id":ID,"data":Stats} / {"type":"oom","id":ID} (runc types/events.go).
 */
import { TsrunError, UsageError } from '../errors.js';
import { eventJSON, type CgroupManager } from '../cgroups/index.js';
import type { StateStore } from '../state/store.js';
import { isSameLiveProcess } from '../sys/proc.js';
import { cgroupOf } from './cgroup.js';
import { loadContainer } from './container.js';

export interface EventsOptions {
  /** --stats: one stats event, then return. */
  statsOnly: boolean;
  intervalMs: number;
  write(line: string): void;
  /** Warnings (a stats read that failed: the stream goes on, as runc's). */
  warn?(msg: string): void;
  /** Aborting ends the stream (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** How often the OOM counter and the container's liveness are checked (default 100 ms). */
  pollMs?: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function oomCount(cg: CgroupManager): number | undefined {
  try {
    return cg.oomKillCount();
  } catch {
    return undefined;
  }
}

export async function containerEvents(store: StateStore, id: string, opts: EventsOptions): Promise<void> {
  if (!(opts.intervalMs > 0)) throw new UsageError('duration interval must be greater than 0');
  const c = loadContainer(store, id);
  if (c.status === 'stopped') throw new TsrunError(`container with id ${id} is not running`);
  const cg = cgroupOf(c.rec);
  if (!cg) throw new TsrunError(`container ${id} has no cgroup: no events or statistics`);
  const stats = () => eventJSON('stats', id, cg.stats()) + '\n';
  if (opts.statsOnly) {
    opts.write(stats());
    return;
  }
  const poll = Math.max(1, Math.min(opts.pollMs ?? 100, opts.intervalMs));
  let lastOom = oomCount(cg) ?? 0;
  const checkOom = () => {
    const n = oomCount(cg);
    if (n !== undefined && n > lastOom) {
      lastOom = n;
      opts.write(eventJSON('oom', id) + '\n');
    }
  };
  let nextStats = Date.now() + opts.intervalMs;
  const { pid, starttime } = c.rec;
  while (!opts.signal?.aborted) {
    await sleep(Math.min(poll, Math.max(1, nextStats - Date.now())), opts.signal);
    if (opts.signal?.aborted) break;
    checkOom();
    if (!isSameLiveProcess(pid, starttime) || !cg.exists()) {
      // The kernel may count the kill that ended the container just after the init is gone.
      await sleep(poll, opts.signal);
      checkOom();
      return;
    }
    if (Date.now() >= nextStats) {
      nextStats += opts.intervalMs;
      if (nextStats < Date.now()) nextStats = Date.now() + opts.intervalMs;
      try {
        opts.write(stats());
      } catch (e) {
        if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'EPIPE') throw e;
        opts.warn?.(`events: ${(e as Error).message}`);
      }
    }
  }
}
