/**
 * Random JSON for the fuzz suite: a value model a little wider than what JSON.stringify writes
 * (number literals kept as text, so 1e400 and 18446744073709551615 reach JSON.parse as written;
 * objects with repeated keys), its serialiser, and generators of hostile strings, numbers and
 * whole documents.
 */
import type { Rng } from './prng.js';

/** A number written into the JSON text exactly as `text` (1e400, -0.0, 18446744073709551615). */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** An object whose JSON text repeats keys (JSON.parse keeps the last occurrence). */
export class DupKeys {
  constructor(readonly entries: Array<[string, Json]>) {}
}

export type Json = null | boolean | number | string | Json[] | JsonObject | RawNumber | DupKeys;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawNumber) && !(v instanceof DupKeys);
}

const RAW = '@@tsrun-fuzz-raw:';

/**
 * JSON text of a value; `indent` pretty-prints (as config.json files usually are). JSON.stringify
 * does the work, with the special values (RawNumber, DupKeys, 1e400, -0) written as placeholders
 * that are then replaced; a document nested too deep for it is written by slowText.
 */
export function toText(v: Json, indent = false): string {
  const raws: string[] = [];
  const replacer = (_k: string, x: unknown): unknown => {
    if (typeof x === 'number') {
      if (Number.isFinite(x) && !Object.is(x, -0)) return x;
      raws.push(numberText(x));
      return `${RAW}${raws.length - 1}@@`;
    }
    if (x instanceof RawNumber) {
      raws.push(x.text);
      return `${RAW}${raws.length - 1}@@`;
    }
    if (x instanceof DupKeys) {
      raws.push(`{${x.entries.map(([k, e]) => `${JSON.stringify(k)}:${toText(e)}`).join(',')}}`);
      return `${RAW}${raws.length - 1}@@`;
    }
    return x;
  };
  let text: string;
  try {
    text = JSON.stringify(v, replacer, indent ? 2 : undefined);
  } catch (e) {
    if (e instanceof RangeError) return slowText(v, indent);
    throw e;
  }
  return raws.length ? text.replace(/"@@tsrun-fuzz-raw:(\d+)@@"/g, (_m, i: string) => raws[Number(i)]!) : text;
}

/** toText without recursion, for documents nested deeper than JSON.stringify goes. */
function slowText(v: Json, indent: boolean): string {
  const out: string[] = [];
  // A work list of values to write and literal text to emit, in reverse order.
  const work: Array<{ v: Json; nl: string } | string> = [{ v, nl: indent ? '\n' : '' }];
  const sep = indent ? ': ' : ':';
  while (work.length) {
    const w = work.pop()!;
    if (typeof w === 'string') {
      out.push(w);
      continue;
    }
    const { v: x, nl } = w;
    const inner = indent ? (nl.length > 40 ? nl : `${nl}  `) : '';
    if (x === null || typeof x === 'boolean') out.push(String(x));
    else if (typeof x === 'number') out.push(numberText(x));
    else if (typeof x === 'string') out.push(JSON.stringify(x));
    else if (x instanceof RawNumber) out.push(x.text);
    else if (Array.isArray(x)) {
      if (x.length === 0) out.push('[]');
      else {
        out.push('[');
        work.push(`${nl}]`);
        for (let i = x.length - 1; i >= 0; i--) {
          work.push({ v: x[i]!, nl: inner });
          work.push(i ? `,${inner}` : inner);
        }
      }
    } else {
      const entries = x instanceof DupKeys ? x.entries : Object.entries(x);
      if (entries.length === 0) out.push('{}');
      else {
        out.push('{');
        work.push(`${nl}}`);
        for (let i = entries.length - 1; i >= 0; i--) {
          const [k, e] = entries[i]!;
          work.push({ v: e, nl: inner });
          work.push(`${i ? ',' : ''}${inner}${JSON.stringify(k)}${sep}`);
        }
      }
    }
  }
  return out.join('');
}

