/**
 * The systemd cgroup driver (`--systemd-cgroup`), as runc's libcontainer/cgroups/systemd: the
 * container's cgroup is a transient scope (or a slice) that systemd makes and owns. start()
 * starts the unit with the container's first process in it and waits for the job; set() gives
 * systemd the properties it owns (memory, CPU, tasks, cpuset, devices) and then writes every
 * resource into the unit's cgroup files through the cgroupfs manager of the host's mode, as
 * runc does; remove() stops the unit. Everything else (freeze, ps, kill --all, stats) is the
 * cgroupfs manager's, on the unit's directories.
 * The D-Bus client (systemd-dbus.ts, dbus/) and the property conversion (systemd-props.ts) are
 * imported on first use: the cgroupfs driver never loads them.
 */
import { nodeFs } from '../sys/builtins.js';
import { warn } from '../log.js';
import { mark } from '../trace.js';
import type { CgroupLayout } from './detect.js';
import type { CgroupManager, CgroupState, FreezerState, SetOptions } from './manager.js';
import type { RemoveOptions } from './remove.js';
import type { SystemdRecord } from './state.js';
import type { Stats } from './stats.js';
import type { SystemdClient } from './systemd-dbus.js';
import type { CgroupWrite, LinuxResources } from './types.js';

/**
 * The unit's directories: each v1 hierarchy's, and the cgroup2 one, at managerCgroup (the
 * systemd instance's own cgroup, "/" for PID 1) + the unit's path.
 */
export function unitCgroupState(base: CgroupState, layout: CgroupLayout, managerCgroup: string, unitPath: string): CgroupState {
  const rel = `${managerCgroup === '/' ? '' : managerCgroup.replace(/\/$/, '')}${unitPath}`;
  const paths: Record<string, string> = {};
  for (const [c, h] of Object.entries(layout.v1)) paths[c] = `${h.mountPoint}${rel}`;
  return {
    ...base,
    paths,
    ...(layout.unified ? { unified: `${layout.unified.mountPoint}${rel}`, unifiedMount: layout.unified.mountPoint } : {}),
  };
}

export class SystemdManager implements CgroupManager {
  constructor(
    private readonly state: CgroupState & { systemd: SystemdRecord },
    /** The cgroupfs manager of the unit's directories, sharing this state. */
    private files: CgroupManager,
    /** Rebuilds `files` once start() knows where systemd put the unit. */
    private readonly relocate: (managerCgroup: string) => CgroupManager,
  ) {}

  get mode() {
    return this.files.mode;
  }

  get unit(): string {
    return this.state.systemd.unit;
  }

  /**
   * One connection from start() to the set() that follows it in create (a connection costs four
   * round trips: connect, authenticate, Hello, AddMatch); its socket does not keep the process
   * alive, so one left open is harmless.
   */
  private connection: Promise<SystemdClient> | undefined;

  private client(): Promise<SystemdClient> {
    this.connection ??= import('./systemd-dbus.js').then(({ SystemdClient, systemdAddresses }) => SystemdClient.connect(systemdAddresses(this.state.systemd.user)));
    return this.connection;
  }

  private disconnect(): void {
    const c = this.connection;
    this.connection = undefined;
    void c?.then((sd) => sd.close(), () => undefined);
  }

