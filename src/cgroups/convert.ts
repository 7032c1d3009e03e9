/**
 * v1-style spec values converted for cgroup v2, as runc (opencontainers/cgroups utils.go) and
 * crun convert them.
 */
import { ConfigError } from '../errors.js';

/**
 * cpu.shares [2, 262144] -> cpu.weight [1, 10000], linearly: 1 + ((shares - 2) * 9999) / 262142
 * (integer division), as runc 1.1 and crun 1.8 do. 0 means unset.
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  const s = Math.min(Math.max(shares, 2), 262144);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/** blkio weight [10, 1000] -> io.weight [1, 10000]: 1 + (weight - 10) * 9999 / 990. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  const w = Math.min(Math.max(weight, 10), 1000);
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

/**
 * The spec's swap is memory+swap; memory.swap.max is swap alone (runc's
 * ConvertMemorySwapToCgroupV2Value). Returns -1 for "max", 0 for unset.
 */
export function memorySwapToV2(swap: number, memory: number): number {
  if (memory === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (memory === -1) return swap;
  if (memory === 0) throw new ConfigError('linux.resources.memory.swap: unable to set swap limit without memory limit');
  if (memory < 0) throw new ConfigError(`linux.resources.memory.limit: invalid memory value: ${memory}`);
  if (swap < memory) throw new ConfigError('linux.resources.memory.swap: memory+swap limit should be >= memory limit');
  return swap - memory;
}

/** runc's numToStr for .max/.low files: -1 -> "max", 0 -> "" (do not write). */
export function v2Limit(n: number): string {
  if (n === 0) return '';
  if (n === -1) return 'max';
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}
