/**
 * `update`'s command line: runc's per-field flags (sizes like 64m, -1 for unlimited) merged over
 * `--resources FILE` (or stdin for `-`, which go-runc uses) into the LinuxResources request that
 * lifecycle/update.ts checks and applies.
 */
import { readSync } from 'node:fs';
import { UnsupportedError, UsageError } from '../errors.js';
import type { LinuxResources } from '../cgroups/index.js';
import { updateContainer, validateResources } from '../lifecycle/update.js';
import { parseJson, readText } from '../spec/load.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';

// ---------------------------------------------------------------------------------------------
// Sizes: docker/go-units RAMInBytes, which runc uses for its memory flags.

const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Parses a size as runc's memory flags do (go-units RAMInBytes): a decimal number, an optional
 * space, and an optional suffix b, k, kb, kib, m, ... p (any case, binary multiples: 64m is
 * 64 MiB). "-1" means unlimited. Throws `invalid size: '...'` or `invalid suffix: '...'`.
 */
export function parseSize(text: string): number {
  if (text === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s?([A-Za-z]*)$/.exec(text);
  if (!m) throw new UsageError(`invalid size: '${text}'`);
  const n = Number(m[1]);
  const sfx = m[2]!.toLowerCase();
  if (sfx === '' || sfx === 'b') return Math.trunc(n);
  const mul = UNITS[sfx[0]!];
  if (mul === undefined || sfx.length > 3 || (sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) {
    throw new UsageError(`invalid suffix: '${sfx}'`);
  }
  return Math.trunc(n * mul);
}

// ---------------------------------------------------------------------------------------------
// runc's per-field flags.

/** The flag values as given (strings; yargs keeps them unparsed). */
export interface UpdateFlags {
  memory?: string;
  'memory-reservation'?: string;
  'memory-swap'?: string;
  'kernel-memory'?: string;
  'kernel-memory-tcp'?: string;
  'cpu-share'?: string;
  'cpu-period'?: string;
  'cpu-quota'?: string;
  'cpu-burst'?: string;
  'cpu-rt-period'?: string;
  'cpu-rt-runtime'?: string;
  'cpu-idle'?: string;
  'cpuset-cpus'?: string;
  'cpuset-mems'?: string;
  'pids-limit'?: string;
  'blkio-weight'?: string;
  'l3-cache-schema'?: string;
  'mem-bw-schema'?: string;
}

const SIZE_FLAGS = [
  ['memory', 'limit'],
  ['memory-reservation', 'reservation'],
  ['memory-swap', 'swap'],
  ['kernel-memory', 'kernel'],
  ['kernel-memory-tcp', 'kernelTCP'],
] as const;

const UINT_CPU_FLAGS = [
  ['cpu-share', 'shares'],
  ['cpu-period', 'period'],
  ['cpu-burst', 'burst'],
  ['cpu-rt-period', 'realtimePeriod'],
] as const;

const INT_CPU_FLAGS = [
  ['cpu-quota', 'quota'],
  ['cpu-rt-runtime', 'realtimeRuntime'],
  ['cpu-idle', 'idle'],
] as const;

function parseInteger(flag: string, text: string, unsigned: boolean): number {
  if (!(unsigned ? /^\+?\d+$/ : /^[+-]?\d+$/).test(text.trim())) {
    throw new UsageError(`invalid value for --${flag}: ${JSON.stringify(text)} is not ${unsigned ? 'an unsigned' : 'an'} integer`);
  }
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n)) throw new UsageError(`invalid value for --${flag}: ${text} is out of range`);
  return n;
}

/**
 * Merges runc's per-field flags over a LinuxResources object (a copy is returned). Intel RDT
 * flags are refused: this host (and tsrun) has no resctrl support.
 */