  async start(firstPid: number): Promise<void> {
    const { parseSystemdVersion, unitProperties } = await import('./systemd-props.js');
    const sd = await this.client();
    mark('dbus');
    let started = false;
    try {
      const { unit, slice } = this.state.systemd;
      const [version, managerCgroup] = await Promise.all([sd.managerProperty('Version'), sd.managerProperty('ControlGroup')]);
      this.state.systemd.version = parseSystemdVersion(String(version));
      const props = unitProperties({ unit, slice, pid: unit.endsWith('.scope') ? firstPid : undefined, description: `tsrun container ${unit}` });
      await sd.startTransientUnit(unit, props);
      mark('unit');
      started = true;
      this.files = this.relocate(String(managerCgroup || '/'));
      // The unit's directories are the container's own: delete removes them, create's check
      // for a populated cgroup does not look (the first process is in it already).
      for (const d of Object.values(this.paths())) if (!this.state.created.includes(d)) this.state.created.push(d);
      // Hierarchies systemd leaves alone (v1 cpuset, net_cls, ...) are made here; v2: the
      // controllers are enabled down to the unit, as runc's CreateCgroupPath does.
      this.files.create();
      if (!unit.endsWith('.scope')) this.files.apply(firstPid);
    } catch (e) {
      if (started) await sd.stopUnit(this.unit).catch(() => undefined);
      this.disconnect();
      throw e;
    }
  }

  async set(res: LinuxResources, opts?: SetOptions): Promise<CgroupWrite[]> {
    const { parseProcDevices, v1ResourceProperties, v2ResourceProperties } = await import('./systemd-props.js');
    const gen = this.mode === 'v2' ? v2ResourceProperties : v1ResourceProperties;
    const props = gen(res, { systemdVersion: this.state.systemd.version, groups: procDevices(parseProcDevices), warn, update: opts?.update === true });
    try {
      if (props.length) await (await this.client()).setUnitProperties(this.unit, props);
      mark('props');
    } finally {
      this.disconnect();
    }
    return this.files.setResources(res, opts);
  }

  async remove(opts?: RemoveOptions): Promise<void> {
    try {
      const result = await (await this.client()).stopUnit(this.unit);
      if (result !== undefined && result !== 'done') warn(`systemd cgroup driver: stop unit ${this.unit}: the job ended "${result}"; continuing`);
    } finally {
      this.disconnect();
    }
    // What systemd does not own (v1 hierarchies it does not manage) goes as with cgroupfs.
    this.files.destroy({ ...opts, found: true });
  }

  // What follows is the cgroupfs manager's, on the unit's directories.
  paths(): Record<string, string> {
    return this.files.paths();
  }
  create(): void {
    throw new Error('systemd cgroup driver: the unit is made by start(pid)');
  }
  apply(pid: number): void {
    this.files.apply(pid);
  }
  joinTargets(): { tasks: string[]; unified?: string } {
    return this.files.joinTargets();
  }
  setResources(res: LinuxResources, opts?: SetOptions): CgroupWrite[] {
    return this.files.setResources(res, opts);
  }
  freeze(): void {
    this.files.freeze();
  }
  thaw(): void {
    this.files.thaw();
  }
  freezerState(): FreezerState {
    return this.files.freezerState();
  }
  isFrozen(): boolean {
    return this.files.isFrozen();
  }
  checkNotFrozen(): void {
    this.files.checkNotFrozen();
  }
  pids(): number[] {
    return this.files.pids();
  }
  killAll(signal: NodeJS.Signals | number): number[] {
    return this.files.killAll(signal);
  }
  stats(): Stats {
    return this.files.stats();
  }
  oomKillCount(): number {
    return this.files.oomKillCount();
  }
  watchOom(onOom: (total: number) => void, intervalMs?: number): () => void {
    return this.files.watchOom(onOom, intervalMs);
  }
  exists(): boolean {
    return this.files.exists();
  }
  /** systemd delegates the unit to its caller (Delegate=yes), root or a user's own instance. */
  notDelegated(): string | undefined {
    return undefined;
  }
  destroy(opts?: RemoveOptions): void {
    this.files.destroy({ ...opts, found: true });
  }
  toJSON(): CgroupState {
    return JSON.parse(JSON.stringify(this.state)) as CgroupState;
  }
}

function procDevices(parse: typeof import('./systemd-props.js').parseProcDevices) {
  try {
    return parse(nodeFs().readFileSync('/proc/devices', 'utf8'));
  } catch {
    return () => undefined;
  }
}
