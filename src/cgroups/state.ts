/**
 * What state.json keeps of a container's cgroup (the manager's description), and its check: a
 * module of its own, so that `delete`, which removes the cgroup from this record alone, loads
 * neither the managers nor node:path.
 */
import { ConfigError } from '../errors.js';
import type { CgroupMode } from './detect.js';

/** The serialisable description of a manager (state.json "cgroup"). */
export interface CgroupState {
  version: 1;
  driver: 'cgroupfs' | 'systemd';
  /** The systemd driver's unit; the directories above are that unit's cgroup. */
  systemd?: SystemdRecord;
  mode: CgroupMode;
  /** The cleaned cgroupsPath (or the container id). */
  inner: string;
  /** v1 controller -> directory. */
  paths: Record<string, string>;
  /** v1 controller -> mount point (to create directories, and to bound destroy). */
  mounts: Record<string, string>;
  /** The cgroup2 directory: the container's cgroup (v2) or where it joins the unified tree (hybrid). */
  unified?: string;
  unifiedMount?: string;
  /** Directories this manager created, in creation order. */
  created: string[];
}

export interface SystemdRecord {
  /** "tsrun-<id>.scope", or a slice. */
  unit: string;
  /** The parent slice ("system.slice", "user.slice"). */
  slice: string;
  /** The user's systemd instance (rootless), reached over the session bus. */
  user: boolean;
  /** The manager's version at create (some properties need a minimum). */
  version: number;
}

/** x as a CgroupState, or the error for a state.json whose cgroup tsrun did not write. */
export function checkCgroupState(x: unknown): CgroupState {
  if (!isCgroupState(x)) throw new ConfigError('cgroup: the stored cgroup description is not one tsrun wrote');
  return x;
}

export function isCgroupState(x: unknown): x is CgroupState {
  const s = x as CgroupState;
  return !!s && s.version === 1 && (s.driver === 'cgroupfs' || (s.driver === 'systemd' && typeof s.systemd?.unit === 'string')) && (s.mode === 'v1' || s.mode === 'v2' || s.mode === 'hybrid')
    && typeof s.paths === 'object' && Array.isArray(s.created);
}

/** The container's own directories: each v1 hierarchy's, and the cgroup2 one. */
export function ownDirs(state: CgroupState): string[] {
  const dirs = new Set(Object.values(state.paths));
  if (state.unified) dirs.add(state.unified);
  return [...dirs];
}
