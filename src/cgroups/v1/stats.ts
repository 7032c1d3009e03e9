/** Statistics from v1 hierarchies (runc's fs/*.go GetStats). */
import type { CgroupFs } from '../fs.js';
import {
  mulU64, parseCpuList, parseKeyValues, parseU64, readStat, readU64,
  type BlkioEntry, type MemoryEntry, type Stats,
} from '../stats.js';

const NS_PER_TICK = 1e9 / 100; // USER_HZ is 100 on Linux

export function cpuacctStats(dir: string, fs: CgroupFs, st: Stats): void {
  const u = st.cpu.usage;
  u.total = readU64(fs, `${dir}/cpuacct.usage`) ?? 0;
  const percpu = readStat(fs, `${dir}/cpuacct.usage_percpu`);
  if (percpu !== undefined) u.percpu = percpu.trim().split(/\s+/).filter(Boolean).map((v) => parseU64(v));
  const all = readStat(fs, `${dir}/cpuacct.usage_all`);
  if (all !== undefined) {
    for (const line of all.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length !== 3) continue;
      u.percpu_user.push(parseU64(f[1]!));
      u.percpu_kernel.push(parseU64(f[2]!));
    }
  }
  const stat = readStat(fs, `${dir}/cpuacct.stat`);
  if (stat !== undefined) {
    const kv = parseKeyValues(stat, `${dir}/cpuacct.stat`);
    u.user = mulU64(kv.user ?? 0, NS_PER_TICK);
    u.kernel = mulU64(kv.system ?? 0, NS_PER_TICK);
  }
}

export function cpuStats(dir: string, fs: CgroupFs, st: Stats): void {
  const text = readStat(fs, `${dir}/cpu.stat`);
  if (text === undefined) return;
  const kv = parseKeyValues(text, `${dir}/cpu.stat`);
  st.cpu.throttling.periods = kv.nr_periods ?? 0;
  st.cpu.throttling.throttledPeriods = kv.nr_throttled ?? 0;
  st.cpu.throttling.throttledTime = kv.throttled_time ?? 0;
}

export function cpusetStats(dir: string, fs: CgroupFs, st: Stats): void {
  const c = st.cpuset;
  const cpus = readStat(fs, `${dir}/cpuset.cpus`);
  if (cpus === undefined) return;
  c.cpus = parseCpuList(cpus);
  c.mems = parseCpuList(readStat(fs, `${dir}/cpuset.mems`) ?? '');
  const n = (f: string) => readU64(fs, `${dir}/cpuset.${f}`) ?? 0;
  c.cpu_exclusive = n('cpu_exclusive');
  c.mem_hardwall = n('mem_hardwall');
  c.mem_exclusive = n('mem_exclusive');
  c.memory_migrate = n('memory_migrate');
  c.memory_spread_page = n('memory_spread_page');
  c.memory_spread_slab = n('memory_spread_slab');
  c.memory_pressure = n('memory_pressure');
  c.sched_load_balance = n('sched_load_balance');
  c.sched_relax_domain_level = Number(readStat(fs, `${dir}/cpuset.sched_relax_domain_level`)?.trim() ?? 0);
}

function memoryEntry(dir: string, fs: CgroupFs, prefix: string): MemoryEntry {
  return {
    limit: readU64(fs, `${dir}/${prefix}.limit_in_bytes`) ?? 0,
    usage: readU64(fs, `${dir}/${prefix}.usage_in_bytes`) ?? 0,
    max: readU64(fs, `${dir}/${prefix}.max_usage_in_bytes`) ?? 0,
    failcnt: readU64(fs, `${dir}/${prefix}.failcnt`) ?? 0,
  };
}

export function memoryStats(dir: string, fs: CgroupFs, st: Stats): void {
  const text = readStat(fs, `${dir}/memory.stat`);
  if (text === undefined) return;
  st.memory.raw = parseKeyValues(text, `${dir}/memory.stat`);
  st.memory.cache = st.memory.raw.cache ?? 0;
  st.memory.usage = memoryEntry(dir, fs, 'memory');
  st.memory.swap = memoryEntry(dir, fs, 'memory.memsw');
  st.memory.kernel = memoryEntry(dir, fs, 'memory.kmem');
  st.memory.kernelTCP = memoryEntry(dir, fs, 'memory.kmem.tcp');
}

export function pidsStats(dir: string, fs: CgroupFs, st: Stats): void {
  st.pids.current = readU64(fs, `${dir}/pids.current`) ?? 0;
  const max = readStat(fs, `${dir}/pids.max`)?.trim();
  st.pids.limit = max === undefined || max === 'max' ? 0 : parseU64(max);
}

/** "8:0 Read 123" lines (and "Total N"). */
export function parseBlkioFile(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/[\s:]+/).filter(Boolean);
    if (f.length < 3) continue; // "Total N" and blank lines
    const [major, minor] = [parseU64(f[0]!), parseU64(f[1]!)];
    if (f.length === 4) out.push({ major, minor, op: f[2]!, value: parseU64(f[3]!) });
    else out.push({ major, minor, op: '', value: parseU64(f[2]!) });
  }
  return out;
}

/** runc's order: BFQ recursive files, CFQ recursive, throttle recursive, throttle. */
export function blkioStats(dir: string, fs: CgroupFs, st: Stats): void {
  const groups: Array<[string, string]> = [
    ['blkio.bfq.io_serviced_recursive', 'blkio.bfq.io_service_bytes_recursive'],
    ['blkio.io_serviced_recursive', 'blkio.io_service_bytes_recursive'],
    ['blkio.throttle.io_serviced_recursive', 'blkio.throttle.io_service_bytes_recursive'],
    ['blkio.throttle.io_serviced', 'blkio.throttle.io_service_bytes'],
  ];
  for (const [serviced, bytes] of groups) {
    const a = readStat(fs, `${dir}/${serviced}`);
    if (a === undefined) continue;
    const entries = parseBlkioFile(a);
    const b = readStat(fs, `${dir}/${bytes}`);
    st.blkio.ioServicedRecursive = entries;
    st.blkio.ioServiceBytesRecursive = b === undefined ? [] : parseBlkioFile(b);
    // An empty first group (e.g. BFQ with no I/O yet) falls through to the next, as in runc.
    if (entries.length > 0) return;
  }
}

export function hugetlbStatsV1(dir: string, fs: CgroupFs, sizes: string[], st: Stats): void {
  for (const size of sizes) {
    const usage = readU64(fs, `${dir}/hugetlb.${size}.usage_in_bytes`);
    if (usage === undefined) continue;
    st.hugetlb[size] = {
      usage,
      max: readU64(fs, `${dir}/hugetlb.${size}.max_usage_in_bytes`) ?? 0,
      failcnt: readU64(fs, `${dir}/hugetlb.${size}.failcnt`) ?? 0,
    };
  }
}

/** v1 OOM kills: memory.oom_control has "oom_kill N" since Linux 4.13. */
export function oomKillCountV1(dir: string, fs: CgroupFs): number {
  const text = readStat(fs, `${dir}/memory.oom_control`);
  if (text === undefined) return 0;
  return Number(parseKeyValues(text, `${dir}/memory.oom_control`).oom_kill ?? 0);
}
