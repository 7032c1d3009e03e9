/**
 * The CgroupManager interface and what the v1 and v2 managers share: creating the directories
 * (remembering which ones this manager made), destroying only those (deepest first, the
 * container's own sub-cgroups included, retrying EBUSY briefly), reading pids recursively,
 * signalling every process, watching OOM kills, and the description stored in state.json.
 */
import { ConfigError, SysError, UnsupportedError } from '../errors.js';
import { ownDirs, type CgroupState } from './state.js';
import { cgroupNotDelegated } from './delegation.js';
import type { ApplyOptions } from './controller.js';
import type { CgroupMode } from './detect.js';
import { errCode, readCg, showPath, sleepSync, writeCg, type CgroupFs } from './fs.js';
import { removeCgroupDirs, type RemoveOptions } from './remove.js';
import { climbs, relativeUnder } from './path.js';
import type { Stats } from './stats.js';
import type { CgroupWrite, LinuxResources } from './types.js';

export { checkCgroupState, isCgroupState, type CgroupState } from './state.js';

export type FreezerState = 'THAWED' | 'FREEZING' | 'FROZEN';

export type SetOptions = ApplyOptions;

export interface CgroupManager {
  readonly mode: CgroupMode;
  /** Controller -> directory (v1, plus "" for the unified directory in hybrid); v2: {"": dir}. */
  paths(): Record<string, string>;
  /** mkdir every needed directory (v2: and enable the controllers down the path). */
  create(): void;
  /** Moves pid into the cgroup (every v1 hierarchy, or the v2 leaf). */
  apply(pid: number): void;
  /**
   * Where a process joins this cgroup by itself (the executor: Op.JOIN_CGROUP): each v1
   * hierarchy's `tasks` file, and the cgroup2 directory (v2, or hybrid's unified tree).
   */
  joinTargets(): { tasks: string[]; unified?: string };
  /** Writes the resources; returns the writes made, in order. */
  setResources(res: LinuxResources, opts?: SetOptions): CgroupWrite[];
  freeze(): void;
  thaw(): void;
  freezerState(): FreezerState;
  isFrozen(): boolean;
  /** Throws when the cgroup is frozen or freezing: a process joining it would stop there. */
  checkNotFrozen(): void;
  /** Every pid in the cgroup and its descendants. */
  pids(): number[];
  /** Sends signal to every process of the cgroup (kill --all); returns the pids signalled. */
  killAll(signal: NodeJS.Signals | number): number[];
  stats(): Stats;
  /** OOM kills so far (v1 memory.oom_control / v2 memory.events "oom_kill"). */
  oomKillCount(): number;
  /** Polls the OOM kill counter; calls onOom with the new total when it grows. Returns stop(). */
  watchOom(onOom: (total: number) => void, intervalMs?: number): () => void;
  /** Does the container's cgroup directory exist? */
  exists(): boolean;
  /**
   * Why this process could not make or use the container's directories (not delegated to its
   * user: rootless), or undefined when it can. Looks only; makes nothing.
   */
  notDelegated(): string | undefined;
  /**
   * Removes the container's own cgroup directories that create() made (with `found`, those it
   * found there too: delete), with the sub-cgroups below them; (unless `parents`) never a level above the
   * container's, even one create() made: runc leaves those too, and another container may be
   * making its own cgroup below one at that very moment. `parents` is for undoing a create that
   * failed: the levels it made go too when nothing else is below them. A cgroup that tasks still
   * keep busy is retried for about a second; with `wait: false` the EBUSY error comes at once.
   */
  destroy(opts?: RemoveOptions): void;
  /** What to store in state.json; `loadManager(json)` rebuilds the manager. */
  toJSON(): CgroupState;
  /**
   * The driver-neutral forms `create`, `update` and `delete` use (the systemd driver talks to
   * systemd in them): start makes the cgroup, with firstPid in it where the driver needs a
   * process to make one (a systemd scope); cgroupfs: create(), the pid joins later (apply).
   */
  start(firstPid: number): Promise<void>;
  /** setResources, after what the driver owns (systemd: the unit's properties). */
  set(res: LinuxResources, opts?: SetOptions): Promise<CgroupWrite[]>;
  /** destroy, after the driver let go (systemd: the unit stopped). */
  remove(opts?: RemoveOptions): Promise<void>;
}

