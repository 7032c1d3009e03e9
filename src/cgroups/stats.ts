/**
 * Container statistics in the shape of runc's `events --stats` data (runc types/events.go), read
 * from the cgroup files. Counters that do not fit a double (v2 "max" is 2^64-1) are bigints;
 * `statsToJSON` prints them exactly and drops the fields runc's JSON tags mark omitempty.
 */
import { SysError } from '../errors.js';
import { errCode, type CgroupFs } from './fs.js';

export type U64 = number | bigint;

export const MAX_U64 = 18446744073709551615n;

export interface MemoryEntry {
  limit: U64;
  usage: U64;
  max: U64;
  failcnt: U64;
}

export interface BlkioEntry {
  major: U64;
  minor: U64;
  op: string;
  value: U64;
}

export interface HugetlbEntry {
  usage: U64;
  max: U64;
  failcnt: U64;
}

export interface Stats {
  cpu: {
    usage: { total: U64; percpu: U64[]; percpu_kernel: U64[]; percpu_user: U64[]; kernel: U64; user: U64 };
    throttling: { periods: U64; throttledPeriods: U64; throttledTime: U64 };
  };
  cpuset: {
    cpus: number[];
    cpu_exclusive: U64;
    mems: number[];
    mem_hardwall: U64;
    mem_exclusive: U64;
    memory_migrate: U64;
    memory_spread_page: U64;
    memory_spread_slab: U64;
    memory_pressure: U64;
    sched_load_balance: U64;
    sched_relax_domain_level: number;
  };
  memory: {
    cache: U64;
    usage: MemoryEntry;
    swap: MemoryEntry;
    kernel: MemoryEntry;
    kernelTCP: MemoryEntry;
    raw: Record<string, U64>;
  };
  pids: { current: U64; limit: U64 };
  blkio: {
    ioServiceBytesRecursive: BlkioEntry[];
    ioServicedRecursive: BlkioEntry[];
    ioQueueRecursive: BlkioEntry[];
    ioServiceTimeRecursive: BlkioEntry[];
    ioWaitTimeRecursive: BlkioEntry[];
    ioMergedRecursive: BlkioEntry[];
    ioTimeRecursive: BlkioEntry[];
    sectorsRecursive: BlkioEntry[];
  };
  hugetlb: Record<string, HugetlbEntry>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

const mem = (): MemoryEntry => ({ limit: 0, usage: 0, max: 0, failcnt: 0 });

export function emptyStats(): Stats {
  return {
    cpu: {
      usage: { total: 0, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 0, user: 0 },
      throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 },
    },
    cpuset: {
      cpus: [], cpu_exclusive: 0, mems: [], mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0,
      memory_spread_page: 0, memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
    },
    memory: { cache: 0, usage: mem(), swap: mem(), kernel: mem(), kernelTCP: mem(), raw: {} },
    pids: { current: 0, limit: 0 },
    blkio: {
      ioServiceBytesRecursive: [], ioServicedRecursive: [], ioQueueRecursive: [], ioServiceTimeRecursive: [],
      ioWaitTimeRecursive: [], ioMergedRecursive: [], ioTimeRecursive: [], sectorsRecursive: [],
    },
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** "123" -> 123, "max" -> 2^64-1, big values -> bigint. */
export function parseU64(s: string, what = 'value'): U64 {
  const t = s.trim();
  if (t === 'max') return MAX_U64;
  if (!/^-?\d+$/.test(t)) throw new SysError('cgroup: parse', what, undefined, `not a number: ${JSON.stringify(t)}`);
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : BigInt(t);
}

export function addU64(a: U64, b: U64): U64 {
  if (typeof a === 'number' && typeof b === 'number' && Number.isSafeInteger(a + b)) return a + b;
  return BigInt(a) + BigInt(b);
}

export function mulU64(a: U64, k: number): U64 {
  if (typeof a === 'number' && Number.isSafeInteger(a * k)) return a * k;
  return BigInt(a) * BigInt(k);
}

/** Reads a file for stats: undefined when absent. */
export function readStat(fs: CgroupFs, path: string): string | undefined {
  try {
    return fs.readFile(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return undefined;
    throw SysError.fromNode('cgroup: read', path, err);
  }
}

export function readU64(fs: CgroupFs, path: string): U64 | undefined {
  const t = readStat(fs, path);
  return t === undefined ? undefined : parseU64(t, path);
}

/** "key value" lines -> map. */
export function parseKeyValues(text: string, what: string): Record<string, U64> {
  const out: Record<string, U64> = {};
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 2) continue;
    out[f[0]!] = parseU64(f[1]!, what);
  }
  return out;
}

/** "0-3,5" -> [0, 1, 2, 3, 5] */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}

