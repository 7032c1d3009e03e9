/**
 * v2 cpu, as runc's fs2/cpu.go: cpu.idle, cpu.weight (shares converted), cpu.max.burst (retried
 * after cpu.max when refused with EINVAL), cpu.max "QUOTA|max PERIOD" (period defaults to
 * 100000). Realtime scheduling has no v2 interface: a non-zero realtime value is an error.
 */
import { UnsupportedError } from '../../errors.js';
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import { sharesToWeight } from '../convert.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'cpu');
  const c = res.cpu;
  if (!c) return w.writes;
  for (const k of ['realtimeRuntime', 'realtimePeriod'] as const) {
    if (c[k] !== undefined && c[k] !== 0) {
      throw new UnsupportedError(`${F}.cpu.${k}: cannot apply: realtime group scheduling (cpu.rt_*) does not exist on cgroup v2`);
    }
  }
  if (c.idle !== undefined) w.set(`${F}.cpu.idle`, 'cpu.idle', int(`${F}.cpu.idle`, c.idle), c.idle === 0);
  if (c.shares !== undefined && c.shares !== 0) {
    int(`${F}.cpu.shares`, c.shares);
    w.set(`${F}.cpu.shares`, 'cpu.weight', String(sharesToWeight(c.shares)), c.shares === 1024);
  }
  const quota = c.quota ?? 0;
  const period = c.period ?? 0;
  let burst: string | undefined;
  if (c.burst !== undefined) {
    const v = int(`${F}.cpu.burst`, c.burst);
    if (quota === 0 || dir === undefined) w.set(`${F}.cpu.burst`, 'cpu.max.burst', v, c.burst === 0);
    else {
      const err = w.trySet(`${F}.cpu.burst`, 'cpu.max.burst', v);
      if (err && err.errno !== 'EINVAL') throw err;
      if (err) burst = v;
    }
  }
  if (quota !== 0 || period !== 0) {
    const q = quota > 0 ? int(`${F}.cpu.quota`, quota) : 'max';
    const p = period !== 0 ? int(`${F}.cpu.period`, period) : '100000';
    const field = quota !== 0 ? `${F}.cpu.quota` : `${F}.cpu.period`;
    w.set(field, 'cpu.max', `${q} ${p}`, q === 'max' && p === '100000');
    if (burst !== undefined) w.set(`${F}.cpu.burst`, 'cpu.max.burst', burst);
  }
  return w.writes;
}