export abstract class BaseManager implements CgroupManager {
  abstract readonly mode: CgroupMode;
  constructor(
    protected readonly fs: CgroupFs,
    protected readonly state: CgroupState,
  ) {}

  abstract paths(): Record<string, string>;
  abstract create(): void;
  abstract apply(pid: number): void;
  abstract joinTargets(): { tasks: string[]; unified?: string };
  abstract setResources(res: LinuxResources, opts?: SetOptions): CgroupWrite[];
  abstract freeze(): void;
  abstract thaw(): void;
  abstract freezerState(): FreezerState;
  abstract stats(): Stats;
  abstract oomKillCount(): number;
  /** The directory whose cgroup.procs (recursively) lists the container's processes. */
  protected abstract procsDir(): string | undefined;

  isFrozen(): boolean {
    try {
      return this.freezerState() === 'FROZEN';
    } catch {
      return false;
    }
  }

  checkNotFrozen(): void {
    let state: FreezerState;
    try {
      state = this.freezerState();
    } catch (err) {
      if (err instanceof UnsupportedError) return; // no freezer on this host: nothing can freeze the init
      throw err;
    }
    if (state === 'THAWED') return;
    const dir = this.mode === 'v2' ? this.paths()[''] : this.paths().freezer;
    const file = this.mode === 'v2' ? 'cgroup.freeze 1' : `freezer.state ${state}`;
    throw new ConfigError(
      `cgroup: ${showPath(dir ?? '')} is ${state === 'FROZEN' ? 'frozen' : 'freezing'} (${file}): the container's init would stop on joining it; thaw it or use another linux.cgroupsPath`,
    );
  }

  exists(): boolean {
    const d = this.procsDir();
    return d !== undefined && this.fs.exists(d);
  }

  notDelegated(): string | undefined {
    return cgroupNotDelegated(ownDirs(this.state));
  }

  toJSON(): CgroupState {
    return JSON.parse(JSON.stringify(this.state)) as CgroupState;
  }

  async start(_firstPid: number): Promise<void> {
    this.create();
  }

  async set(res: LinuxResources, opts?: SetOptions): Promise<CgroupWrite[]> {
    return this.setResources(res, opts);
  }

  async remove(opts?: RemoveOptions): Promise<void> {
    this.destroy(opts);
  }

  /** mkdir -p below mountPoint, recording what was created. Returns the levels below the mount. */
  protected mkdirp(dir: string, mountPoint: string): string[] {
    const rel = relativeUnder(mountPoint, dir);
    if (climbs(rel)) throw new ConfigError(`cgroup: ${dir} is not under ${mountPoint}`);
    // A level can vanish between our look at it and the mkdir below it (a failed create of
    // another container undoing what it made, an admin's rmdir): start again from the top.
    for (let attempt = 1; ; attempt++) {
      try {
        return this.mkdirLevels(rel, mountPoint);
      } catch (err) {
        if (attempt >= 5 || !(err instanceof SysError) || err.errno !== 'ENOENT') throw err;
      }
    }
  }

  private mkdirLevels(rel: string, mountPoint: string): string[] {
    const levels: string[] = [];
    let cur = mountPoint;
    for (const part of rel ? rel.split('/') : []) levels.push((cur = `${cur}/${part}`));
    if (levels.length === 0) return levels;
    // A Set, not created.includes(): a deep cgroupsPath makes thousands of levels.
    const made = new Set(this.state.created);
    // Usually the levels above the container's exist (a manager's parent) and its own is new:
    // one mkdir, without looking at the levels above first (a missing one fails it: ENOENT).
    if (this.makeLevel(levels[levels.length - 1]!, made, true)) return levels;
    for (let i = 0; i < levels.length; i++) {
      // A stat for the levels above, no failing mkdir (its error costs Node more than the call).
      if (i < levels.length - 1 && this.fs.isDir(levels[i]!)) continue;
      this.makeLevel(levels[i]!, made, false);
    }
    return levels;
  }