/** A number as JSON text that parses back to it: JSON.parse gives ±Infinity for 1e400 and -0 for "-0". */
function numberText(v: number): string {
  if (Number.isNaN(v)) return 'null';
  if (v === Infinity) return '1e400';
  if (v === -Infinity) return '-1e400';
  if (Object.is(v, -0)) return '-0';
  return JSON.stringify(v);
}

/** A deep copy (RawNumber and DupKeys are immutable leaves here and shared). Iterative. */
export function clone<T extends Json>(v: T): T {
  const copyOf = (x: Json): Json => (Array.isArray(x) ? new Array<Json>(x.length) : isObject(x) ? {} : x);
  const top = copyOf(v);
  const work: Array<[Json, Json]> = [[v, top]];
  while (work.length) {
    const [src, dst] = work.pop()!;
    if (Array.isArray(src)) {
      const d = dst as Json[];
      src.forEach((e, i) => {
        d[i] = copyOf(e);
        if (d[i] !== e) work.push([e, d[i]!]);
      });
    } else if (isObject(src)) {
      for (const [k, e] of Object.entries(src)) {
        const c = copyOf(e);
        defineKey(dst as JsonObject, k, c);
        if (c !== e) work.push([e, c]);
      }
    }
  }
  return top as T;
}

/** Roughly the JSON text length of v, counting no further than `cap` (documents must stay loadable). */
export function approxSize(v: Json, cap = Infinity): number {
  let n = 0;
  const work: Json[] = [v];
  while (work.length && n <= cap) {
    const x = work.pop()!;
    if (typeof x === 'string') n += x.length + 2;
    else if (Array.isArray(x)) {
      n += 2 + x.length;
      for (const e of x) work.push(e);
    } else if (isObject(x)) {
      for (const [k, e] of Object.entries(x)) {
        n += k.length + 4;
        work.push(e);
      }
    } else if (x instanceof DupKeys) {
      for (const [k, e] of x.entries) {
        n += k.length + 4;
        work.push(e);
      }
    } else n += 8;
  }
  return n;
}

/** Whether v nests containers `limit` deep or deeper (indenting such a document costs depth² bytes). */
export function nestsDeeper(v: Json, limit: number): boolean {
  const work: Array<[Json, number]> = [[v, 0]];
  while (work.length) {
    const [x, d] = work.pop()!;
    if (d >= limit) return true;
    if (Array.isArray(x)) for (const e of x) work.push([e, d + 1]);
    else if (isObject(x)) for (const e of Object.values(x)) work.push([e, d + 1]);
  }
  return false;
}

/** Pretty-printed (as most config.json files are) when asked, unless large or deep. */
export function docText(v: Json, pretty: boolean): string {
  return toText(v, pretty && approxSize(v, 100_000) < 100_000 && !nestsDeeper(v, 40));
}

