/**
 * The mutator: takes a seed document and applies a few structure-aware mutations (delete,
 * replace, duplicate, change a type, hostile numbers and strings, deep nesting, unknown fields,
 * path tricks, empty containers, grafts from other seeds), then sometimes damages the JSON text
 * itself. Each mutation is described in words so a failing case can be read, not only replayed.
 */
import {
  DupKeys, KNOWN_KEYS, KNOWN_WORDS, PATH_TRICKS, RawNumber, approxSize, clone, deepNest, defineKey, isObject, longString,
  docText, randomDocument, randomJson, randomKey, randomNumberLike, randomString, type Json, type JsonObject,
} from './json.js';
import { Rng } from './prng.js';
import type { Seed } from './seeds.js';

export type Path = Array<string | number>;

/** How much one mutation may grow a document (characters of JSON text, roughly). */
const GROWTH = 500_000;
/** A document above this is dropped for its seed: the loader reads files, not streams of gigabytes. */
const MAX_DOC = 3_000_000;

/** A generated case: the config.json text and how it was made. */
export interface FuzzCase {
  index: number;
  seed: number;
  origin: string;
  mutations: string[];
  text: string;
}

export function showPath(p: Path): string {
  return p.length === 0 ? '(root)' : '/' + p.map((k) => String(k).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function children(v: Json): Path {
  if (Array.isArray(v)) return v.map((_, i) => i);
  if (isObject(v)) return Object.keys(v);
  return [];
}

function get(root: Json, p: Path): Json | undefined {
  let v: Json | undefined = root;
  for (const k of p) {
    if (Array.isArray(v) && typeof k === 'number') v = v[k];
    else if (isObject(v) && typeof k === 'string' && Object.hasOwn(v, k)) v = v[k];
    else return undefined;
  }
  return v;
}

/** Replaces the value at p (p non-empty); returns false if the parent is gone. */
function set(root: Json, p: Path, value: Json): boolean {
  const parent = get(root, p.slice(0, -1));
  const k = p[p.length - 1]!;
  if (Array.isArray(parent) && typeof k === 'number') parent[k] = value;
  else if (isObject(parent) && typeof k === 'string') defineKey(parent, k, value);
  else return false;
  return true;
}

function remove(root: Json, p: Path): boolean {
  const parent = get(root, p.slice(0, -1));
  const k = p[p.length - 1]!;
  if (Array.isArray(parent) && typeof k === 'number') parent.splice(k, 1);
  else if (isObject(parent) && typeof k === 'string') delete parent[k];
  else return false;
  return true;
}

/**
 * A random node, reached by descending from the root; a bigger subtree is a little more likely
 * (square root of its size), so `ociVersion` is not hit as often as all of `linux` together.
 */
function randomPath(rng: Rng, root: Json): Path {
  const p: Path = [];
  let v: Json = root;
  for (let depth = 0; depth < 40; depth++) {
    const ks = children(v);
    if (ks.length === 0 || (depth > 0 && rng.chance(0.22))) break;
    const at = (k: string | number) => (Array.isArray(v) ? v[k as number] : (v as JsonObject)[k as string])!;
    const k = ks.length > 64 ? rng.pick(ks) : rng.weighted(ks.map((k) => [Math.sqrt(approxSize(at(k), 20_000)), k] as const));
    p.push(k);
    v = at(k);
  }
  return p;
}

/** Objects whose keys are names the runtime uses (file names, sysctl names, device names). */
const MAPS: string[][] = [
  ['linux', 'sysctl'], ['linux', 'resources', 'unified'], ['linux', 'resources', 'rdma'], ['linux', 'netDevices'],
  ['annotations'], ['hooks'], ['linux', 'timeOffsets'],
];

/** Paths the loader, planner, seccomp compiler and cgroup managers read with care. */
const HOT: string[][] = [
  ['root', 'readonly'], ['hostname'], ['domainname'],
  ['process', 'args'], ['process', 'args', '*'], ['process', 'env', '*'], ['process', 'cwd'], ['process', 'terminal'],
  ['process', 'consoleSize', 'height'], ['process', 'user', 'uid'], ['process', 'user', 'gid'], ['process', 'user', 'umask'],
  ['process', 'user', 'additionalGids', '*'], ['process', 'capabilities', 'bounding', '*'], ['process', 'capabilities', 'ambient'],
  ['process', 'rlimits', '*', 'soft'], ['process', 'rlimits', '*', 'hard'], ['process', 'rlimits', '*', 'type'],
  ['process', 'oomScoreAdj'], ['process', 'scheduler'], ['process', 'noNewPrivileges'],
  ['mounts', '*', 'destination'], ['mounts', '*', 'source'], ['mounts', '*', 'type'], ['mounts', '*', 'options', '*'],
  ['mounts', '*', 'options'], ['mounts', '*', 'uidMappings'],
  ['hooks', 'createContainer', '*', 'path'], ['hooks', 'startContainer', '*', 'args'], ['hooks', 'poststop', '*', 'timeout'],
  ['linux', 'namespaces', '*', 'type'], ['linux', 'namespaces', '*', 'path'], ['linux', 'namespaces'],
  ['linux', 'uidMappings', '*', 'size'], ['linux', 'uidMappings', '*', 'hostID'], ['linux', 'gidMappings'],
  ['linux', 'timeOffsets'], ['linux', 'timeOffsets', 'monotonic', 'secs'],
  ['linux', 'devices', '*', 'path'], ['linux', 'devices', '*', 'type'], ['linux', 'devices', '*', 'major'],
  ['linux', 'devices', '*', 'fileMode'], ['linux', 'cgroupsPath'], ['linux', 'sysctl'], ['linux', 'rootfsPropagation'],
  ['linux', 'maskedPaths', '*'], ['linux', 'readonlyPaths', '*'], ['linux', 'netDevices'],
  ['linux', 'seccomp', 'defaultAction'], ['linux', 'seccomp', 'defaultErrnoRet'], ['linux', 'seccomp', 'architectures', '*'],
  ['linux', 'seccomp', 'flags', '*'], ['linux', 'seccomp', 'syscalls', '*', 'names', '*'], ['linux', 'seccomp', 'syscalls', '*', 'action'],
  ['linux', 'seccomp', 'syscalls', '*', 'errnoRet'], ['linux', 'seccomp', 'syscalls', '*', 'args', '*', 'index'],
  ['linux', 'seccomp', 'syscalls', '*', 'args', '*', 'value'], ['linux', 'seccomp', 'syscalls', '*', 'args', '*', 'op'],
  ['linux', 'seccomp', 'listenerPath'],
  ['linux', 'resources', 'memory', 'limit'], ['linux', 'resources', 'memory', 'swap'], ['linux', 'resources', 'memory', 'reservation'],
  ['linux', 'resources', 'memory', 'swappiness'], ['linux', 'resources', 'memory', 'kernel'],
  ['linux', 'resources', 'cpu', 'shares'], ['linux', 'resources', 'cpu', 'quota'], ['linux', 'resources', 'cpu', 'period'],
  ['linux', 'resources', 'cpu', 'burst'], ['linux', 'resources', 'cpu', 'cpus'], ['linux', 'resources', 'cpu', 'mems'],
  ['linux', 'resources', 'cpu', 'idle'], ['linux', 'resources', 'cpu', 'realtimeRuntime'],
  ['linux', 'resources', 'pids', 'limit'], ['linux', 'resources', 'blockIO', 'weight'],
  ['linux', 'resources', 'blockIO', 'weightDevice', '*', 'major'], ['linux', 'resources', 'blockIO', 'throttleReadBpsDevice', '*', 'rate'],
  ['linux', 'resources', 'hugepageLimits', '*', 'pageSize'], ['linux', 'resources', 'hugepageLimits', '*', 'limit'],
  ['linux', 'resources', 'devices', '*', 'major'], ['linux', 'resources', 'devices', '*', 'access'], ['linux', 'resources', 'devices', '*', 'type'],
  ['linux', 'resources', 'unified'], ['linux', 'resources', 'rdma'], ['linux', 'resources', 'network', 'classID'],
  ['linux', 'resources', 'network', 'priorities', '*', 'name'],
  ['linux', 'memoryPolicy', 'nodes'], ['linux', 'memoryPolicy', 'mode'], ['linux', 'memoryPolicy', 'flags', '*'],
  ['linux', 'intelRdt', 'closID'], ['linux', 'personality'],
  ['process', 'scheduler', 'policy'], ['process', 'scheduler', 'nice'], ['process', 'scheduler', 'priority'],
  ['process', 'scheduler', 'runtime'], ['process', 'capabilities', 'ambient', '*'], ['process', 'capabilities', 'permitted', '*'],
  ['linux', 'sysctl', '*'], ['linux', 'resources', 'unified', '*'], ['linux', 'resources', 'rdma', '*', 'hcaHandles'],
  ['linux', 'netDevices', '*', 'name'], ['linux', 'namespaces', '*'], ['mounts', '*'], ['linux', 'seccomp', 'syscalls', '*'],
  ...MAPS, ...MAPS,
];

/** A hot path made concrete: '*' becomes an existing index or key (or 0 / a new key). */
function hotPath(rng: Rng, root: Json): Path {
  const pattern = rng.pick(HOT);
  const p: Path = [];
  let v: Json | undefined = root;
  for (const part of pattern) {
    let k: string | number = part;
    if (part === '*') {
      if (Array.isArray(v)) k = v.length ? rng.int(v.length) : 0;
      else if (isObject(v) && Object.keys(v).length) k = rng.pick(Object.keys(v));
      else k = 0;
    }
    p.push(k);
    v = v === undefined ? undefined : get(v, [k]);
  }
  return p;
}

/** Sets the value at p, making missing parents (objects, or arrays for numeric keys). */
function setMaking(root: Json, p: Path, value: Json): void {
  let v: Json = root;
  for (let i = 0; i < p.length - 1; i++) {
    const k = p[i]!;
    let next = get(v, [k]);
    if (next === undefined || next === null || typeof next !== 'object' || next instanceof RawNumber || next instanceof DupKeys) {
      next = typeof p[i + 1] === 'number' ? [] : {};
      if (Array.isArray(v)) v[typeof k === 'number' ? k : 0] = next;
      else if (isObject(v)) defineKey(v, String(k), next);
      else return;
    }
    v = next;
  }
  const last = p[p.length - 1]!;
  if (Array.isArray(v)) v[typeof last === 'number' ? last : 0] = value;
  else if (isObject(v)) defineKey(v, String(last), value);
}

function changeType(rng: Rng, v: Json | undefined): Json {
  if (typeof v === 'string') return rng.pick<Json>([Number(v) || 0, v === 'true', [v], { [v.slice(0, 20)]: v }, null]);
  if (typeof v === 'number' || v instanceof RawNumber) {
    const n = typeof v === 'number' ? v : Number(v.text);
    return rng.pick<Json>([String(n), n !== 0, [n], { value: n }, null, Number.isFinite(n) ? n + 0.5 : 0.5]);
  }
  if (typeof v === 'boolean') return rng.pick<Json>([String(v), v ? 1 : 0, [v], null]);
  if (Array.isArray(v)) {
    const o: JsonObject = {};
    v.forEach((e, i) => defineKey(o, String(i), e));
    return rng.pick<Json>([o, v.length ? v[0]! : null, v.join(','), v.length, null]);
  }
  if (isObject(v)) return rng.pick<Json>([Object.values(v), JSON.stringify(v).slice(0, 100), Object.keys(v).length, true, null]);
  return randomJson(rng, 1);
}

function hostileString(rng: Rng, v: Json | undefined): string {
  const s = typeof v === 'string' ? v : randomString(rng);
  switch (rng.int(10)) {
    case 0:
      return s + '\u0000';
    case 1:
      return '\u0000' + s;
    case 2: {
      const at = rng.int(s.length + 1);
      return s.slice(0, at) + rng.pick(['\n', '\r\n', '\t', '\u001b[31m', '\u0007', '\u007f', '\u2028', '\u0085']) + s.slice(at);
    }
    case 3:
      return longString(rng);
    case 4:
      return s + rng.pick(['é', '😀', '\ud800', '\u202e', '\ufeff', '中']);
    case 5:
      return rng.pick(PATH_TRICKS);
    case 6:
      return (s.startsWith('/') ? s : '/' + s) + rng.pick(['/..', '/../..', '/./', '//', '/']);
    case 8:
      // Long digit runs (page sizes, cpu lists, ids in strings).
      return /\d/.test(s) ? s.replace(/\d+/, rng.pick(['0', '9'.repeat(20), '1'.repeat(300), '18446744073709551616', '-1'])) : s + '0'.repeat(rng.range(1, 400));
    case 7:
      return s.repeat(Math.min(rng.range(2, 200), Math.max(1, Math.floor(GROWTH / (s.length + 1)))));
    default:
      return '';
  }
}

/** One mutation at a random (or hot) place; returns its description. */
function mutateOnce(rng: Rng, root: { doc: Json }, donors: readonly Seed[]): string {
  const p = rng.chance(0.45) ? hotPath(rng, root.doc) : randomPath(rng, root.doc);
  const at = showPath(p);
  const cur = p.length ? get(root.doc, p) : root.doc;
  const put = (v: Json) => {
    if (p.length === 0) root.doc = v;
    else if (cur === undefined) setMaking(root.doc, p, v);
    else set(root.doc, p, v);
  };
  switch (rng.int(17)) {
    case 0:
    case 1:
      if (p.length === 0 || cur === undefined) return mutateOnce(rng, root, donors);
      remove(root.doc, p);
      return `delete ${at}`;
    case 2:
      put(randomJson(rng, rng.range(0, 2)));
      return `replace ${at} with a random value`;
    case 3:
      put(changeType(rng, cur));
      return `change the type of ${at}`;
    case 4:
    case 5:
      put(randomNumberLike(rng));
      return `${at} = a hostile number`;
    case 6:
    case 7:
      put(hostileString(rng, cur));
      return `${at} = a hostile string`;
    case 8: {
      // Duplicate: an array element, or a key written twice in the text.
      if (Array.isArray(cur) && cur.length) {
        const e = cur[rng.int(cur.length)]!;
        const n = Math.min(rng.chance(0.1) ? rng.pick([100, 1000, 5000]) : rng.range(1, 3), Math.max(1, Math.floor(GROWTH / approxSize(e, GROWTH))));
        for (let i = 0; i < n; i++) cur.splice(rng.int(cur.length + 1), 0, clone(e));
        return `duplicate an element of ${at} ${n} time(s)`;
      }
      if (isObject(cur) && Object.keys(cur).length) {
        const entries = Object.entries(cur) as Array<[string, Json]>;
        const [k, v] = rng.pick(entries);
        const other = rng.chance(0.5) ? clone(v) : randomJson(rng, 1);
        const dup = rng.chance(0.5) ? [[k, other] as [string, Json], ...entries] : [...entries, [k, other] as [string, Json]];
        put(new DupKeys(dup));
        return `write key ${JSON.stringify(k)} of ${at} twice`;
      }
      return mutateOnce(rng, root, donors);
    }
    case 9:
      put(deepNest(rng, rng.pick([5, 50, 500, 2000]), rng.chance(0.5) ? (cur ?? null) : randomJson(rng, 0)));
      return `nest ${at} deeply`;
    case 10: {
      // Unknown (or known but misplaced) fields in an object on the path.
      const target = isObject(cur) ? cur : get(root.doc, p.slice(0, -1));
      if (!isObject(target)) return mutateOnce(rng, root, donors);
      const k = rng.chance(0.5) ? randomKey(rng) : rng.pick(KNOWN_KEYS);
      defineKey(target, k, randomJson(rng, 2));
      return `add field ${JSON.stringify(k.slice(0, 40))} near ${at}`;
    }
    case 11:
      put(Array.isArray(cur) ? [] : isObject(cur) ? {} : typeof cur === 'string' ? '' : rng.pick<Json>([[], {}, '', 0]));
      return `empty ${at}`;
    case 12: {
      // Graft a part of another seed at the same place (or anywhere).
      const donor = rng.pick(donors).doc;
      const dp = get(donor, p) !== undefined && rng.chance(0.7) ? p : randomPath(rng, donor);
      const v = get(donor, dp);
      if (v === undefined) return mutateOnce(rng, root, donors);
      put(clone(v));
      return `graft ${showPath(dp)} of another seed at ${at}`;
    }
    case 13: {
      // Reorder an array (mount order, namespace order, rule order matter).
      if (!Array.isArray(cur) || cur.length < 2) return mutateOnce(rng, root, donors);
      for (let i = cur.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [cur[i], cur[j]] = [cur[j]!, cur[i]!];
      }
      return `shuffle ${at}`;
    }
    case 14:
      put(rng.pick<Json>([null, true, false, 0, -1, '', [], {}, [null], [''], [{}]]));
      return `${at} = a trivial value`;
    case 15: {
      // Every string below the node gets the same treatment (a whole mount, a whole seccomp rule).
      const how = rng.int(4);
      const tweak = (s: string) => (how === 0 ? s + '\u0000' : how === 1 ? '../' + s : how === 2 ? s.toUpperCase() : s + s);
      const walk = (v: Json, depth: number): Json => {
        if (depth > 30) return v;
        if (typeof v === 'string') return tweak(v);
        if (Array.isArray(v)) return v.map((e) => walk(e, depth + 1));
        if (isObject(v)) {
          const o: JsonObject = {};
          for (const [k, e] of Object.entries(v)) defineKey(o, how === 2 && rng.chance(0.2) ? k.toUpperCase() : k, walk(e, depth + 1));
          return o;
        }
        return v;
      };
      if (cur === undefined) return mutateOnce(rng, root, donors);
      put(walk(cur, 0));
      return `rewrite every string under ${at} (${['NUL suffix', '../ prefix', 'upper case', 'doubled'][how]})`;
    }
    default: {
      // A huge array of hostile elements.
      const e = rng.chance(0.5) && cur !== undefined ? cur : randomJson(rng, 1);
      const n = Math.min(rng.pick([100, 1000, 10_000]), Math.max(1, Math.floor(GROWTH / approxSize(e, GROWTH))));
      put(Array.from({ length: n }, () => clone(e)));
      return `${at} = ${n} copies`;
    }
  }
}

const INTEGERS = [
  0, 1, -1, 2, 7, 255, 256, 438, 511, 4095, 4096, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
  2 ** 53 - 1, 2 ** 53, 2 ** 63, 2 ** 64, -(2 ** 31), -(2 ** 63), 1000, -1000, 10 ** 12,
];

/**
 * A mutation that keeps the type of what it changes (a string stays a string, a number an
 * integer), so the document often still passes the schema and the hostile value reaches the
 * semantic checks, the planner, the seccomp compiler and the cgroup writers.
 */
function mutateMild(rng: Rng, root: { doc: Json }, donors: readonly Seed[]): string {
  let p = rng.chance(0.5) ? hotPath(rng, root.doc) : randomPath(rng, root.doc);
  let cur = get(root.doc, p);
  if (cur === undefined || p.length === 0) {
    p = randomPath(rng, root.doc);
    cur = get(root.doc, p);
  }
  if (cur === undefined || p.length === 0) return mutateOnce(rng, root, donors);
  const at = showPath(p);
  if (typeof cur === 'string') {
    // Another word of the same family (SCMP_ACT_*, CAP_*, RLIMIT_*) often passes the schema.
    const family = KNOWN_WORDS.filter((w) => w !== cur && cur.includes('_') && w.startsWith(cur.slice(0, cur.lastIndexOf('_') + 1)));
    const v = rng.weighted<string>([
      [5, hostileString(rng, cur)], [2, rng.pick(PATH_TRICKS)], [2, rng.pick(KNOWN_WORDS)], [1, randomString(rng)],
      [family.length ? 4 : 0, family.length ? rng.pick(family) : ''],
    ]);
    set(root.doc, p, v);
    return `${at} = ${JSON.stringify(v.slice(0, 40))}${v.length > 40 ? `... (${v.length} chars)` : ''}`;
  }
  if (typeof cur === 'number' || cur instanceof RawNumber) {
    const v = rng.chance(0.8) ? rng.pick(INTEGERS) : new RawNumber(rng.pick(['18446744073709551615', '9223372036854775807', '-9223372036854775808', '1e400', '1.0', '-0']));
    set(root.doc, p, v);
    return `${at} = ${v instanceof RawNumber ? v.text : v}`;
  }
  if (typeof cur === 'boolean') {
    set(root.doc, p, !cur);
    return `${at} = ${!cur}`;
  }
  if (Array.isArray(cur)) {
    switch (rng.int(5)) {
      case 0:
        if (cur.length) {
          const e = cur[rng.int(cur.length)]!;
          const n = Math.min(rng.chance(0.15) ? rng.pick([50, 500, 5000]) : rng.range(1, 2), Math.max(1, Math.floor(GROWTH / approxSize(e, GROWTH))));
          for (let i = 0; i < n; i++) cur.splice(rng.int(cur.length + 1), 0, clone(e));
          return `duplicate an element of ${at} ${n} time(s)`;
        }
        break;
      case 1:
        if (cur.length > 1) {
          cur.reverse();
          return `reverse ${at}`;
        }
        break;
      case 2:
        if (cur.length) {
          cur.splice(rng.int(cur.length), 1);
          return `drop an element of ${at}`;
        }
        break;
      case 3:
        set(root.doc, p, []);
        return `empty ${at}`;
    }
  }
  if (isObject(cur) && rng.chance(0.6)) {
    const ks = Object.keys(cur);
    // In maps (sysctl, unified, rdma, netDevices, annotations) the keys are data too.
    const map = MAPS.some((m) => m.length === p.length && m.every((k, i) => k === p[i]));
    if (ks.length && rng.chance(map ? 0.7 : 0.3)) {
      // Rename a key (sysctl names, unified file names, rdma devices, interface names).
      const k = rng.pick(ks);
      const nk = rng.chance(0.5) ? hostileString(rng, k) : rng.pick([...KNOWN_WORDS, ...PATH_TRICKS]);
      const v = cur[k]!;
      delete cur[k];
      defineKey(cur, nk, v);
      return `rename ${at}/${k} to ${JSON.stringify(nk.slice(0, 40))}`;
    }
    if (ks.length && rng.chance(0.5)) {
      const k = rng.pick(ks);
      delete cur[k];
      return `delete ${at}/${k}`;
    }
    const k = rng.chance(0.5) ? randomKey(rng) : rng.pick(KNOWN_KEYS);
    defineKey(cur, k, randomJson(rng, 1));
    return `add field ${JSON.stringify(k.slice(0, 40))} to ${at}`;
  }
  // Graft the same place of another seed (a whole seccomp profile, mount list, resources).
  const donor = rng.pick(donors).doc;
  const v = get(donor, p);
  if (v !== undefined) {
    set(root.doc, p, clone(v));
    return `graft ${at} of another seed`;
  }
  return mutateOnce(rng, root, donors);
}

/** Damages the JSON text itself: BOM, truncation, garbage, comments, NaN, single quotes. */
function mutateText(rng: Rng, text: string): { text: string; what: string } {
  const at = rng.int(text.length + 1);
  switch (rng.int(8)) {
    case 0:
      return { text: '\ufeff' + text, what: 'prefix a byte order mark' };
    case 1:
      return { text: text.slice(0, at), what: `truncate the text at ${at}` };
    case 2:
      return { text: text + rng.pick(['\n', ' x', '}', '\u0000', '{}', '\ufeff']), what: 'append garbage' };
    case 3:
      return { text: text.slice(0, at) + rng.pick(['//c\n', '/*c*/', ',', 'NaN', 'Infinity', "'", '\u0000', '\\', '"']) + text.slice(at), what: `insert a token at ${at}` };
    case 4:
      return { text: text.replace(/"/g, "'"), what: 'single quotes' };
    case 5:
      return { text: text.slice(0, at) + text.slice(Math.min(text.length, at + rng.range(1, 10))), what: `delete bytes at ${at}` };
    case 6:
      return { text: ' \t\r\n'.repeat(rng.range(1, 1000)) + text + ' \n'.repeat(rng.range(0, 1000)), what: 'pad with white space' };
    default:
      return { text: text.replace(/,/, ',,'), what: 'double a comma' };
  }
}

const seedTexts = new WeakMap<Seed, string>();
/** A seed's JSON text, made once: parsing it is the fastest deep copy (seeds hold plain JSON only). */
function seedText(s: Seed): string {
  let t = seedTexts.get(s);
  if (t === undefined) seedTexts.set(s, (t = JSON.stringify(s.doc)));
  return t;
}

/** The case `index` of a run with `seed`: a mutated seed (or, when `random`, a random document). */
export function makeCase(seed: number, index: number, seedDocs: readonly Seed[], random: boolean): FuzzCase {
  const rng = Rng.forCase(seed, index);
  if (random) {
    const doc = randomDocument(rng);
    let text = docText(doc, rng.chance(0.3));
    const mutations = ['random document'];
    if (rng.chance(0.05)) {
      const m = mutateText(rng, text);
      text = m.text;
      mutations.push(m.what);
    }
    return { index, seed, origin: 'random', mutations, text };
  }
  // The built seeds reach the planner; most upstream fixtures stop at validation (no process).
  const built = seedDocs.filter((s) => !s.name.startsWith('runtime-spec'));
  const base = rng.chance(0.8) && built.length ? rng.pick(built) : rng.pick(seedDocs);
  const root = { doc: JSON.parse(seedText(base)) as Json };
  const mutations: string[] = [];
  // Half the cases keep types (they get past the schema), half change anything.
  const mild = rng.chance(0.5);
  const n = rng.weighted([[50, 1], [25, 2], [12, 3], [8, 5], [5, 10]] as const);
  for (let i = 0; i < n; i++) mutations.push(mild ? mutateMild(rng, root, seedDocs) : mutateOnce(rng, root, seedDocs));
  // Each mutation grows the document by GROWTH at most; a pile of them may still be too much.
  if (n > 1 && approxSize(root.doc, MAX_DOC) > MAX_DOC) {
    root.doc = JSON.parse(seedText(base)) as Json;
    mutations.push('(too large: back to the seed)');
  }
  let text = docText(root.doc, rng.chance(0.5));
  if (rng.chance(0.04)) {
    const m = mutateText(rng, text);
    text = m.text;
    mutations.push(m.what);
  }
  return { index, seed, origin: base.name, mutations, text };
}