/** "hugepages-2048kB" -> "2MB" (runc's HugePageSizes naming). */
export function hugePageSizeName(dirName: string): string | undefined {
  const m = /^hugepages-(\d+)kB$/.exec(dirName);
  if (!m) return undefined;
  const kb = Number(m[1]);
  if (kb >= 1 << 20) return `${kb >> 20}GB`;
  if (kb >= 1 << 10) return `${kb >> 10}MB`;
  return `${kb}KB`;
}

/** The host's huge page sizes ("2MB", "1GB"), from /sys/kernel/mm/hugepages. */
export function hostHugePageSizes(fs: CgroupFs, dir = '/sys/kernel/mm/hugepages'): string[] {
  try {
    return fs.readdir(dir).map((e) => hugePageSizeName(e.name)).filter((s): s is string => !!s);
  } catch {
    return [];
  }
}

type Json = null | boolean | number | string | bigint | Json[] | { [k: string]: Json };

const isZero = (v: unknown) => v === 0 || v === 0n || v === '' || (Array.isArray(v) && v.length === 0);

/** runc's omitempty tags: key path -> fields dropped when zero/empty. */
const OMIT: Record<string, string[]> = {
  'cpu.usage': ['total', 'percpu', 'percpu_kernel', 'percpu_user'],
  'cpu.throttling': ['periods', 'throttledPeriods', 'throttledTime'],
  cpuset: ['cpus', 'mems'],
  memory: ['cache'],
  'memory.usage': ['usage', 'max'],
  'memory.swap': ['usage', 'max'],
  'memory.kernel': ['usage', 'max'],
  'memory.kernelTCP': ['usage', 'max'],
  pids: ['current', 'limit'],
  blkio: ['ioServiceBytesRecursive', 'ioServicedRecursive', 'ioQueueRecursive', 'ioServiceTimeRecursive',
    'ioWaitTimeRecursive', 'ioMergedRecursive', 'ioTimeRecursive', 'sectorsRecursive'],
};

function prune(v: unknown, path: string): Json {
  if (Array.isArray(v)) return v.map((x) => prune(x, path.endsWith('Recursive') ? 'blkioEntry' : path));
  if (v && typeof v === 'object') {
    const drop = path === 'blkioEntry' ? ['major', 'minor', 'op', 'value'] : path.startsWith('hugetlb.') ? ['usage', 'max'] : OMIT[path] ?? [];
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      if (drop.includes(k) && isZero(x)) continue;
      if (path === 'memory' && k === 'raw' && Object.keys(x as object).length === 0) continue;
      out[k] = prune(x, path ? `${path}.${k}` : k);
    }
    return out;
  }
  return v as Json;
}

function stringify(v: Json): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stringify).join(',')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${stringify(x)}`).join(',')}}`;
}

/** The stats as runc prints them (omitempty applied, exact 64-bit integers). */
export function statsToJSON(stats: Stats): string {
  return stringify(prune(stats, ''));
}

/** One `events` line: {"type":"stats","id":"...","data":{...}}. */
export function eventJSON(type: string, id: string, data?: Stats): string {
  return `{"type":${JSON.stringify(type)},"id":${JSON.stringify(id)}${data ? `,"data":${statsToJSON(data)}` : ''}}`;
}
