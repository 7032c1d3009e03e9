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

/**
 * Forwards the signals tsrun gets to the foreground process, as runc's signal handler does. run
 * attaches it from the start: a SIGTERM during create then reaches the container right after it
 * started (queued until then) instead of killing tsrun half-way. With a terminal the console proxy
 * handles SIGWINCH itself.
 */
export class SignalForwarder {
  private pid = 0;
  private queued: NodeJS.Signals[] = [];
  private attached = false;

  constructor(private readonly proxied: () => boolean) {}

  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (sig === 'SIGWINCH' && this.proxied()) return;
    if (this.pid) this.send(sig);
    else this.queued.push(sig);
  };

  private send(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** Listens (once; each signal handler costs Node a few system calls to install and remove). */
  attach(): void {
    if (this.attached) return;
    this.attached = true;
    for (const s of FORWARDED) process.on(s, this.onSignal);
  }

  /** The process to forward to, from now on; what came before goes to it now. */
  target(pid: number): void {
    this.pid = pid;
    for (const sig of this.queued.splice(0)) this.send(sig);
  }

  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    for (const s of FORWARDED) process.off(s, this.onSignal);
  }
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
  const forwarder = opts.detach ? undefined : new SignalForwarder(() => proxy !== undefined);
  // Attached on the event loop's first turn, which comes while this process waits for the
  // executor to set the container up (installing nine signal handlers is a few dozen syscalls).
  if (forwarder) setImmediate(() => forwarder.attach());
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
    }, forwarder);
  } finally {
    forwarder?.detach();
    proxy?.stop();
  }
}

/**
 * Waits for a foreground process (a container's init, or an exec'd process) as its subreaper,
 * forwarding signals; with a terminal, the proxy gets the rest of the output first (and handles
 * SIGWINCH itself). Returns the shell-style exit code.
 */
export async function waitForeground(
  pid: number,
  proxy: ConsoleProxy | undefined,
  after: () => Promise<void>,
  forwarder = new SignalForwarder(() => proxy !== undefined),
): Promise<number> {
  forwarder.attach();
  forwarder.target(pid);
  try {
    const { code } = await waitChild(pid);
    mark('exited');
    if (proxy) await Promise.race([proxy.done, new Promise((r) => setTimeout(r, 2000))]);
    return code;
  } finally {
    forwarder.detach();
    await after();
  }
}
