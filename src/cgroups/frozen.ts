/**
 * Whether a container's stored cgroup is frozen, from one file read. Kept apart from the
 * managers so that `state` and `list` (which run often) load nothing else of src/cgroups.
 */
import { readText } from '../sys/file.js';

interface StoredCgroup {
  mode?: string;
  paths?: Record<string, string>;
  unified?: string;
}

function read(path: string): string | undefined {
  try {
    return readText(path).trim();
  } catch {
    return undefined;
  }
}

/** v1 and hybrid: the freezer hierarchy's freezer.state; v2: cgroup.freeze. */
export function isFrozenStored(stored: unknown): boolean {
  const s = stored as StoredCgroup | undefined;
  if (!s) return false;
  if (s.mode === 'v2') return s.unified !== undefined && read(`${s.unified}/cgroup.freeze`) === '1';
  const dir = s.paths?.freezer;
  return dir !== undefined && read(`${dir}/freezer.state`) === 'FROZEN';
}
