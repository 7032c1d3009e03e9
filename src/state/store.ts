/**
 * The state directory: one folder per container under the root (default /run/tsrun), holding
 * state.json (written atomically), exec.fifo while the container is created, and a lock file
 * that serialises concurrent commands on one container. The format is tsrun's own: no manager
 * reads it (docs/contract.md).
 */
import { nodeFs } from '../sys/builtins.js';
import { O, pathExists, readText, removeDir, renamePath, unlinkPath, writeFileWith, makeDir } from '../sys/file.js';
import { ContainerExistsError, ContainerNotExistError, SysError, TsrunError, UsageError } from '../errors.js';
import { isSameLiveProcess, readProcStat } from '../sys/proc.js';
import { absolutePath, resolveRoot } from './root.js';

export const STATE_FILE = 'state.json';
export const FIFO_FILE = 'exec.fifo';
const LOCK_FILE = '.lock';
const RECORD_VERSION = 1;

/** What tsrun remembers about a container between commands. */
export interface ContainerRecord {
  recordVersion: number;
  id: string;
  ociVersion: string;
  /** Host pid of the container's init (the process that execs the user's program). */
  pid: number;
  /** The init's start time (clock ticks), to tell it from a later process with the same pid. */
  starttime: number;
  bundle: string;
  rootfs: string;
  /** RFC 3339 creation time. */
  created: string;
  annotations?: Record<string, string>;
  /** The owner's uid, for `list`. */
  uid: number;
  /** The cgroup manager's description (see src/cgroups), to find and remove what create made. */
  cgroup?: unknown;
  /** Made with --no-pivot (a chroot, not a mount namespace root): exec must chroot too. */
  noPivot?: boolean;
  /** The validated config.json, for hooks and exec defaults. */
  config: Record<string, unknown>;
}

/** Validates a container id as runc does: non-empty, [A-Za-z0-9_+.-], and not . or .. */
export function checkContainerId(id: string | undefined): string {
  if (!id) throw new UsageError('container id cannot be empty');
  if (!/^[\w+.-]+$/.test(id) || id === '.' || id === '..') throw new UsageError(`invalid container id format: ${id}`);
  // Dot names under the root are left to the runtimes' own files: runc allows them, tsrun does not.
  if (id.startsWith('.')) throw new UsageError(`invalid container id format: ${id} (must not start with ".")`);
  return id;
}

/** A folder under the root whose state.json is another runtime's (runc's, in a root a manager shares). */
export class ForeignStateError extends TsrunError {
  override name = 'ForeignStateError';
}

export class StateStore {
  readonly root: string;
  constructor(root?: string) {
    this.root = resolveRoot(root);
  }

  dir(id: string): string {
    return `${this.root}/${checkContainerId(id)}`;
  }

  /**
   * Where a container without a mount namespace has its rootfs bound, in tsrun's namespace:
   * outside the container's folder, so that no recursive removal of the folder can reach the
   * rootfs through it.
   */
  chrootMountPath(id: string): string {
    return `${this.root}/.chroot/${checkContainerId(id)}`;
  }

  fifoPath(id: string): string {
    return `${this.dir(id)}/${FIFO_FILE}`;
  }

  /** Makes the container's directory; it must not exist yet (that is how ids stay unique). */
  createDir(id: string): string {
    const dir = this.dir(id);
    try {
      nodeFs().mkdirSync(this.root, { recursive: true, mode: 0o711 });
    } catch (e) {
      throw SysError.fromNode('mkdir', this.root, e);
    }
    try {
      makeDir(dir, 0o711);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ContainerExistsError(id);
      throw SysError.fromNode('mkdir', dir, e);
    }
    return dir;
  }

  exists(id: string): boolean {
    return pathExists(this.dir(id));
  }