/** Sets o[k] as an own data property, even for "__proto__". */
export function defineKey(o: JsonObject, k: string, v: Json): void {
  if (k !== '__proto__') {
    o[k] = v;
    return;
  }
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

// ---- strings ----------------------------------------------------------------------------------

/** Words the schema and the planner give a meaning to: enum values, option names, file names. */
export const KNOWN_WORDS = [
  'mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup', 'time', 'bind', 'rbind', 'ro', 'rw', 'nosuid',
  'nodev', 'noexec', 'remount', 'private', 'rprivate', 'shared', 'rslave', 'unbindable', 'tmpfs', 'proc',
  'sysfs', 'devpts', 'mqueue', 'cgroup2', 'none', 'idmap', 'rro', 'tmpcopyup', 'mode=755', 'size=65536k',
  'c', 'b', 'u', 'p', 'a', 'rwm', 'r', 'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_NOTIFY',
  'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_TRAP', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_CMP_NE',
  'SCMP_CMP_LT', 'SCMP_CMP_GE', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_MIPSEL64N32', 'CAP_SETPCAP', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE',
  'RLIMIT_NPROC', 'RLIMIT_STACK', 'RLIMIT_RTTIME', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_IDLE', 'MPOL_DEFAULT',
  'MPOL_PREFERRED', 'MPOL_INTERLEAVE', 'MPOL_F_NUMA_BALANCING', 'IOPRIO_CLASS_IDLE', 'SCHED_FLAG_RESET_ON_FORK', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X86',
  'SCMP_ARCH_AARCH64', 'SCMP_ARCH_SH', 'SCMP_CMP_EQ', 'SCMP_CMP_MASKED_EQ', 'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'read',
  'write', 'openat', 'clone', 'clone3', 'personality', 'not_a_syscall', 'CAP_SYS_ADMIN', 'CAP_KILL', 'CAP_CHOWN',
  'CAP_LAST_CAP', 'CAP_CHECKPOINT_RESTORE', 'RLIMIT_NOFILE', 'RLIMIT_CORE', 'RLIMIT_FOO', 'SCHED_FIFO',
  'SCHED_DEADLINE', 'SCHED_OTHER', 'IOPRIO_CLASS_RT', 'MPOL_BIND', 'MPOL_LOCAL', 'MPOL_F_STATIC_NODES',
  'MPOL_F_RELATIVE_NODES', 'LINUX', 'LINUX32', 'slave', 'monotonic', 'boottime', 'realtime', '2MB', '1GB', '64KB',
  '0-3', '0', '1', '0-1,3', 'max', 'cpu.weight', 'memory.max', 'io.max', 'cgroup.procs', 'cgroup.subtree_control',
  'pids.max', 'hugetlb.2MB.max', 'net.ipv4.ip_forward', 'kernel.shmmax', 'kernel.hostname', 'kernel.domainname',
  'fs.mqueue.msg_max', 'net/ipv4/ip_forward', 'eth0', 'lo', 'system.slice', 'system.slice:tsrun:c1', '1.0.0',
  '1.3.0', '0.9.0', '2.0.0', '1.0.0-rc1', 'PATH=/bin', 'HOME=/root', 'sh', '/bin/sh', 'true',
];

/** Path-shaped trouble: relative, climbing, doubled slashes, symlink-looking and proc paths. */
export const PATH_TRICKS = [
  '/', '', '.', '..', '../', '/..', '/../..', '/a/../../etc', '/proc/self/root/etc', '/proc/1/root', 'rootfs',
  'rootfs/../..', './rootfs', '//', '/dev', '/dev/', '/dev/../etc/passwd', '/dev/null', '/dev/pts/ptmx', '/dev/console',
  '/sys/fs/cgroup', '/proc', '/proc/sys/kernel/core_pattern', '/etc/passwd', 'etc/passwd', '/tmp//x', '/a/./b',
  '/a/b/', '/x/..', '/...', '/.../x', '/lnk', '/symlink/../..', '~/x', '/a\\..\\b', '/%2e%2e/', 'C:\\Windows',
  '/run/tsrun', '/dev/fd/0', '/proc/self/fd/3', '/proc/self/ns/net', '/proc/1/ns/user', '/var/run/netns/x',
  '/dev/../../..', '/sys/../proc', 'a/b', '/a:b', '/a b', '/a\tb',
];

const CONTROL = ['\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0085', '\u2028', '\u2029'];
const UNICODE = [
  'é', 'ß', 'Ω', '中文', '日本語', '한국어', 'عربى', '\u202e', '\u200b', '\ufeff', '\ufffd', '\uffff', '😀', '👩‍👩‍👧',
  '\ud800', '\udfff', '\udc00\ud800', 'ａ', 'İ', 'ǅ', '\u0301', 'Ⅻ',
];

export function randomString(rng: Rng): string {
  switch (rng.int(11)) {
    case 0:
      return '';
    case 1:
      return rng.pick(KNOWN_WORDS);
    case 2:
      return rng.pick(PATH_TRICKS);
    case 3: {
      // A known word or path with control characters spliced in.
      const base = rng.chance(0.5) ? rng.pick(KNOWN_WORDS) : rng.pick(PATH_TRICKS);
      const at = rng.int(base.length + 1);
      return base.slice(0, at) + rng.pick(CONTROL) + base.slice(at);
    }
    case 4:
      return rng.pick(UNICODE) + (rng.chance(0.5) ? rng.pick(KNOWN_WORDS) : '');
    case 5:
      return rng.chance(0.3) ? longString(rng) : rng.pick(['a', '/', 'x/']).repeat(rng.range(100, 1000));
    case 6: {
      // Printable ASCII soup.
      let s = '';
      for (let i = rng.size(40); i > 0; i--) s += String.fromCharCode(rng.range(0x20, 0x7e));
      return s;
    }
    case 7: {
      // Any code unit, lone surrogates included.
      let s = '';
      for (let i = rng.size(12); i > 0; i--) s += String.fromCharCode(rng.int(0x10000));
      return s;
    }
    case 8:
      return String(randomNumber(rng));
    case 9:
      return rng.pick(['/', '/x/']).concat(Array.from({ length: rng.range(1, 50) }, () => rng.pick(['..', '.', 'a', '', 'dev'])).join('/'));
    default:
      return rng.pick(KNOWN_WORDS) + rng.pick(['', '=', ',', ':', '/', ' ', '\u0000', '.', '..', '*', '%s%n', '$(id)', '`id`', ';']) + rng.pick(KNOWN_WORDS);
  }
}

/** A long string: up to 300 000 characters, sometimes with a trailing twist. */
export function longString(rng: Rng): string {
  const n = rng.pick([255, 256, 4095, 4096, 4097, 65536, 100_000]);
  const unit = rng.pick(['a', '/', '/a', '../', '\u0000', 'é', '😀', '0', ' ', '\n', 'x,']);
  let s = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  if (rng.chance(0.3)) s = (rng.chance(0.5) ? '/' : '') + s + rng.pick(['', '\u0000', 'x', '/..']);
  return s;
}

// ---- numbers ----------------------------------------------------------------------------------

const NUMBERS = [
  0, 1, -1, 2, 5, 6, 7, 10, 100, 255, 256, 420, 438, 511, 1000, 1001, -1000, -1001, 1024, 4095, 4096, 65535, 65536,
  0x7fffffff, 0x80000000, -0x80000000, -0x80000001, 0xffffffff, 0x100000000, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2,
  -(2 ** 53), 2 ** 63, -(2 ** 63), 2 ** 64, 2 ** 64 * 16, 1e21, 1e308, -1e308, 1.7976931348623157e308, 5e-324,
  0.5, 1.5, -0.5, 0.1, 3.14159, 1e-7, 99, 100000, 18446744073709551615,
];

/** Number literals only the JSON text can carry. */
const RAW_NUMBERS = [
  '1e400', '-1e400', '1e-400', '-0', '-0.0', '0.0', '1.0', '1E2', '1e+2', '0e0', '18446744073709551615',
  '18446744073709551616', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
  '-9223372036854775809', '4294967296.0', '123456789012345678901234567890', '0.000000000000000000001',
  '1' + '0'.repeat(400), '-' + '9'.repeat(330),
];

export function randomNumber(rng: Rng): number {
  switch (rng.int(4)) {
    case 0:
      return rng.pick(NUMBERS);
    case 1:
      return rng.range(-10, 70);
    case 2:
      return rng.pick(NUMBERS) + rng.pick([-1, 1]);
    default:
      return Math.floor((rng.float() - 0.5) * 2 ** rng.range(1, 66));
  }
}

export function randomNumberLike(rng: Rng): number | RawNumber {
  return rng.chance(0.25) ? new RawNumber(rng.pick(RAW_NUMBERS)) : randomNumber(rng);
}

// ---- values ------------------------------------------------------------------------------------

/** Keys that mean something: config.json field names and JavaScript's own. */
export const KNOWN_KEYS = [
  'ociVersion', 'root', 'path', 'readonly', 'mounts', 'destination', 'source', 'type', 'options', 'process',
  'terminal', 'consoleSize', 'height', 'width', 'cwd', 'env', 'args', 'user', 'uid', 'gid', 'umask',
  'additionalGids', 'capabilities', 'bounding', 'effective', 'permitted', 'inheritable', 'ambient', 'rlimits',
  'soft', 'hard', 'noNewPrivileges', 'oomScoreAdj', 'scheduler', 'policy', 'nice', 'priority', 'ioPriority',
  'class', 'hostname', 'domainname', 'hooks', 'prestart', 'createRuntime', 'createContainer', 'startContainer',
  'poststart', 'poststop', 'timeout', 'annotations', 'linux', 'namespaces', 'uidMappings', 'gidMappings',
  'containerID', 'hostID', 'size', 'timeOffsets', 'secs', 'nanosecs', 'devices', 'major', 'minor', 'fileMode',
  'cgroupsPath', 'resources', 'memory', 'limit', 'swap', 'cpu', 'shares', 'quota', 'period', 'cpus', 'mems',
  'pids', 'blockIO', 'weight', 'hugepageLimits', 'pageSize', 'unified', 'rdma', 'network', 'classID',
  'priorities', 'sysctl', 'seccomp', 'defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'syscalls',
  'names', 'action', 'errnoRet', 'index', 'value', 'valueTwo', 'op', 'listenerPath', 'rootfsPropagation',
  'maskedPaths', 'readonlyPaths', 'netDevices', 'name', 'memoryPolicy', 'mode', 'nodes', 'intelRdt', 'closID',
  'personality', 'domain', 'allow', 'access', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  'valueOf', 'length', '', ' ', '0', '-1', 'unknownField', 'x-vendor.extension', 'OCIVERSION', 'Root',
];

export function randomKey(rng: Rng): string {
  return rng.chance(0.6) ? rng.pick(KNOWN_KEYS) : randomString(rng).slice(0, rng.chance(0.9) ? 40 : 5000);
}

/** Any JSON value, at most `depth` containers deep. */
export function randomJson(rng: Rng, depth = 3): Json {
  const k = depth <= 0 ? rng.int(4) : rng.int(7);
  switch (k) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return randomNumberLike(rng);
    case 3:
      return randomString(rng);
    case 4:
    case 5: {
      const a: Json[] = [];
      for (let i = rng.size(8); i > 0; i--) a.push(randomJson(rng, depth - 1));
      return a;
    }
    default: {
      const o: JsonObject = {};
      for (let i = rng.size(8); i > 0; i--) defineKey(o, randomKey(rng), randomJson(rng, depth - 1));
      return o;
    }
  }
}

