/**
 * update: change the resource limits of a live container (runc's `update`). The request is a
 * runtime-spec LinuxResources object (src/cli/update.ts builds it from the command line). It is
 * checked (field names in any letter case, as Go decodes them; schema, unknown fields, ranges:
 * one line naming the field), applied with
 * `setResources(delta, {update: true})` (only the fields given change), and merged into the
 * container's stored config.
 *
 * As in runc, a zero in the numeric limits (memory.limit, cpu.shares, pids.limit, ...) means
 * "leave as is", and a stopped container cannot be updated ("container not running").
 */
import { ConfigError, ContainerNotRunningError, UnsupportedError } from '../errors.js';
import type { LinuxResources } from '../cgroups/index.js';
import { validateSpec } from '../spec/validate.js';
import type { StateStore } from '../state/store.js';
import { cgroupOf } from './cgroup.js';
import { loadContainer } from './container.js';

// ---------------------------------------------------------------------------------------------
// Validation.

/**
 * The shape of LinuxResources (runtime-spec 1.3): an object's known fields, a list's items, or a
 * map's values (rdma: device names; unified: file names, free text, so not followed).
 */
type Shape = { fields: Record<string, Shape | undefined> } | { items: Shape } | { values: Shape };

const obj = (...names: string[]): { fields: Record<string, Shape | undefined> } => ({ fields: Object.fromEntries(names.map((n) => [n, undefined])) });
const deviceRate = { items: obj('major', 'minor', 'rate') };

const RESOURCES: Shape = {
  fields: {
    devices: { items: obj('allow', 'type', 'major', 'minor', 'access') },
    memory: obj('limit', 'reservation', 'swap', 'kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate'),
    cpu: obj('shares', 'quota', 'burst', 'period', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle'),
    pids: obj('limit'),
    blockIO: {
      fields: {
        ...obj('weight', 'leafWeight').fields,
        weightDevice: { items: obj('major', 'minor', 'weight', 'leafWeight') },
        throttleReadBpsDevice: deviceRate,
        throttleWriteBpsDevice: deviceRate,
        throttleReadIOPSDevice: deviceRate,
        throttleWriteIOPSDevice: deviceRate,
      },
    },
    hugepageLimits: { items: obj('pageSize', 'limit') },
    network: { fields: { classID: undefined, priorities: { items: obj('name', 'priority') } } },
    rdma: { values: obj('hcaHandles', 'hcaObjects') },
    unified: undefined,
  },
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The request with every field name as the runtime spec spells it. Go's JSON decoding, which
 * runc's update uses, matches a name in any letter case ("CPU", "Memory"), an exact match first;
 * a name that is no field is an error here (runc would drop it). Values of the wrong kind are
 * left for the schema check to name.
 */
export function canonicalFieldNames(v: unknown, source = 'resources', shape: Shape = RESOURCES, path = ''): unknown {
  if ('items' in shape) return Array.isArray(v) ? v.map((x, i) => canonicalFieldNames(x, source, shape.items, `${path}[${i}]`)) : v;
  if (!isObject(v)) return v;
  if ('values' in shape) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonicalFieldNames(x, source, shape.values, `${path}.${k}`)]));
  const byFold = new Map(Object.keys(shape.fields).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  const given = new Map<string, string>();
  for (const [k, x] of Object.entries(v)) {
    const name = k in shape.fields ? k : byFold.get(k.toLowerCase());
    const where = `${path ? `${path.slice(1)}.` : ''}${k}`;
    if (name === undefined) throw new ConfigError(`${source}: ${where}: unknown field (not a runtime-spec LinuxResources field)`);
    const twice = given.get(name);
    if (twice !== undefined) throw new ConfigError(`${source}: ${where}: the field ${JSON.stringify(name)} is given twice (as ${JSON.stringify(twice)} and ${JSON.stringify(k)})`);
    given.set(name, k);
    const sub = shape.fields[name];
    out[name] = sub ? canonicalFieldNames(x, source, sub, `${path}.${k}`) : x;
  }
  return out;
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** Go's JSON decoding turns null into "not given": drop nulls (the schema would reject them). */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out;
  }
  return v;
}

/**
 * Checks an update request: a LinuxResources object whose every field is known, of the right
 * type and in range. Errors are one line naming the field, e.g.
 * `resources: memory.limit: must be an integer, got a string ("64m")`.
 */
