/**
 * v1 memory, as runc's fs/memory.go (plus kernel and kernelTCP, which crun writes and runc now
 * ignores): limit and swap (memsw = memory + swap) are written in the order the kernel accepts
 * (swap first when it grows above the current limit), then kernel, kernelTCP, useHierarchy,
 * reservation, disableOOMKiller, swappiness.
 */
import { ConfigError, SysError } from '../../errors.js';
import { CgroupWriter, int, isMinusOne, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

const LIMIT = 'memory.limit_in_bytes';
const SWAP = 'memory.memsw.limit_in_bytes';

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s.trim());
  return Number.isFinite(v) ? v : undefined;
}

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'memory');
  const m = res.memory;
  if (!m) return w.writes;
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;

  if (opts.update && m.checkBeforeUpdate && dir !== undefined) {
    const usage = num(w.read('memory.usage_in_bytes'));
    if (usage !== undefined) {
      if (swap > 0 && swap <= usage) throw new ConfigError(`${F}.memory.swap: rejecting memory+swap limit ${swap} <= usage ${usage}`);
      if (limit > 0 && limit <= usage) throw new ConfigError(`${F}.memory.limit: rejecting memory limit ${limit} <= usage ${usage}`);
    }
  }

  const setLimit = () => {
    if (limit === 0) return;
    try {
      w.set(`${F}.memory.limit`, LIMIT, int(`${F}.memory.limit`, limit), limit === -1);
    } catch (err) {
      if (err instanceof SysError && err.errno === 'EBUSY') {
        throw new SysError(
          `cgroup: write ${JSON.stringify(String(limit))} to`, w.path(LIMIT), 'EBUSY',
          `unable to set memory limit to ${limit} (current usage: ${w.read('memory.usage_in_bytes')?.trim()}, peak usage: ${w.read('memory.max_usage_in_bytes')?.trim()})`,
        );
      }
      throw err;
    }
  };
  const setSwap = () => {
    if (swap === 0) return;
    w.set(`${F}.memory.swap`, SWAP, int(`${F}.memory.swap`, swap), swap === -1);
  };

  // Unlimited memory without a swap value means unlimited swap too (if swap accounting is on).
  if (limit === -1 && swap === 0 && w.exists(SWAP)) swap = -1;
  if (limit !== 0 && swap !== 0 && dir !== undefined) {
    const cur = num(w.read(LIMIT));
    if (swap === -1 || (cur !== undefined && cur < swap)) {
      setSwap();
      setLimit();
    } else {
      setLimit();
      setSwap();
    }
  } else {
    setLimit();
    setSwap();
  }

  if (m.kernel !== undefined && m.kernel !== 0) {
    w.set(`${F}.memory.kernel`, 'memory.kmem.limit_in_bytes', int(`${F}.memory.kernel`, m.kernel), m.kernel === -1);
  }
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0) {
    w.set(`${F}.memory.kernelTCP`, 'memory.kmem.tcp.limit_in_bytes', int(`${F}.memory.kernelTCP`, m.kernelTCP), m.kernelTCP === -1);
  }
  if (m.useHierarchy !== undefined) {
    w.set(`${F}.memory.useHierarchy`, 'memory.use_hierarchy', m.useHierarchy ? '1' : '0', m.useHierarchy);
  }
  if (m.reservation !== undefined && m.reservation !== 0) {
    w.set(`${F}.memory.reservation`, 'memory.soft_limit_in_bytes', int(`${F}.memory.reservation`, m.reservation), m.reservation === -1);
  }
  if (m.disableOOMKiller) w.set(`${F}.memory.disableOOMKiller`, 'memory.oom_control', '1');
  if (m.swappiness !== undefined && !isMinusOne(m.swappiness)) {
    if (!Number.isInteger(m.swappiness) || m.swappiness < 0 || m.swappiness > 100) {
      throw new ConfigError(`${F}.memory.swappiness: invalid value ${m.swappiness}, the valid range is 0-100`);
    }
    w.set(`${F}.memory.swappiness`, 'memory.swappiness', String(m.swappiness));
  }
  return w.writes;
}
