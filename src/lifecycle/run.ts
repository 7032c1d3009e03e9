/**
 * run: create + start in one command. In the foreground tsrun becomes the subreaper of the
 * container's init, forwards signals to it, waits for it, deletes the container and exits with
 * its status (128 + signal when killed). With --detach it returns once the container started.
 */
import type { StateStore } from '../state/store.js';
import { setChildSubreaper, waitPidAsync } from '../sys/libc.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { startContainer } from './start.js';

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

export interface RunOptions extends Omit<CreateOptions, 'detached'> {
  detach: boolean;
  keep?: boolean;
}

/** Returns the exit code tsrun should exit with. */
export async function runContainer(store: StateStore, opts: RunOptions, warn: (m: string) => void): Promise<number> {
  if (!opts.detach) setChildSubreaper();
  const rec = await createContainer(store, { ...opts, detached: opts.detach });
  try {
    await startContainer(store, opts.id);
  } catch (e) {
    await deleteContainer(store, opts.id, true).catch(() => undefined);
    throw e;
  }
  if (opts.detach) return 0;
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(rec.pid, sig);
    } catch {
      /* already gone */
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const { code } = await waitPidAsync(rec.pid);
    return code;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    if (!opts.keep) for (const w of await deleteContainer(store, opts.id, true)) warn(w);
  }
}