  /** Loads a container's record; a folder without a readable state.json does not count. */
  load(id: string): ContainerRecord {
    const file = `${this.dir(id)}/${STATE_FILE}`;
    let text: string;
    try {
      text = readText(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ContainerNotExistError(id);
      throw SysError.fromNode('read', file, e);
    }
    let rec: ContainerRecord;
    try {
      rec = JSON.parse(text) as ContainerRecord;
    } catch (e) {
      throw new TsrunError(`${file}: corrupt state: ${(e as Error).message}`);
    }
    if (typeof rec !== 'object' || rec === null || !('recordVersion' in rec)) throw new ForeignStateError(`${file}: not a tsrun container (another runtime's state)`);
    if (rec.recordVersion !== RECORD_VERSION) throw new TsrunError(`${file}: state written by an incompatible tsrun (version ${rec.recordVersion})`);
    return rec;
  }

  /** Writes state.json atomically: a temporary file in the same folder, then rename. */
  save(rec: Omit<ContainerRecord, 'recordVersion'>): void {
    const dir = this.dir(rec.id);
    writeFileAtomic(`${dir}/${STATE_FILE}`, JSON.stringify({ recordVersion: RECORD_VERSION, ...rec }));
  }

  /** Removes the container's folder: usually just state.json and the lock, else all it holds. */
  remove(id: string): void {
    const dir = this.dir(id);
    try {
      // Three calls, where a recursive rm would list the folder first (docs/performance.md).
      unlinkPath(`${dir}/${STATE_FILE}`);
      unlinkPath(`${dir}/${LOCK_FILE}`);
      removeDir(dir);
    } catch {
      nodeFs().rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Ids of every folder under the root (whether or not it holds a loadable container). */
  ids(): string[] {
    try {
      return nodeFs().readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name)
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw SysError.fromNode('readdir', this.root, e);
    }
  }

  /**
   * Takes the container's lock, runs fn, releases it. The lock is a file created with O_EXCL that
   * names its holder (pid and start time); a lock whose holder is gone is stale and taken over.
   */
  async withLock<T>(id: string, fn: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
    const lock = `${this.dir(id)}/${LOCK_FILE}`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = tryLock(lock);
      if (got === 'ok') break;
      if (got === 'nodir') throw new ContainerNotExistError(id);
      if (Date.now() > deadline) throw new TsrunError(`container ${id} is locked by another tsrun process (${got})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    try {
      return await fn();
    } finally {
      try {
        unlinkPath(lock);
      } catch {
        /* the folder may be gone: delete removes it while holding the lock */
      }
    }
  }
}

function tryLock(lock: string): 'ok' | 'nodir' | string {
  const self = readProcStat(process.pid);
  try {
    writeFileWith(lock, `${process.pid} ${self?.starttime ?? 0}`, O.WRONLY | O.CREAT | O.EXCL, 0o600);
    return 'ok';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'nodir';
    if (code !== 'EEXIST') throw SysError.fromNode('create lock', lock, e);
  }
  let holder = '';
  let age = 0;
  try {
    holder = readText(lock);
    age = Date.now() - nodeFs().statSync(lock).mtimeMs;
  } catch {
    return 'retry';
  }
  const [pid, start] = holder.split(' ').map(Number);
  // A holder that died must not block forever; nor must a lock a killed tsrun left empty (it
  // writes its pid right after creating the file, so an empty lock a second old is stale).
  if (holder === '' ? age > 1000 : !isSameLiveProcess(pid!, start!)) {
    try {
      unlinkPath(lock);
    } catch {
      /* someone else took it over first */
    }
    return 'retry';
  }
  return holder === '' ? 'a lock being written' : `pid ${pid}`;
}

/** Writes a file atomically (temp file in the same folder + rename). */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  writeThenRename(`${path}.tmp-${process.pid}`, path, data, O.TRUNC, mode, 'write');
}

/**
 * Writes the pid file the way runc does: the decimal pid with no newline (containerd and
 * runtime-tools parse the raw bytes as a number), into
 * `.<name>` beside it with O_EXCL, then renamed into place. A relative path is the caller's cwd's.
 */
export function writePidFile(path: string, pid: number): void {
  const abs = path.startsWith('/') ? path : absolutePath(path);
  const slash = abs.lastIndexOf('/');
  writeThenRename(`${abs.slice(0, slash)}/.${abs.slice(slash + 1)}`, abs, String(pid), O.EXCL, 0o666, 'write pid file');
}

/**
 * data into tmp (created, with `flags` added: O_TRUNC or O_EXCL), renamed onto path; on failure
 * tmp is removed and the error names op and path.
 */
function writeThenRename(tmp: string, path: string, data: string, flags: number, mode: number, op: string): void {
  try {
    writeFileWith(tmp, data, O.WRONLY | O.CREAT | flags, mode);
    renamePath(tmp, path);
  } catch (e) {
    try {
      unlinkPath(tmp);
    } catch {
      /* not there: the write failed before making it */
    }
    throw SysError.fromNode(op, path, e);
  }
}
