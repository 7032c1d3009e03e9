/**
 * tsrun's cgroup layer. Typical use by `create`:
 *
 *   const cg = createManager({ id, cgroupsPath: spec.linux?.cgroupsPath });
 *   cg.create();                                  // mkdir, remembering what it made
 *   cg.setResources(spec.linux?.resources ?? {}, { deviceNodes: spec.linux?.devices });
 *   cg.apply(initPid);                            // before create returns
 *   record.cgroup = cg.toJSON();                  // into state.json
 *
 * and later `loadManager(record.cgroup)` for pause/resume/update/ps/events/kill --all/delete.
 * Code outside src/cgroups imports this module, never the files behind it, but for three entries
 * of it that load no manager, which the frequent commands import from their own files: the
 * compiled Bun program splits code by file, so importing them from here would load every
 * controller, the eBPF device filter and the stats readers with them:
 *   - frozen.ts, isFrozenStored: `state` and `list` (paused or not, from one file read);
 *   - remove.ts, removeContainerCgroup and cgroupWasFound: `delete` (the manager's destroy, from the record);
 *   - warmup.ts, warmAttachLock: `exec` and `create` (the kernel's slow first attach, started early).
 */
import { ConfigError, UnsupportedError } from '../errors.js';
import { detectHost, type CgroupLayout } from './detect.js';
import type { DeviceFilterAttacher } from './ebpf/attach.js';
import { hostCgroupFs, type CgroupFs } from './fs.js';
import { checkCgroupState, type CgroupManager, type CgroupState } from './manager.js';
import { resolveCgroupPaths, type ProcCgroup } from './path.js';
import type { SystemdRecord } from './state.js';
import { assertSystemdRunning, parseSystemdCgroupsPath } from './systemd.js';
import { SystemdManager, unitCgroupState } from './systemd-manager.js';
import { V1Manager } from './v1/manager.js';
import { V2Manager } from './v2/manager.js';

export type { CgroupManager, CgroupState, FreezerState, SetOptions } from './manager.js';
export type { CgroupFs, DirEntry, FsOp } from './fs.js';
export { hostCgroupFs, RecordingFs } from './fs.js';
export type { CgroupLayout, CgroupMode, CgroupMount, V1Hierarchy } from './detect.js';
export { detectFromMountinfo, detectFromRoot, detectHost, parseMountinfo, v1Hierarchies } from './detect.js';
export type { CgroupPaths, ProcCgroup } from './path.js';
export { cleanPath, parseProcCgroup, readProcSelfCgroup, resolveCgroupPaths } from './path.js';
export { assertSystemdRunning, expandSlice, parseSystemdCgroupsPath, SYSTEMD_NOT_RUNNING, type SystemdUnit } from './systemd.js';
export type { Stats, U64 } from './stats.js';
export { eventJSON, statsToJSON, emptyStats } from './stats.js';
export type { DeviceRule } from './devices-rules.js';
export { containerDeviceRules, DeviceEmulator, ruleFromSpec, ruleString } from './devices-rules.js';
export { DEFAULT_ALLOWED_DEVICES } from './default-devices.js';
export { buildDeviceFilter, type DeviceFilter } from './ebpf/program.js';
export { bpfDeviceFilterAttacher, attachedDeviceFilters, type DeviceFilterAttacher } from './ebpf/attach.js';
export { sharesToWeight, blkioWeightToIoWeight, memorySwapToV2 } from './convert.js';
export { cgroupNotDelegated } from './delegation.js';
export { isFrozenStored } from './frozen.js';
export { cgroupWasFound, removeContainerCgroup, type RemoveOptions } from './remove.js';
export { warmAttachLock } from './warmup.js';
export type * from './types.js';