export function mergeFlags(base: LinuxResources, flags: UpdateFlags): LinuxResources {
  if (flags['l3-cache-schema']) throw new UnsupportedError('--l3-cache-schema: Intel RDT/CAT: l3 cache schema is not enabled (tsrun has no Intel RDT support)');
  if (flags['mem-bw-schema']) throw new UnsupportedError('--mem-bw-schema: Intel RDT/MBA: memory bandwidth schema is not enabled (tsrun has no Intel RDT support)');
  const res = structuredClone(base) as LinuxResources & Record<string, unknown>;
  const memory = (): NonNullable<LinuxResources['memory']> => (res.memory ??= {});
  const cpu = (): NonNullable<LinuxResources['cpu']> => (res.cpu ??= {});
  for (const [flag, field] of SIZE_FLAGS) {
    const v = flags[flag];
    if (v === undefined || v === '') continue;
    try {
      memory()[field] = parseSize(v);
    } catch (e) {
      throw new UsageError(`invalid value for --${flag}: ${(e as Error).message}`);
    }
  }
  for (const [flag, field] of UINT_CPU_FLAGS) {
    const v = flags[flag];
    if (v !== undefined && v !== '') cpu()[field] = parseInteger(flag, v, true);
  }
  for (const [flag, field] of INT_CPU_FLAGS) {
    const v = flags[flag];
    if (v !== undefined && v !== '') cpu()[field] = parseInteger(flag, v, false);
  }
  if (flags['cpuset-cpus']) cpu().cpus = flags['cpuset-cpus'];
  if (flags['cpuset-mems']) cpu().mems = flags['cpuset-mems'];
  if (flags['pids-limit'] !== undefined && flags['pids-limit'] !== '') res.pids = { ...res.pids, limit: parseInteger('pids-limit', flags['pids-limit'], false) };
  if (flags['blkio-weight'] !== undefined && flags['blkio-weight'] !== '') {
    res.blockIO = { ...res.blockIO, weight: parseInteger('blkio-weight', flags['blkio-weight'], true) };
  }
  return res;
}

/** The flags as --help shows them; each takes a string. */
const FLAGS: Array<[keyof UpdateFlags, string, string?]> = [
  ['memory', 'memory limit (in bytes, or with a suffix: 64m, 1g; -1 unlimited)'],
  ['memory-reservation', 'memory soft limit'],
  ['memory-swap', 'memory plus swap limit (-1 unlimited)'],
  ['kernel-memory', 'kernel memory limit (deprecated)'],
  ['kernel-memory-tcp', 'kernel TCP buffer limit (deprecated)'],
  ['cpu-share', 'CPU shares (relative weight)', 'cpu-shares'],
  ['cpu-period', 'CPU CFS period (microseconds)'],
  ['cpu-quota', 'CPU CFS quota (microseconds per period, -1 none)'],
  ['cpu-burst', 'CPU CFS burst (microseconds)'],
  ['cpu-rt-period', 'CPU realtime period (microseconds)'],
  ['cpu-rt-runtime', 'CPU realtime runtime (microseconds)'],
  ['cpu-idle', 'cgroup v2 cpu.idle (0 or 1)'],
  ['cpuset-cpus', 'CPUs allowed (like 0-3,5)'],
  ['cpuset-mems', 'memory nodes allowed (like 0-1)'],
  ['pids-limit', 'maximum number of processes (-1 unlimited)'],
  ['blkio-weight', 'block IO weight (10-1000)'],
  ['l3-cache-schema', 'Intel RDT L3 cache schema (not supported)'],
  ['mem-bw-schema', 'Intel RDT memory bandwidth schema (not supported)'],
];

// ---------------------------------------------------------------------------------------------
// The request.

/** Reads all of a file descriptor (stdin for `--resources -`), waiting out a non-blocking one. */
export function readAllFd(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The update request: `--resources FILE|-` (or nothing) with the flags merged over it, checked. */
export function readUpdateRequest(resources: string | undefined, flags: UpdateFlags, readStdin: () => string = () => readAllFd(0)): LinuxResources {
  let base: LinuxResources = {};
  if (resources !== undefined && resources !== '') {
    const source = resources === '-' ? 'resources (stdin)' : `resources ${resources}`;
    const text = resources === '-' ? readStdin() : readText(resources, source);
    base = validateResources(parseJson(text, source), source);
  }
  return validateResources(mergeFlags(base, flags), 'resources');
}

export default {
  command: 'update [id]',
  describe: 'change the resource limits of a running container: update [--resources FILE|-] [flags] ID',
  builder: (y) => {
    let b = idPositional(y).option('resources', {
      alias: 'r',
      type: 'string',
      describe: "LinuxResources JSON file, or '-' for stdin; the flags below override its fields",
    });
    for (const [name, describe, alias] of FLAGS) b = b.option(name, { type: 'string', describe, ...(alias ? { alias } : {}) });
    return b;
  },
  async run(a, ctx) {
    const id = checkContainerId(a.id);
    await updateContainer(ctx.store, id, readUpdateRequest(a.resources, a));
  },
} satisfies TsrunCommand<UpdateFlags & { id?: string; resources?: string }>;
