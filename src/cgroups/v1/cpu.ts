/**
 * v1 cpu, as runc's fs/cpu.go: shares (read back: the kernel clamps), period, burst and quota
 * (a period or burst the kernel refuses with EINVAL before the quota is set is retried after
 * it), idle, then the realtime pair.
 */
import { ConfigError } from '../../errors.js';
import { CgroupWriter, int, type CgroupFs } from '../fs.js';
import { F, type ApplyOptions } from '../controller.js';
import type { CgroupWrite, LinuxResources } from '../types.js';

export function apply(res: LinuxResources, dir: string | undefined, fs: CgroupFs, _opts: ApplyOptions = {}): CgroupWrite[] {
  const w = new CgroupWriter(fs, dir, 'cpu');
  const c = res.cpu;
  if (!c) return w.writes;
  if (c.shares !== undefined && c.shares !== 0) {
    const f = `${F}.cpu.shares`;
    if (w.set(f, 'cpu.shares', int(f, c.shares), c.shares === 1024)) {
      const got = Number(w.read('cpu.shares')?.trim());
      if (Number.isFinite(got) && got !== c.shares) {
        throw new ConfigError(`${f}: the ${c.shares > got ? 'maximum' : 'minimum'} allowed cpu-shares is ${got}`);
      }
    }
  }
  const quota = c.quota ?? 0;
  // With a quota coming, a period or burst refused with EINVAL is retried after the quota.
  const deferrable = (field: string, file: string, v: string, isDefault: boolean): string | undefined => {
    if (quota === 0 || dir === undefined) {
      w.set(field, file, v, isDefault);
      return undefined;
    }
    const err = w.trySet(field, file, v);
    if (err && err.errno !== 'EINVAL') throw err;
    return err ? v : undefined;
  };
  let period: string | undefined;
  if (c.period !== undefined && c.period !== 0) {
    period = deferrable(`${F}.cpu.period`, 'cpu.cfs_period_us', int(`${F}.cpu.period`, c.period), c.period === 100000);
  }
  let burst: string | undefined;
  if (c.burst !== undefined) {
    burst = deferrable(`${F}.cpu.burst`, 'cpu.cfs_burst_us', int(`${F}.cpu.burst`, c.burst), c.burst === 0);
  }
  if (quota !== 0) {
    w.set(`${F}.cpu.quota`, 'cpu.cfs_quota_us', int(`${F}.cpu.quota`, quota), quota === -1);
    if (period !== undefined) w.set(`${F}.cpu.period`, 'cpu.cfs_period_us', period);
    if (burst !== undefined) w.set(`${F}.cpu.burst`, 'cpu.cfs_burst_us', burst);
  }
  if (c.idle !== undefined) w.set(`${F}.cpu.idle`, 'cpu.idle', int(`${F}.cpu.idle`, c.idle), c.idle === 0);
  if (c.realtimePeriod !== undefined && c.realtimePeriod !== 0) {
    w.set(`${F}.cpu.realtimePeriod`, 'cpu.rt_period_us', int(`${F}.cpu.realtimePeriod`, c.realtimePeriod));
  }
  if (c.realtimeRuntime !== undefined && c.realtimeRuntime !== 0) {
    w.set(`${F}.cpu.realtimeRuntime`, 'cpu.rt_runtime_us', int(`${F}.cpu.realtimeRuntime`, c.realtimeRuntime), c.realtimeRuntime === -1);
  }
  return w.writes;
}