export function validateResources(input: unknown, source = 'resources'): LinuxResources {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new ConfigError(`${source}: must be a JSON object (runtime-spec LinuxResources)`);
  const res = canonicalFieldNames(dropNulls(input), source) as Record<string, unknown>;
  try {
    validateSpec({ ociVersion: '1.0.0', linux: { resources: res } }, source, { checks: false });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // "/linux/resources/memory/limit: ..." -> "memory.limit: ..."
    throw new ConfigError(e.message.replace(/\/linux\/resources(\/[^:]*)?:/, (_m, p: string | undefined) => `${p ? p.slice(1).replace(/\//g, '.') : '(root)'}:`));
  }
  const r = res as LinuxResources;
  const bad = (field: string, why: string) => new ConfigError(`${source}: ${field}: ${why}`);
  for (const f of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) {
    const v = r.memory?.[f];
    if (v !== undefined && v < -1) throw bad(`memory.${f}`, `invalid value ${v} (bytes, or -1 for unlimited)`);
  }
  const sw = r.memory?.swappiness;
  if (sw !== undefined && sw > 100 && sw < 2 ** 63) throw bad('memory.swappiness', `invalid value ${sw}, the valid range is 0-100`);
  const c = r.cpu;
  if (c?.cpus !== undefined && c.cpus !== '' && !CPU_LIST.test(c.cpus)) throw bad('cpu.cpus', `invalid cpu list ${JSON.stringify(c.cpus)} (like "0-2,4")`);
  if (c?.mems !== undefined && c.mems !== '' && !CPU_LIST.test(c.mems)) throw bad('cpu.mems', `invalid memory node list ${JSON.stringify(c.mems)} (like "0-1")`);
  if (c?.period !== undefined && c.period !== 0 && (c.period < 1000 || c.period > 1_000_000)) {
    throw bad('cpu.period', `invalid value ${c.period}, the valid range is 1000-1000000 (microseconds)`);
  }
  if (c?.quota !== undefined && c.quota !== 0 && c.quota !== -1 && c.quota < 1000) {
    throw bad('cpu.quota', `invalid value ${c.quota}: at least 1000 (microseconds), or -1 for no limit`);
  }
  if (c?.idle !== undefined && c.idle !== 0 && c.idle !== 1) throw bad('cpu.idle', `invalid value ${c.idle}, must be 0 or 1`);
  for (const f of ['weight', 'leafWeight'] as const) {
    const v = r.blockIO?.[f];
    if (v !== undefined && v !== 0 && (v < 10 || v > 1000)) throw bad(`blockIO.${f}`, `invalid value ${v}, the valid range is 10-1000`);
  }
  return r;
}

/** Checks that only make sense on the resulting limits (the stored ones with the update merged). */
export function checkEffective(r: LinuxResources, source = 'resources'): void {
  const limit = r.memory?.limit ?? 0;
  const swap = r.memory?.swap ?? 0;
  if (limit > 0 && swap > 0 && swap < limit) {
    throw new ConfigError(`${source}: memory.swap: the memory+swap limit (${swap}) must not be lower than the memory limit (${limit})`);
  }
  if (limit === -1 && swap > 0) throw new ConfigError(`${source}: memory.swap: a memory+swap limit (${swap}) needs a memory limit (memory.limit is -1, unlimited)`);
}

// ---------------------------------------------------------------------------------------------
// Merging into the stored resources.

/** Numeric fields whose 0 means "unchanged" (runc starts its update request from zeros). */
const ZERO_IS_UNSET: Record<string, readonly string[]> = {
  memory: ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'],
  cpu: ['shares', 'quota', 'period', 'realtimeRuntime', 'realtimePeriod'],
  pids: ['limit'],
  blockIO: ['weight', 'leafWeight'],
};

/** Drops the "unchanged" values from an update request: what is left is what changes. */
export function effectiveDelta(update: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(update)) {
    if (v === undefined) continue;
    const zeros = ZERO_IS_UNSET[k];
    if (zeros && typeof v === 'object' && v !== null) {
      const sub: Record<string, unknown> = {};
      for (const [f, x] of Object.entries(v)) {
        if (x === undefined || (zeros.includes(f) && x === 0) || ((f === 'cpus' || f === 'mems') && x === '')) continue;
        sub[f] = x;
      }
      if (Object.keys(sub).length > 0) out[k] = sub;
      continue;
    }
    out[k] = v;
  }
  return out as LinuxResources;
}

/**
 * The container's resources after the update: objects (memory, cpu, pids, blockIO, unified,
 * rdma) merged field by field, lists (devices, hugepageLimits, ...) replaced. An unlimited
 * memory limit without a swap value makes swap unlimited too (as the cgroup layer writes it).
 */
export function mergeResources(stored: LinuxResources, delta: LinuxResources): LinuxResources {
  const out = structuredClone(stored ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(delta)) {
    if (v === undefined) continue;
    if (['memory', 'cpu', 'pids', 'blockIO', 'unified', 'rdma'].includes(k) && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = { ...((out[k] as object | undefined) ?? {}), ...structuredClone(v) };
    } else {
      out[k] = structuredClone(v);
    }
  }
  const r = out as LinuxResources;
  if (delta.memory?.limit === -1 && delta.memory.swap === undefined && r.memory?.swap !== undefined) r.memory.swap = -1;
  if (r.memory) delete r.memory.checkBeforeUpdate;
  return r;
}

// ---------------------------------------------------------------------------------------------
// The command itself.

export interface UpdateResult {
  /** The container's resources after the update (as stored). */
  resources: LinuxResources;
}

export async function updateContainer(store: StateStore, id: string, update: LinuxResources): Promise<UpdateResult> {
  return store.withLock(id, async () => {
    const c = loadContainer(store, id);
    if (c.status === 'stopped') throw new ContainerNotRunningError(id);
    const cg = cgroupOf(c.rec);
    if (!cg) throw new UnsupportedError(`cannot update container ${id}: it has no cgroup`);
    const linux = ((c.rec.config.linux ??= {}) as { resources?: LinuxResources; devices?: unknown[] });
    const delta = effectiveDelta(update);
    const merged = mergeResources(linux.resources ?? {}, delta);
    checkEffective(merged);
    await cg.set(delta, { update: true });
    linux.resources = merged;
    store.save(c.rec);
    return { resources: merged };
  });
}
