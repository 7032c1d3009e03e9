/**
 * v2 memory, as runc's fs2/memory.go: memory.swap.max (swap converted: memory+swap minus memory),
 * memory.max, memory.low. checkBeforeUpdate rejects limits at or below memory.current. The v1-only
 * fields have no v2 file: as crun, asking for a non-default value of them is an error.
 */
import { ConfigError, UnsupportedError } from '../../errors.js';
import { CgroupWriter, isMinusOne, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import { memorySwapToV2, v2Limit } from '../convert.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

function noV2(field: string, what: string): UnsupportedError {
  return new UnsupportedError(`${F}.memory.${field}: cannot apply: ${what} does not exist on cgroup v2`);
}

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'memory');
  const m = res.memory;
  if (!m) return w.writes;
  if (m.kernel !== undefined && m.kernel !== 0 && m.kernel !== -1) throw noV2('kernel', 'a kernel memory limit (memory.kmem.limit_in_bytes)');
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0 && m.kernelTCP !== -1) throw noV2('kernelTCP', 'a kernel TCP memory limit (memory.kmem.tcp.limit_in_bytes)');
  if (m.swappiness !== undefined && !isMinusOne(m.swappiness)) throw noV2('swappiness', 'a per-cgroup swappiness (memory.swappiness)');
  if (m.disableOOMKiller) throw noV2('disableOOMKiller', 'disabling the OOM killer (memory.oom_control)');
  if (m.useHierarchy === false) throw noV2('useHierarchy', 'a non-hierarchical memory cgroup (v2 is always hierarchical)');

  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  const reservation = m.reservation ?? 0;
  if (limit === 0 && swap === 0 && reservation === 0) return w.writes;

  if (m.checkBeforeUpdate && (limit > 0 || swap > 0)) {
    const usage = Number(w.read('memory.current')?.trim());
    if (Number.isFinite(usage)) {
      if (swap > 0 && swap <= usage) throw new ConfigError(`${F}.memory.swap: rejecting memory+swap limit ${swap} <= usage ${usage}`);
      if (limit > 0 && limit <= usage) throw new ConfigError(`${F}.memory.limit: rejecting memory limit ${limit} <= usage ${usage}`);
    }
  }

  const swapV2 = memorySwapToV2(swap, limit);
  let swapStr = v2Limit(swapV2);
  if (swapStr === '' && swapV2 === 0 && swap > 0) swapStr = '0'; // memory == memory+swap: no swap
  if (swapStr !== '') {
    // Without swap accounting there is no memory.swap.max: "max" and "0" then ask for nothing.
    w.set(`${F}.memory.swap`, 'memory.swap.max', swapStr, swapStr === 'max' || swapStr === '0');
  }
  const lim = v2Limit(limit);
  if (lim !== '') w.set(`${F}.memory.limit`, 'memory.max', lim, lim === 'max');
  const low = v2Limit(reservation);
  if (low !== '') w.set(`${F}.memory.reservation`, 'memory.low', low, low === 'max');
  return w.writes;
}
