/**
 * run: create + start in one command. In the foreground tsrun becomes the subreaper of the
 * container's init, forwards signals to it, waits for it, deletes the container and exits with
 * its status (128 + signal when killed). With --detach it returns once the container started.
 */
import type { StateStore } from '../state/store.js';
import { setChildSubreaper, waitChild } from '../sys/libc.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { startContainer } from './start.js';
import { mark } from '../trace.js';
import { startConsoleProxy, type ConsoleProxy } from '../console/proxy.js';

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

export interface RunOptions extends Omit<CreateOptions, 'detached'> {
  detach: boolean;
  keep?: boolean;
}

/** Returns the exit code tsrun should exit with. */
export async function runContainer(store: StateStore, opts: RunOptions, warn: (m: string) => void): Promise<number> {
  if (!opts.detach) setChildSubreaper();
  mark('reaper');
  let proxy: ConsoleProxy | undefined;
  const foregroundTerminal = async () => {
    proxy = await startConsoleProxy();
    return proxy.socket;
  };
  try {
    const rec = await createContainer(store, { ...opts, detached: opts.detach, foregroundTerminal });
    try {
      await startContainer(store, opts.id);
      mark('started');
    } catch (e) {
      await deleteContainer(store, opts.id, true).catch(() => undefined);
      throw e;
    }
    if (opts.detach) return 0;
    return await waitForeground(rec.pid, proxy, async () => {
      if (!opts.keep) for (const w of await deleteContainer(store, opts.id, true)) warn(w);
    });
  } finally {
    proxy?.stop();
  }
}

/**
 * Waits for a foreground process (a container's init, or an exec'd process) as its subreaper,
 * forwarding signals; with a terminal, the proxy gets the rest of the output first (and handles
 * SIGWINCH itself). Returns the shell-style exit code.
 */
export async function waitForeground(pid: number, proxy: ConsoleProxy | undefined, after: () => Promise<void>): Promise<number> {
  const signals = proxy ? FORWARDED.filter((s) => s !== 'SIGWINCH') : FORWARDED;
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  for (const s of signals) process.on(s, forward);
  try {
    const { code } = await waitChild(pid);
    mark('exited');
    if (proxy) await Promise.race([proxy.done, new Promise((r) => setTimeout(r, 2000))]);
    return code;
  } finally {
    for (const s of signals) process.off(s, forward);
    await after();
  }
}