/** `n` levels of nested arrays or objects around `leaf`. */
export function deepNest(rng: Rng, n: number, leaf: Json = null): Json {
  const kind = rng.int(3);
  let v: Json = leaf;
  for (let i = 0; i < n; i++) {
    v = kind === 0 || (kind === 2 && i % 2) ? [v] : { [rng.pick(['a', 'linux', 'process', 'x'])]: v };
  }
  return v;
}

/** A random document that looks a little like config.json (known keys at the top). */
export function randomDocument(rng: Rng): Json {
  switch (rng.int(6)) {
    case 0:
      return randomJson(rng, rng.range(0, 4));
    case 1:
      return deepNest(rng, rng.pick([10, 100, 1000, 3000]), randomJson(rng, 0));
    default: {
      // Plausible top-level keys with random values, often a valid version and root.
      const o: JsonObject = {};
      if (rng.chance(0.8)) o.ociVersion = rng.chance(0.7) ? rng.pick(['1.0.0', '1.2.0', '1.3.0']) : randomJson(rng, 1);
      if (rng.chance(0.6)) o.root = rng.chance(0.6) ? { path: rng.pick(['rootfs', '/rootfs', '']) } : randomJson(rng, 2);
      if (rng.chance(0.6)) o.process = rng.chance(0.5) ? { cwd: '/', args: ['sh'], ...(randomJson(rng, 2) as object) } : randomJson(rng, 3);
      if (rng.chance(0.6)) o.linux = rng.chance(0.5) ? { namespaces: [{ type: 'mount' }], ...(randomJson(rng, 2) as object) } : randomJson(rng, 3);
      for (let i = rng.size(6); i > 0; i--) defineKey(o, randomKey(rng), randomJson(rng, rng.range(0, 3)));
      return o;
    }
  }
}
