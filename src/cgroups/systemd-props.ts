/**
 * What the systemd driver asks systemd to own, as D-Bus unit properties (a(sv) entries): the
 * transient unit's own properties, and `linux.resources` converted the way runc's
 * libcontainer/cgroups/systemd (v1.go genV1ResourcesProperties, v2.go genV2ResourcesProperties,
 * common.go addCpuQuota/addCpuset, devices/systemd.go) converts them. Pure functions: the
 * connection and the files are elsewhere (systemd-manager.ts). Everything else is written
 * straight into the unit's cgroup files afterwards by the cgroupfs managers, as runc does.
 */
import { ConfigError } from '../errors.js';
import type { Variant } from './dbus/marshal.js';
import { sharesToWeight, memorySwapToV2 } from './convert.js';
import { containerDeviceRules, DeviceEmulator, type DeviceRule } from './devices-rules.js';
import type { LinuxResources } from './types.js';

export type UnitProperty = [string, Variant];

/** systemd's USEC_INFINITY / "infinity" of its uint64 limits. */
export const INFINITY = (1n << 64n) - 1n;
/** The kernel's default CFS period (runc's defCPUQuotaPeriod). */
const DEFAULT_CPU_PERIOD = 100_000;

const prop = (name: string, sig: string, value: unknown): UnitProperty => [name, { sig, value }];
/** A spec limit as systemd's uint64: -1 is infinity. */
const u64 = (n: number): bigint => (n < 0 ? INFINITY : BigInt(n));

/** What a transient unit is started with (runc's Apply): before any resource. */
export function unitProperties(o: { unit: string; slice: string; pid?: number; description: string }): UnitProperty[] {
  const props: UnitProperty[] = [prop('Description', 's', o.description)];
  if (o.unit.endsWith('.slice')) {
    // A slice's parent is named with Wants= (a slice cannot be in a Slice=); it holds no PIDs.
    props.push(prop('Wants', 'as', [o.slice]));
  } else {
    props.push(prop('Slice', 's', o.slice), prop('Delegate', 'b', true));
    if (o.pid !== undefined) props.push(prop('PIDs', 'au', [o.pid]));
  }
  // As runc: accounting on, so that the controllers are enabled down to the unit, like the
  // cgroupfs driver has them; and no implicit dependencies (the unit outlives no shutdown order).
  props.push(
    prop('MemoryAccounting', 'b', true),
    prop('CPUAccounting', 'b', true),
    prop('IOAccounting', 'b', true),
    prop('TasksAccounting', 'b', true),
    prop('DefaultDependencies', 'b', false),
  );
  return props;
}

/**
 * runc's addCpuQuota: CPUQuotaPerSecUSec is quota per second of CPU time, rounded up to 10 ms
 * (systemd keeps it as a whole percentage); a quota of -1 (or a period alone) is infinity.
 */
export function cpuQuotaProperties(quota: number | undefined, period: number | undefined, systemdVersion: number): UnitProperty[] {
  const q = quota ?? 0;
  const p = period ?? 0;
  const props: UnitProperty[] = [];
  if (p !== 0 && systemdVersion >= 242) props.push(prop('CPUQuotaPeriodUSec', 't', BigInt(p)));
  if (q === 0 && p === 0) return props;
  let perSec = INFINITY;
  if (q > 0) {
    perSec = (BigInt(q) * 1_000_000n) / BigInt(p || DEFAULT_CPU_PERIOD);
    if (perSec % 10_000n !== 0n) perSec = (perSec / 10_000n + 1n) * 10_000n;
  }
  props.push(prop('CPUQuotaPerSecUSec', 't', perSec));
  return props;
}

/**
 * runc's RangeToBits: a cpuset list ("0-3,8") as systemd's AllowedCPUs byte array, byte i
 * holding CPUs 8i..8i+7 (bit j = CPU 8i+j); at least one byte.
 */
