/** Statistics from a cgroup v2 directory (runc's fs2 stat*), in the v1-compatible shape. */
import type { CgroupFs } from '../fs.js';
import {
  MAX_U64, addU64, mulU64, parseKeyValues, parseU64, readStat, readU64,
  type BlkioEntry, type MemoryEntry, type Stats,
} from '../stats.js';

export function cpuStatsV2(dir: string, fs: CgroupFs, st: Stats): void {
  const text = readStat(fs, `${dir}/cpu.stat`);
  if (text === undefined) return;
  const kv = parseKeyValues(text, `${dir}/cpu.stat`);
  st.cpu.usage.total = mulU64(kv.usage_usec ?? 0, 1000);
  st.cpu.usage.user = mulU64(kv.user_usec ?? 0, 1000);
  st.cpu.usage.kernel = mulU64(kv.system_usec ?? 0, 1000);
  st.cpu.throttling.periods = kv.nr_periods ?? 0;
  st.cpu.throttling.throttledPeriods = kv.nr_throttled ?? 0;
  st.cpu.throttling.throttledTime = mulU64(kv.throttled_usec ?? 0, 1000);
}

function memData(dir: string, fs: CgroupFs, prefix: string): MemoryEntry | undefined {
  const usage = readU64(fs, `${dir}/${prefix}.current`);
  if (usage === undefined) return undefined;
  return {
    limit: readU64(fs, `${dir}/${prefix}.max`) ?? 0,
    usage,
    max: readU64(fs, `${dir}/${prefix}.peak`) ?? 0,
    failcnt: 0,
  };
}

export function memoryStatsV2(dir: string, fs: CgroupFs, st: Stats): void {
  const text = readStat(fs, `${dir}/memory.stat`);
  if (text === undefined) return;
  st.memory.raw = parseKeyValues(text, `${dir}/memory.stat`);
  st.memory.cache = st.memory.raw.file ?? 0;
  const usage = memData(dir, fs, 'memory');
  if (!usage) return;
  const events = readStat(fs, `${dir}/memory.events`);
  if (events !== undefined) usage.failcnt = parseKeyValues(events, `${dir}/memory.events`).max ?? 0;
  st.memory.usage = usage;
  // v1 reports swap as memory+swap; so does runc on v2.
  const swap = memData(dir, fs, 'memory.swap') ?? { limit: 0, usage: 0, max: 0, failcnt: 0 };
  st.memory.swap = {
    limit: swap.limit === MAX_U64 ? MAX_U64 : addU64(swap.limit, usage.limit),
    usage: addU64(swap.usage, usage.usage),
    max: 0,
    failcnt: 0,
  };
}

export function pidsStatsV2(dir: string, fs: CgroupFs, st: Stats): void {
  st.pids.current = readU64(fs, `${dir}/pids.current`) ?? 0;
  const max = readStat(fs, `${dir}/pids.max`)?.trim();
  st.pids.limit = max === undefined || max === 'max' ? 0 : parseU64(max);
}

/** io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." -> v1-named Read/Write entries. */
export function ioStatsV2(dir: string, fs: CgroupFs, st: Stats): void {
  const text = readStat(fs, `${dir}/io.stat`);
  if (text === undefined) return;
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!dev) continue;
    const major = parseU64(dev[1]!);
    const minor = parseU64(dev[2]!);
    for (const item of f.slice(1)) {
      const [k, v] = item.split('=');
      if (v === undefined) continue;
      const table = k === 'rbytes' || k === 'wbytes' ? bytes : k === 'rios' || k === 'wios' ? ios : undefined;
      if (!table) continue;
      table.push({ major, minor, op: k!.startsWith('r') ? 'Read' : 'Write', value: parseU64(v) });
    }
  }
  st.blkio.ioServiceBytesRecursive = bytes;
  st.blkio.ioServicedRecursive = ios;
}

export function hugetlbStatsV2(dir: string, fs: CgroupFs, sizes: string[], st: Stats): void {
  for (const size of sizes) {
    const usage = readU64(fs, `${dir}/hugetlb.${size}.current`);
    if (usage === undefined) continue;
    const events = readStat(fs, `${dir}/hugetlb.${size}.events`);
    st.hugetlb[size] = {
      usage,
      max: 0,
      failcnt: events === undefined ? 0 : parseKeyValues(events, `${dir}/hugetlb.${size}.events`).max ?? 0,
    };
  }
}

/** memory.events "oom_kill N". */
export function oomKillCountV2(dir: string, fs: CgroupFs): number {
  const text = readStat(fs, `${dir}/memory.events`);
  if (text === undefined) return 0;
  return Number(parseKeyValues(text, `${dir}/memory.events`).oom_kill ?? 0);
}