export interface ManagerOptions {
  /** The container id (the default cgroupsPath). */
  id: string;
  /** `linux.cgroupsPath` as given. */
  cgroupsPath?: string;
  /** `--systemd-cgroup`: cgroupsPath is "slice:prefix:name". */
  systemd?: boolean;
  /** Default: detected from /proc/self/mountinfo. */
  layout?: CgroupLayout;
  /** Default: /proc/self/cgroup, read when the path is relative. */
  self?: ProcCgroup;
  fs?: CgroupFs;
  /** Default: /sys/kernel/mm/hugepages. */
  hugePageSizes?: string[];
  /** v2 device filter loader (default: bpf(2) through koffi). */
  attacher?: DeviceFilterAttacher;
}

export interface LoadOptions {
  fs?: CgroupFs;
  hugePageSizes?: string[];
  attacher?: DeviceFilterAttacher;
}

export function createManager(opts: ManagerOptions): CgroupManager {
  if (opts.systemd) return createSystemdManager(opts);
  const layout = opts.layout ?? detectHost();
  const p = resolveCgroupPaths({ cgroupsPath: opts.cgroupsPath, id: opts.id, layout, ...(opts.self ? { self: opts.self } : {}) });
  const mounts: Record<string, string> = {};
  for (const [c, h] of Object.entries(layout.v1)) mounts[c] = h.mountPoint;
  const state: CgroupState = {
    version: 1,
    driver: 'cgroupfs',
    mode: layout.mode,
    inner: p.inner,
    paths: p.v1,
    mounts,
    ...(p.unified !== undefined ? { unified: p.unified, unifiedMount: layout.unified!.mountPoint } : {}),
    created: [],
  };
  return loadManager(state, opts);
}

/** Same as loadManager. */
export function load(json: unknown, opts: LoadOptions = {}): CgroupManager {
  return loadManager(json, opts);
}

/** Rebuilds a manager from `toJSON()` (state.json). */
export function loadManager(json: unknown, opts: LoadOptions = {}): CgroupManager {
  const state = JSON.parse(JSON.stringify(checkCgroupState(json))) as CgroupState;
  if (state.systemd) {
    const s = state as CgroupState & { systemd: SystemdRecord };
    return new SystemdManager(s, filesManager(s, opts), () => filesManager(s, opts));
  }
  return filesManager(state, opts);
}

/**
 * The systemd driver's manager: the unit from cgroupsPath "slice:prefix:name" (a user's own
 * instance and user.slice when rootless, as runc), its directories known once start() asks systemd.
 */
function createSystemdManager(opts: ManagerOptions): CgroupManager {
  const user = (process.geteuid?.() ?? 0) !== 0;
  const unit = parseSystemdCgroupsPath(opts.cgroupsPath, opts.id, 'tsrun', user ? 'user.slice' : 'system.slice');
  assertSystemdRunning();
  const layout = opts.layout ?? detectHost();
  const base: CgroupState = { version: 1, driver: 'systemd', mode: layout.mode, inner: unit.path, paths: {}, mounts: {}, created: [] };
  for (const [c, h] of Object.entries(layout.v1)) base.mounts[c] = h.mountPoint;
  const state = { ...unitCgroupState(base, layout, '/', unit.path), systemd: { unit: unit.unit, slice: unit.slice, user, version: 0 } };
  const relocate = (managerCgroup: string) => {
    Object.assign(state, unitCgroupState(state, layout, managerCgroup, unit.path));
    return filesManager(state, opts);
  };
  return new SystemdManager(state, filesManager(state, opts), relocate);
}

/** The cgroupfs manager of a state's directories (shared, not copied: it records what it makes there). */
function filesManager(state: CgroupState, opts: LoadOptions): CgroupManager {
  const fs = opts.fs ?? hostCgroupFs;
  const extras = {
    ...(opts.hugePageSizes ? { hugePageSizes: opts.hugePageSizes } : {}),
    ...(opts.attacher ? { attacher: opts.attacher } : {}),
  };
  if (state.mode === 'v2') {
    if (!state.unified || !state.unifiedMount) throw new ConfigError('cgroup: the stored v2 cgroup has no directory');
    return new V2Manager(fs, state, extras);
  }
  return new V1Manager(fs, state, extras);
}