export function rangeToBits(list: string, field = 'linux.resources.cpu.cpus'): number[] {
  const bytes: number[] = [];
  const set = (n: number) => {
    const i = n >> 3;
    while (bytes.length <= i) bytes.push(0);
    bytes[i]! |= 1 << (n & 7);
  };
  for (const part of list.trim().split(',')) {
    const r = part.trim();
    if (r === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(r);
    if (!m) throw new ConfigError(`${field}: invalid cpuset list ${JSON.stringify(list)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to >= 1 << 16) throw new ConfigError(`${field}: invalid range ${JSON.stringify(r)} in ${JSON.stringify(list)}`);
    for (let n = from; n <= to; n++) set(n);
  }
  return bytes.length ? bytes : [0];
}

/** runc's addCpuset: AllowedCPUs/AllowedMemoryNodes, known to systemd from v244 on. */
export function cpusetProperties(cpus: string | undefined, mems: string | undefined, systemdVersion: number): UnitProperty[] {
  if (systemdVersion < 244) return [];
  const props: UnitProperty[] = [];
  if (cpus) props.push(prop('AllowedCPUs', 'ay', rangeToBits(cpus)));
  if (mems) props.push(prop('AllowedMemoryNodes', 'ay', rangeToBits(mems, 'linux.resources.cpu.mems')));
  return props;
}

/** /proc/devices as (type, major) -> group name ("char-pts"), for a rule with any minor. */
export type DeviceGroups = (type: 'c' | 'b', major: number) => string | undefined;

export function parseProcDevices(text: string): DeviceGroups {
  const groups = new Map<string, string>();
  let type: 'c' | 'b' | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('Character devices:')) type = 'c';
    else if (line.startsWith('Block devices:')) type = 'b';
    else {
      const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
      if (m && type && !groups.has(`${type}${m[1]}`)) groups.set(`${type}${m[1]}`, m[2]!);
    }
  }
  return (t, major) => groups.get(`${t}${major}`);
}

/**
 * runc's devices/systemd.go: DevicePolicy=strict with a DeviceAllow per allowed rule (a deny-list
 * can only be expressed as allow-all, or else a temporary deny-all that the cgroup's own device
 * filter then corrects). `warn` gets what cannot be said to systemd.
 */
export function deviceProperties(rules: readonly DeviceRule[], groups: DeviceGroups, warn: (msg: string) => void = () => undefined): UnitProperty[] {
  const emu = DeviceEmulator.of(rules);
  if (emu.defaultAllow) {
    if (emu.exceptions.size === 0) return [prop('DevicePolicy', 's', 'auto'), prop('DeviceAllow', 'a(ss)', [])];
    warn('systemd does not support deny-list device rules: a temporary deny-all rule applies until the device filter is written');
    return [prop('DevicePolicy', 's', 'strict'), prop('DeviceAllow', 'a(ss)', [])];
  }
  const allow: [string, string][] = [];
  for (const r of emu.rules()) {
    if (!r.allow || r.type === 'a') continue;
    const kind = r.type === 'b' ? 'block' : 'char';
    let path: string | undefined;
    if (r.major < 0) path = `${kind}-*`;
    else if (r.minor < 0) {
      const name = groups(r.type, r.major);
      if (name) path = `${kind}-${name}`;
      else warn(`device ${r.type} ${r.major}:* is in no /proc/devices group: not given to systemd`);
    } else path = `/dev/${kind}/${r.major}:${r.minor}`;
    if (path) allow.push([path, r.access]);
  }
  // DeviceAllow=[] first empties the list systemd had (an update replaces it).
  return [prop('DevicePolicy', 's', 'strict'), prop('DeviceAllow', 'a(ss)', []), prop('DeviceAllow', 'a(ss)', allow)];
}

/** runc's unifiedResToSystemdProps: the unified keys that systemd owns. */
function unifiedProperties(unified: Record<string, string>, systemdVersion: number): UnitProperty[] {
  const props: UnitProperty[] = [];
  const limit = (key: string, v: string): bigint => {
    const s = v.trim();
    if (s === 'max') return INFINITY;
    if (!/^\d+$/.test(s)) throw new ConfigError(`linux.resources.unified[${JSON.stringify(key)}]: invalid value ${JSON.stringify(v)}`);
    return BigInt(s);
  };
  const mem: Record<string, string> = { 'memory.min': 'MemoryMin', 'memory.low': 'MemoryLow', 'memory.high': 'MemoryHigh', 'memory.max': 'MemoryMax', 'memory.swap.max': 'MemorySwapMax' };
  for (const [key, v] of Object.entries(unified)) {
    if (mem[key]) props.push(prop(mem[key], 't', limit(key, v)));
    else if (key === 'pids.max') props.push(prop('TasksMax', 't', limit(key, v)));
    else if (key === 'cpu.weight') props.push(prop('CPUWeight', 't', limit(key, v)));
    else if (key === 'cpu.max') {
      const [q = 'max', p] = v.trim().split(/\s+/);
      const period = p === undefined ? 0 : Number(limit(key, p));
      props.push(...cpuQuotaProperties(q === 'max' ? -1 : Number(limit(key, q)), period, systemdVersion));
    } else if (key === 'cpuset.cpus' || key === 'cpuset.mems') {
      props.push(...(key === 'cpuset.cpus' ? cpusetProperties(v, undefined, systemdVersion) : cpusetProperties(undefined, v, systemdVersion)));
    }
  }
  return props;
}

export interface ResourceOptions {
  systemdVersion: number;
  /** /proc/devices groups (default: none known). */
  groups?: DeviceGroups;
  warn?: (msg: string) => void;
  /** update: only what the request names; no device properties unless it has devices. */
  update?: boolean;
}

/** runc's genV2ResourcesProperties: devices, memory, CPUWeight, CPU quota, TasksMax, cpuset, unified. */
export function v2ResourceProperties(res: LinuxResources, o: ResourceOptions): UnitProperty[] {
  const props: UnitProperty[] = [];
  if (!o.update || res.devices) props.push(...deviceProperties(containerDeviceRules(res.devices), o.groups ?? (() => undefined), o.warn));
  const m = res.memory;
  if (m?.limit) props.push(prop('MemoryMax', 't', u64(m.limit)));
  if (m?.reservation) props.push(prop('MemoryLow', 't', u64(m.reservation)));
  const swap = memorySwapToV2(m?.swap ?? 0, m?.limit ?? 0);
  if (swap !== 0) props.push(prop('MemorySwapMax', 't', u64(swap)));
  const c = res.cpu;
  const weight = sharesToWeight(c?.shares ?? 0);
  if (weight) props.push(prop('CPUWeight', 't', BigInt(weight)));
  props.push(...cpuQuotaProperties(c?.quota ?? undefined, c?.period ?? undefined, o.systemdVersion));
  const pids = res.pids?.limit;
  if (pids !== undefined && (pids > 0 || pids === -1)) props.push(prop('TasksMax', 't', u64(pids)));
  props.push(...cpusetProperties(c?.cpus, c?.mems, o.systemdVersion));
  if (res.unified) props.push(...unifiedProperties(res.unified, o.systemdVersion));
  return props;
}

/** runc's genV1ResourcesProperties: devices, MemoryLimit, CPUShares, CPU quota, BlockIOWeight, TasksMax, cpuset. */
export function v1ResourceProperties(res: LinuxResources, o: ResourceOptions): UnitProperty[] {
  const props: UnitProperty[] = [];
  if (!o.update || res.devices) props.push(...deviceProperties(containerDeviceRules(res.devices), o.groups ?? (() => undefined), o.warn));
  if (res.memory?.limit) props.push(prop('MemoryLimit', 't', u64(res.memory.limit)));
  const c = res.cpu;
  if (c?.shares) props.push(prop('CPUShares', 't', BigInt(c.shares)));
  props.push(...cpuQuotaProperties(c?.quota ?? undefined, c?.period ?? undefined, o.systemdVersion));
  if (res.blockIO?.weight) props.push(prop('BlockIOWeight', 't', BigInt(res.blockIO.weight)));
  const pids = res.pids?.limit;
  if (pids !== undefined && (pids > 0 || pids === -1)) props.push(prop('TasksMax', 't', u64(pids)));
  props.push(...cpusetProperties(c?.cpus, c?.mems, o.systemdVersion));
  return props;
}

/** runc's systemdVersionAtoi: "252.33-1~deb12u1" or "v245" -> 252, 245; 0 when unreadable. */
export function parseSystemdVersion(v: string): number {
  const m = /^v?(\d+)/.exec(v.trim().replace(/^"|"$/g, ''));
  return m ? Number(m[1]) : 0;
}
