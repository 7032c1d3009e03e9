/**
 * The systemd cgroup driver (`--systemd-cgroup`): `linux.cgroupsPath` is "slice:prefix:name"
 * (runc's format; empty means ":tsrun:<id>", i.e. system.slice/tsrun-<id>.scope). Creating the
 * transient scope needs systemd as PID 1 over D-Bus; without it this is a clear error, the same
 * check systemd's sd_booted() makes (/run/systemd/system exists).
 */
import { existsSync } from 'node:fs';
import { ConfigError, UnsupportedError } from '../errors.js';

export const SYSTEMD_NOT_RUNNING = 'systemd cgroup driver: systemd is not running as PID 1';

export interface SystemdUnit {
  /** The parent slice, e.g. "system.slice". */
  slice: string;
  prefix: string;
  name: string;
  /** "<prefix>-<name>.scope", or name itself when it ends in ".slice". */
  unit: string;
  /** The unit's cgroup path, relative to the hierarchy root, e.g. "/system.slice/tsrun-x.scope". */
  path: string;
}

/** runc's ExpandSlice: "a-b.slice" -> "/a.slice/a-b.slice"; "-.slice" -> "/". */
export function expandSlice(slice: string): string {
  const suffix = '.slice';
  if (slice.length < suffix.length || !slice.endsWith(suffix) || slice.includes('/')) {
    throw new ConfigError(`linux.cgroupsPath: invalid slice name: ${slice}`);
  }
  const base = slice.slice(0, -suffix.length);
  if (base === '-') return '/';
  let path = '';
  let prefix = '';
  for (const component of base.split('-')) {
    if (component === '') throw new ConfigError(`linux.cgroupsPath: invalid slice name: ${slice}`);
    path += `/${prefix}${component}${suffix}`;
    prefix += `${component}-`;
  }
  return path;
}

/** runc's defaults: slice system.slice (user.slice for a user's own systemd), prefix the runtime's name, name the id. */
export function parseSystemdCgroupsPath(cgroupsPath: string | undefined, id: string, runtimeName = 'tsrun', defaultSlice = 'system.slice'): SystemdUnit {
  let slice = '';
  let prefix = runtimeName;
  let name = id;
  if (cgroupsPath) {
    const parts = cgroupsPath.split(':');
    if (parts.length !== 3) {
      throw new ConfigError(
        `linux.cgroupsPath: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got ${JSON.stringify(cgroupsPath)} instead`,
      );
    }
    [slice, prefix, name] = parts as [string, string, string];
  }
  if (!name) throw new ConfigError(`linux.cgroupsPath: the unit name is empty in ${JSON.stringify(cgroupsPath)}`);
  if (!slice) slice = defaultSlice;
  const unit = name.endsWith('.slice') ? name : `${prefix}-${name}.scope`;
  const parent = expandSlice(slice);
  const path = unit.endsWith('.slice') ? expandSlice(unit) : `${parent === '/' ? '' : parent}/${unit}`;
  return { slice, prefix, name, unit, path };
}

/** Throws unless systemd runs as PID 1 (sd_booted(): /run/systemd/system is a directory). */
export function assertSystemdRunning(exists: (p: string) => boolean = (p) => existsSync(p)): void {
  if (!exists('/run/systemd/system')) throw new UnsupportedError(SYSTEMD_NOT_RUNNING);
}
