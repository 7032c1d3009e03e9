/**
 * start: release the init blocked on exec.fifo, then run poststart hooks. The fifo is read
 * without blocking (a fifo never reports hang-up to a non-blocking reader, so EOF alone says nothing):
 * 1 byte means released; EAGAIN means the init is about to write; 0 bytes means no writer yet,
 * which is an error only once the init is gone.
 */
import { ConfigError, IncorrectStatusError, SysError, TsrunError } from '../errors.js';
import { runHooks } from '../hooks/index.js';
import type { ContainerRecord, StateStore } from '../state/store.js';
import { signalAll } from './signal-all.js';
import { isSameLiveProcess } from '../sys/proc.js';
import { O, closeFile, openFile, readInto, unlinkPath } from '../sys/file.js';
import { canStart, hookState, initChrooted, loadContainer } from './container.js';
import type { Hook, HookPlace } from '../hooks/index.js';
import type { Spec } from '../spec/index.js';

const RELEASE_TIMEOUT_MS = 10_000;

/**
 * start: startContainer hooks in the container, release the init, poststart hooks. A failing
 * startContainer or poststart hook fails `start` and stops the container (runtime-spec 1.3).
 */
export async function startContainer(store: StateStore, id: string): Promise<void> {
  const rec = await store.withLock(id, async () => {
    const c = loadContainer(store, id);
    if (!canStart(c.status)) {
      throw new IncorrectStatusError(c.status === 'stopped' ? 'cannot start a container that has stopped' : 'cannot start an already running container');
    }
    const alive = () => isSameLiveProcess(c.rec.pid, c.rec.starttime);
    await stopOnFailure(c.rec, async () => requireProcess(c.rec));
    const hooks = hooksOf(c.rec).startContainer;
    if (hooks?.length) {
      const state = hookState(c.rec, 'created');
      await stopOnFailure(c.rec, async () => runHooks(hooks, state, 'startContainer', await startHookPlace(c.rec, state)));
    }
    await releaseInit(store.fifoPath(id), alive);
    return c.rec;
  });
  await stopOnFailure(rec, () => runHooks(hooksOf(rec).poststart, hookState(rec, 'running'), 'poststart'));
}

/**
 * runtime-spec requires `process` only when `start` is called: a container created without one
 * has nothing to run, so start fails (and stops it, leaving it to delete).
 */
function requireProcess(rec: ContainerRecord): void {
  if (!rec.config.process) throw new ConfigError('config.json: /process: is required at start (this container was created without one)');
}

function hooksOf(rec: ContainerRecord): { startContainer?: Hook[]; poststart?: Hook[] } {
  return (rec.config.hooks as { startContainer?: Hook[]; poststart?: Hook[] } | undefined) ?? {};
}

/**
 * Where startContainer hooks run: in the container, as its process, in its cgroup (runc runs them
 * from the init, after it took the process's identity and filter). Loaded only for a container
 * with such hooks: start stays small otherwise.
 */
async function startHookPlace(rec: ContainerRecord, state: Record<string, unknown>): Promise<HookPlace> {
  const spec = rec.config as unknown as Spec;
  const [{ compileSpecSeccomp, listenerState }, { cgroupOf }] = await Promise.all([import('../seccomp/spec-filter.js'), import('./cgroup.js')]);
  return {
    initPid: rec.pid,
    // The filter compiles as create's did (the compile cache answers).
    asProcess: { proc: spec.process!, chrootRoot: initChrooted(rec), seccomp: await compileSpecSeccomp(spec) },
    listenerState: (pid) => listenerState(spec, state, pid),
    onSpawn: (pid) => cgroupOf(rec)?.apply(pid),
  };
}

/** Runs fn; if it throws, kills the container's processes before passing the error on. */
async function stopOnFailure(rec: ContainerRecord, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    await signalAll(rec, 9);
    throw e;
  }
}

async function releaseInit(fifo: string, alive: () => boolean): Promise<void> {
  let fd: number;
  try {
    fd = openFile(fifo, O.RDONLY | O.NONBLOCK);
  } catch (e) {
    throw SysError.fromNode('open exec fifo', fifo, e);
  }
  try {
    const buf = new Uint8Array(1);
    const deadline = Date.now() + RELEASE_TIMEOUT_MS;
    let spins = 0;
    for (;;) {
      let n: number;
      try {
        n = readInto(fd, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw SysError.fromNode('read exec fifo', fifo, e);
        // The init may have written, exec'd and exited since the read: one more read tells.
        if (!alive() || Date.now() > deadline) {
          if (readsByte(fd, buf)) break;
          throw new TsrunError('cannot start container: its init process is not waiting');
        }
        // The init is being woken by our open and writes within microseconds, usually on the
        // other CPU: look again at once a few hundred times (a 1 ms timer here was most of
        // start's own time), then every millisecond.
        await new Promise((r) => (spins++ < 500 ? setImmediate(r) : setTimeout(r, 1)));
        continue;
      }
      if (n === 1) break;
      // No writer yet: the init either has not reached the fifo (create returns a moment before
      // it opens it) or it died. Only the second is an error.
      if (!alive()) throw new TsrunError('cannot start container: its init process died before start');
      if (Date.now() > deadline) throw new TsrunError('cannot start container: its init process is not waiting');
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    closeFile(fd);
  }
  unlinkPath(fifo);
}

/** One more non-blocking read of the fifo: true when it yields the init's byte. */
function readsByte(fd: number, buf: Uint8Array): boolean {
  try {
    return readInto(fd, buf) === 1;
  } catch {
    return false;
  }
}
