/**
 * Device cgroup rules: normalisation of the spec's entries, the full rule list a container gets,
 * and an emulator of the kernel's v1 device cgroup (as runc's devices emulator) that reduces any
 * rule sequence to a default policy plus non-overlapping exceptions. The v1 writer uses it to
 * compute the transition from the cgroup's current rules; the eBPF generator uses its result so
 * that v2 decisions equal v1 ones.
 */
import { compareText } from '../text-order.js';
import { ConfigError } from '../errors.js';
import { DEFAULT_ALLOWED_DEVICES } from './default-devices.js';
import type { LinuxDeviceCgroup, LinuxDeviceNode } from './types.js';

export type DeviceType = 'a' | 'c' | 'b';

export interface DeviceRule {
  allow: boolean;
  type: DeviceType;
  /** -1 = any */
  major: number;
  /** -1 = any */
  minor: number;
  /** a subset of "rwm" */
  access: string;
}

const ACCESS_ORDER = 'rwm';

export function normalizeAccess(access: string, field: string): string {
  for (const ch of access) {
    if (!ACCESS_ORDER.includes(ch)) throw new ConfigError(`${field}.access: invalid device access ${JSON.stringify(access)}`);
  }
  return [...ACCESS_ORDER].filter((c) => access.includes(c)).join('');
}

/** A spec entry as a rule: type defaults to "a", major/minor to any, access to "rwm". */
export function ruleFromSpec(d: LinuxDeviceCgroup, field: string): DeviceRule {
  const type = d.type ?? 'a';
  if (type !== 'a' && type !== 'c' && type !== 'b') throw new ConfigError(`${field}.type: invalid device type ${JSON.stringify(type)}`);
  const num = (v: number | null | undefined, what: string): number => {
    if (v === undefined || v === null || v === -1) return -1;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ConfigError(`${field}.${what}: invalid device number ${v}`);
    return v;
  };
  return {
    allow: !!d.allow,
    type,
    major: num(d.major, 'major'),
    minor: num(d.minor, 'minor'),
    access: normalizeAccess(d.access ?? 'rwm', field),
  };
}

/**
 * The rules a container's device cgroup gets, in order: the spec's `linux.resources.devices`,
 * then the default allowed devices, then rwm for each node in `nodes` (tsrun's lifecycle passes
 * none: like runc, it gives `linux.devices` nodes no implicit rule). The baseline is deny-all.
 */
export function containerDeviceRules(specRules: LinuxDeviceCgroup[] | undefined, nodes: LinuxDeviceNode[] = []): DeviceRule[] {
  const rules = (specRules ?? []).map((d, i) => ruleFromSpec(d, `linux.resources.devices[${i}]`));
  rules.push(...DEFAULT_ALLOWED_DEVICES.map((r) => ({ ...r })));
  nodes.forEach((n, i) => {
    const type = n.type === 'u' ? 'c' : n.type;
    if (type !== 'c' && type !== 'b') return; // fifos ("p") need no device cgroup rule
    rules.push(ruleFromSpec({ allow: true, type, major: n.major, minor: n.minor, access: 'rwm' }, `linux.devices[${i}]`));
  });
  return rules;
}

