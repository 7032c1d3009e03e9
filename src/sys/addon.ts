/**
 * tsrun's own Node-API addon (native/addon/tsrun-sys.c, built by `make` as build/tsrun-sys.node):
 * the process calls of create, run, exec and kill on Node (posix_spawn with the executor's
 * channel, the subreaper, waitpid, pidfds). koffi did them before and still does where the addon is
 * not built; this addon loads in a fraction of koffi's time (docs/performance.md). Bun has its own
 * FFI for these (sys/bun-libc.ts) and never loads this file's addon.
 *
 * The functions return what the system call returns (-1 on failure, errno() right after it);
 * spawn returns 0 or -errno (its out[0] then says which step failed).
 */
import { findBuilt } from '../install-paths.js';
import { bunRuntime } from './builtins.js';
import { setFinalExit } from './exit.js';

export const ADDON_FILE = 'tsrun-sys.node';
/** native/addon/tsrun-sys.c's TSRUN_SYS_VERSION: a stale build is not used. */
export const ADDON_VERSION = 1;

export interface SysAddon {
  version: number;
  errno(): number;
  prctl(option: number, a: number, b: number, c: number, d: number): number;
  /** waitpid(2), the status written to status[0]. */
  waitpid(pid: number, status: Int32Array, flags: number): number;
  shutdown(fd: number, how: number): number;
  pidfdOpen(pid: number, flags: number): number;
  pidfdSendSignal(pidfd: number, signal: number): number;
  /** See SpawnStep for out[0] on failure; out = [pid, channel fd] on success. */
  spawn(path: string, argv0: string, env: string[], stdio: number[], out: Int32Array): number;
  /** _exit(2). */
  exit(code: number): never;
}

/** What out[0] names when spawn fails. */
export const SpawnStep: Record<number, string> = {
  1: 'socketpair',
  2: 'fcntl(F_DUPFD_CLOEXEC)',
  3: 'posix_spawn_file_actions',
  4: 'posix_spawn',
};

let loaded: SysAddon | null | undefined;

/**
 * The addon, or undefined: on Bun, when it is not built (or built for another version), or
 * $TSRUN_NO_ADDON is set (the tests' way to run the koffi fallback). Looked for once.
 */
export function sysAddon(): SysAddon | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (bunRuntime() || process.env.TSRUN_NO_ADDON) return undefined;
  const file = findBuilt(ADDON_FILE);
  if (!file) return undefined;
  try {
    const mod = { exports: {} as SysAddon };
    process.dlopen(mod, file);
    if (mod.exports.version === ADDON_VERSION) {
      loaded = mod.exports;
      // The command ends with _exit, skipping Node's teardown of its threads and heap.
      setFinalExit(mod.exports.exit);
    }
  } catch {
    /* another architecture or libc: koffi's prebuilt is picked for those */
  }
  return loaded ?? undefined;
}