  /**
   * mkdir of one level, remembered in state.created when this call made it; an existing
   * directory is fine. `tentative`: false, not an error, when a level above is missing or a file.
   */
  private makeLevel(dir: string, made: Set<string>, tentative: boolean): boolean {
    try {
      this.fs.mkdir(dir);
      if (!made.has(dir)) {
        made.add(dir);
        this.state.created.push(dir);
      }
      return true;
    } catch (err) {
      // A level above missing (ENOENT), or one that is a file (ENOTDIR): the walk from the top says which.
      if (tentative && (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR')) return false;
      if (errCode(err) !== 'EEXIST') throw SysError.fromNode('cgroup: mkdir', dir, err);
      // A control file ("cgroup.procs", "memory.max") named as a level would turn every later
      // mkdir and write into ENOTDIR: say which field is wrong instead.
      if (!this.fs.isDir(dir)) throw new ConfigError(`linux.cgroupsPath: ${showPath(dir)} is a file, not a cgroup`);
      return true;
    }
  }

  /** Writes a pid to cgroup.procs, retrying EINVAL (a task still being created) a few times. */
  protected writeProcs(dir: string, pid: number): void {
    const path = `${dir}/cgroup.procs`;
    for (let i = 0; ; i++) {
      try {
        this.fs.writeFile(path, String(pid));
        return;
      } catch (err) {
        if (errCode(err) === 'EINVAL' && i < 5) {
          sleepSync(30);
          continue;
        }
        throw SysError.fromNode(`cgroup: write ${JSON.stringify(String(pid))} to`, path, err);
      }
    }
  }

  private listProcs(dir: string, out: Set<number>): void {
    let text: string;
    try {
      text = this.fs.readFile(`${dir}/cgroup.procs`);
    } catch (err) {
      if (errCode(err) === 'ENOENT') return;
      throw SysError.fromNode('cgroup: read', `${dir}/cgroup.procs`, err);
    }
    for (const l of text.split('\n')) if (l.trim()) out.add(Number(l));
    for (const e of this.fs.readdir(dir)) if (e.isDir) this.listProcs(`${dir}/${e.name}`, out);
  }

  pids(): number[] {
    const dir = this.procsDir();
    const out = new Set<number>();
    if (dir !== undefined) this.listProcs(dir, out);
    return [...out];
  }

  /** Kills with cgroup.kill when the kernel has it (v2, SIGKILL); see killAll. */
  protected killFast(_signal: NodeJS.Signals | number): boolean {
    return false;
  }

  killAll(signal: NodeJS.Signals | number): number[] {
    const before = this.pids();
    if (this.killFast(signal)) return before;
    const wasFrozen = this.isFrozen();
    let froze = false;
    try {
      if (!wasFrozen) {
        this.freeze();
        froze = true;
      }
    } catch {
      /* no freezer: signal anyway (a process may fork meanwhile) */
    }
    const pids = this.pids();
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch (err) {
        if (errCode(err) !== 'ESRCH') throw SysError.fromNode('kill', String(pid), err);
      }
    }
    const isKill = signal === 'SIGKILL' || signal === 9;
    if (froze || (wasFrozen && isKill)) this.thaw();
    return pids;
  }

  watchOom(onOom: (total: number) => void, intervalMs = 200): () => void {
    let last = this.oomKillCount();
    const timer = setInterval(() => {
      let n: number;
      try {
        n = this.oomKillCount();
      } catch {
        return;
      }
      if (n > last) {
        last = n;
        onOom(n);
      }
    }, intervalMs);
    return () => clearInterval(timer);
  }

  destroy(opts: RemoveOptions = {}): void {
    removeCgroupDirs(this.fs, this.state, opts);
  }

  protected readState(path: string): string {
    return readCg(this.fs, path).trim();
  }

  protected write(path: string, value: string): void {
    writeCg(this.fs, path, value);
  }
}