/** "c 1:3 rwm", "a *:* rwm" */
export function ruleString(r: Pick<DeviceRule, 'type' | 'major' | 'minor' | 'access'>): string {
  const n = (v: number) => (v < 0 ? '*' : String(v));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

function key(type: DeviceType, major: number, minor: number): string {
  return `${type} ${major} ${minor}`;
}

function union(a: string, b: string): string {
  return [...ACCESS_ORDER].filter((c) => a.includes(c) || b.includes(c)).join('');
}

function minus(a: string, b: string): string {
  return [...ACCESS_ORDER].filter((c) => a.includes(c) && !b.includes(c)).join('');
}

interface Exception {
  type: DeviceType;
  major: number;
  minor: number;
  access: string;
}

export class DeviceEmulator {
  /** true: everything is allowed except the exceptions (a "black-list"). */
  defaultAllow: boolean;
  /** In the order they were added, as the kernel keeps them (a merged access keeps its place). */
  readonly exceptions = new Map<string, Exception>();

  /** The baseline is deny-all (a "white-list"), as runc's. */
  constructor(defaultAllow = false) {
    this.defaultAllow = defaultAllow;
  }

  static of(rules: Iterable<DeviceRule>, defaultAllow = false): DeviceEmulator {
    const e = new DeviceEmulator(defaultAllow);
    for (const r of rules) e.apply(r);
    return e;
  }

  /** Applies one rule the way the kernel applies a write to devices.allow / devices.deny. */
  apply(rule: DeviceRule): void {
    if (rule.type === 'a') {
      // Any "a ..." write resets: allow-all or deny-all, no exceptions.
      this.defaultAllow = rule.allow;
      this.exceptions.clear();
      return;
    }
    const k = key(rule.type, rule.major, rule.minor);
    const cur = this.exceptions.get(k);
    if (rule.allow !== this.defaultAllow) {
      // adds (merges) an exception
      this.exceptions.set(k, { type: rule.type, major: rule.major, minor: rule.minor, access: union(cur?.access ?? '', rule.access) });
    } else if (cur) {
      const left = minus(cur.access, rule.access);
      if (left) cur.access = left;
      else this.exceptions.delete(k);
    }
  }

  /** Exceptions sorted by type, major, minor (wildcards first), for stable output. */
  sortedExceptions(): Exception[] {
    return [...this.exceptions.values()].sort(
      (a, b) => compareText(a.type, b.type) || a.major - b.major || a.minor - b.minor,
    );
  }

  /** The canonical rule list: the "a" reset then one rule per exception. */
  rules(): DeviceRule[] {
    return [
      { allow: this.defaultAllow, type: 'a', major: -1, minor: -1, access: 'rwm' },
      ...this.sortedExceptions().map((e) => ({ ...e, allow: !this.defaultAllow })),
    ];
  }

  /** Would the kernel allow `access` (one or more of r, w, m) on this device? */
  allows(type: 'c' | 'b', major: number, minor: number, access: string): boolean {
    const matches = (e: Exception) =>
      e.type === type && (e.major < 0 || e.major === major) && (e.minor < 0 || e.minor === minor);
    if (this.defaultAllow) {
      // black-list: denied if any exception overlaps any requested access
      return ![...this.exceptions.values()].some((e) => matches(e) && [...access].some((c) => e.access.includes(c)));
    }
    // white-list: allowed if one exception covers all requested access
    return [...this.exceptions.values()].some((e) => matches(e) && [...access].every((c) => e.access.includes(c)));
  }

  /**
   * The rules to write to turn a cgroup in this state into `target` (runc's Transition): a
   * disruptive "a" rule when the default policy differs or when this is a black-list (whose
   * exceptions devices.list cannot show), then removals, then additions. Additions go in the
   * order the target's rules made them: the kernel lists exceptions in the order they were
   * added, so devices.list shows the config's rules in the config's order (as crun writes them),
   * which is what runtime-tools reads back.
   */
  transition(target: DeviceEmulator): DeviceRule[] {
    const out: DeviceRule[] = [];
    let old = this.exceptions;
    if (this.defaultAllow || this.defaultAllow !== target.defaultAllow) {
      out.push({ allow: target.defaultAllow, type: 'a', major: -1, minor: -1, access: 'rwm' });
      old = new Map();
    }
    for (const [k, e] of old) {
      const dropped = minus(e.access, target.exceptions.get(k)?.access ?? '');
      if (dropped) out.push({ allow: target.defaultAllow, type: e.type, major: e.major, minor: e.minor, access: dropped });
    }
    for (const [k, e] of target.exceptions) {
      const gained = minus(e.access, old.get(k)?.access ?? '');
      if (gained) out.push({ allow: !target.defaultAllow, type: e.type, major: e.major, minor: e.minor, access: gained });
    }
    return out;
  }

  /** The state a v1 cgroup reports in devices.list ("a *:* rwm" alone means allow-all). */
  static fromDevicesList(text: string): DeviceEmulator {
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.includes('a *:* rwm')) return new DeviceEmulator(true);
    const e = new DeviceEmulator(false);
    for (const line of lines) {
      const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(line);
      if (!m) continue;
      const n = (s: string) => (s === '*' ? -1 : Number(s));
      e.apply({ allow: true, type: m[1] as DeviceType, major: n(m[2]!), minor: n(m[3]!), access: m[4]! });
    }
    return e;
  }
}
