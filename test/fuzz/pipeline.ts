/**
 * What the fuzz suite runs on every case, as `tsrun create` would: parse config.json, validate
 * it, and for a valid spec compile linux.seccomp, create the cgroup and apply linux.resources on
 * an in-memory cgroup tree, build the create plan (and exec and hook plans) and encode it.
 *
 * Every stage must end in a value or in a TsrunError whose message is one non-empty line of
 * bounded length that says where (config.json: ..., process.json: ..., a JSON pointer or a
 * linux.* field path). Anything else is a FuzzFailure: the caller prints it with the case's seed
 * and index and a minimised document that still fails the same way.
 */
import { isTsrunError, type TsrunError } from '../../src/errors.js';
import { parseJson, validateProcess, validateSpec, type Spec } from '../../src/spec/index.js';
import { buildCreatePlan, buildExecPlan, buildHookPlan, describePlan, type PlanContext } from '../../src/plan/index.js';
import { FRAME_HEADER_SIZE, encodePlan, planSize } from '../../src/executor/protocol.js';
import { compileSeccomp } from '../../src/seccomp/index.js';
import { createManager, type LinuxResources } from '../../src/cgroups/index.js';
import { cgroupMountSources } from '../../src/lifecycle/cgroup.js';
import { clone, defineKey, isObject, toText, type Json, type JsonObject } from './json.js';
import { KeepingAttacher, MemCgroupFs } from './memfs.js';

export type Stage = 'parse' | 'validate' | 'seccomp' | 'cgroups' | 'plan' | 'encode' | 'exec' | 'hooks' | 'time';

/** A case that broke the contract: not a clean error, or too slow. */
export class FuzzFailure extends Error {
  constructor(
    readonly stage: Stage,
    /** A short class of the problem, stable across shrinking ("not a TsrunError: RangeError"). */
    readonly kind: string,
    readonly detail: string,
    readonly error?: unknown,
  ) {
    super(`${stage}: ${kind}: ${detail}`);
  }
}

export interface CaseResult {
  /** 'created' when every stage ended in a value; else the first stage that refused the config. */
  outcome: 'created' | 'rejected';
  stage?: Stage;
  message?: string;
  /** CPU milliseconds the case took. */
  ms: number;
}

/** Where an error message must start: the file, a JSON pointer, or the linux.* field. */
const WHERE = /^(?:(?:config|process)\.json: \S|\/[A-Za-z]|linux\.[A-Za-z])/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;
export const MAX_MESSAGE = 1000;

/** Why an error breaks the contract, or undefined when it is a clean one. */
export function judgeError(e: unknown): { kind: string; detail: string } | undefined {
  if (!isTsrunError(e)) {
    const name = e instanceof Error ? e.constructor.name : typeof e;
    return { kind: `not a TsrunError: ${name}`, detail: String(e instanceof Error ? (e.stack ?? e.message) : e).slice(0, 2000) };
  }
  const m = e.message;
  if (typeof m !== 'string' || m.length === 0) return { kind: 'empty message', detail: `${e.name}` };
  if (/[\n\r]/.test(m)) return { kind: 'multi-line message', detail: JSON.stringify(m.slice(0, 500)) };
  if (CONTROL.test(m)) return { kind: 'control character in message', detail: JSON.stringify(m.slice(0, 500)) };
  if (m.length > MAX_MESSAGE) return { kind: 'message too long', detail: `${m.length} chars: ${JSON.stringify(m.slice(0, 300))}...` };
  if (!WHERE.test(m)) return { kind: 'message does not say where', detail: JSON.stringify(m.slice(0, 500)) };
  return undefined;
}

function attempt<T>(stage: Stage, fn: () => T): { ok: true; value: T } | { ok: false; error: TsrunError } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    const bad = judgeError(e);
    if (bad) throw new FuzzFailure(stage, bad.kind, bad.detail, e);
    return { ok: false, error: e as TsrunError };
  }
}

export interface PipelineOptions {
  /** Picks the host shape (v2 or hybrid cgroups, console socket, --no-pivot, preserved fds). */
  variant: number;
  /** Compiled seccomp profiles by JSON text: the same profile is compiled once per run. */
  seccompMemo?: Map<string, { ok: true; value: { program: Uint8Array; flags: number } } | { ok: false; error: TsrunError }>;
}

const BUNDLE = '/var/lib/fuzz/bundle';
const ID = 'fuzz-c1';
const INIT_PID = 4242;

/** Runs one config.json text through every stage; throws FuzzFailure when the contract breaks. */
export function runPipeline(text: string, opts: PipelineOptions): CaseResult {
  // CPU time, not wall time: a busy CI machine must not turn a slow case into a "hang".
  const t0 = process.cpuUsage();
  const done = (r: Omit<CaseResult, 'ms'>): CaseResult => {
    const d = process.cpuUsage(t0);
    return { ...r, ms: (d.user + d.system) / 1000 };
  };
  const rejected = (stage: Stage, error: TsrunError) => done({ outcome: 'rejected', stage, message: error.message });

  const parsed = attempt('parse', () => parseJson(text, 'config.json'));
  if (!parsed.ok) return rejected('parse', parsed.error);
  const valid = attempt('validate', () => validateSpec(parsed.value, 'config.json', { forStart: true }));
  if (!valid.ok) return rejected('validate', valid.error);
  const spec: Spec = valid.value;
  let first: { stage: Stage; error: TsrunError } | undefined;
  const note = (stage: Stage, r: { ok: boolean; error?: TsrunError }) => {
    if (!r.ok && !first) first = { stage, error: r.error! };
  };

  // linux.seccomp, compiled in the parent as create does.
  let seccomp: PlanContext['seccomp'];
  const profile = spec.linux?.seccomp;
  if (profile) {
    const key = JSON.stringify(profile);
    let r = opts.seccompMemo?.get(key);
    if (!r) {
      r = attempt('seccomp', () => {
        const c = compileSeccomp(profile, { cacheDir: false });
        if (!(c.program instanceof Uint8Array) || c.program.length === 0 || c.program.length % 8 !== 0) {
          throw new FuzzFailure('seccomp', 'malformed program', `${c.program?.length} bytes`);
        }
        return { program: c.program, flags: c.flags };
      });
      opts.seccompMemo?.set(key, r);
    }
    note('seccomp', r);
    if (r.ok) seccomp = r.value;
  }

  // The cgroup: created and given linux.resources, on a v2 or a hybrid host.
  const fs = opts.variant % 2 ? MemCgroupFs.hybrid() : MemCgroupFs.v2();
  let cgroupV1Mounts: PlanContext['cgroupV1Mounts'] = fs.layout.mode === 'v2' ? undefined : [{ name: 'memory', hostPath: '/sys/fs/cgroup/memory/tsrun/x' }];
  const cg = attempt('cgroups', () => {
    const m = createManager({
      id: ID,
      cgroupsPath: spec.linux?.cgroupsPath || `/tsrun/${ID}`,
      layout: fs.layout,
      self: fs.self(),
      fs,
      attacher: new KeepingAttacher(),
      hugePageSizes: ['2MB'],
    });
    m.create();
    m.setResources((spec.linux?.resources ?? {}) as LinuxResources, { deviceNodes: (spec.linux?.devices ?? []) as never });
    JSON.stringify(m.toJSON());
    return m;
  });
  if (fs.escapes.length) throw new FuzzFailure('cgroups', 'access outside the cgroup tree', JSON.stringify(fs.escapes.slice(0, 5)));
  note('cgroups', cg);
  if (cg.ok && cg.value.mode !== 'v2') cgroupV1Mounts = cgroupMountSources(cg.value);

  // The create plan, encoded as the executor would receive it.
  const v = opts.variant;
  const ctx: PlanContext = {
    rootfs: `${BUNDLE}/rootfs`,
    bundle: BUNDLE,
    fifoPath: `/run/tsrun/${ID}/exec.fifo`,
    consoleSocket: v & 2 ? '/run/fuzz/console.sock' : undefined,
    noPivot: (v & 4) !== 0,
    extraFds: v % 3,
    cgroupV1Mounts,
    seccomp,
    sessionKeyring: v & 4 ? undefined : ID,
  };
  const plan = attempt('plan', () => {
    const p = buildCreatePlan(spec, ctx);
    describePlan(p);
    return p;
  });
  note('plan', plan);
  if (plan.ok) {
    const enc = attempt('encode', () => encodePlan(plan.value.ops));
    note('encode', enc);
    // The planner's size bound counts what encodePlan writes.
    if (enc.ok && planSize(plan.value.ops) + FRAME_HEADER_SIZE !== enc.value.length) {
      throw new FuzzFailure('encode', 'planSize disagrees with encodePlan', `${planSize(plan.value.ops)} + ${FRAME_HEADER_SIZE} != ${enc.value.length}`);
    }
  }

  // config.json's process as an exec --process file, joining the container's namespaces.
  const joinTypes = new Set((spec.linux?.namespaces ?? []).map((n) => n.type as string));
  if (spec.process) {
    const proc = spec.process;
    note('exec', attempt('exec', () => {
      const p = validateProcess(proc, 'process.json');
      const ep = buildExecPlan(p, { initPid: INIT_PID, joinTypes, extraFds: v % 2, consoleSocket: ctx.consoleSocket, seccomp });
      describePlan(ep);
      return encodePlan(ep.ops);
    }));
  }
  // Hooks run in the container's namespaces.
  for (const phase of ['createContainer', 'startContainer'] as const) {
    for (const hook of spec.hooks?.[phase] ?? []) {
      const asProcess = phase === 'startContainer' && spec.process ? { proc: spec.process, chrootRoot: !joinTypes.has('mount') } : undefined;
      note('hooks', attempt('hooks', () => encodePlan(buildHookPlan(hook, { initPid: INIT_PID, joinTypes, asProcess }).ops)));
    }
  }
  return first ? rejected(first.stage, first.error) : done({ outcome: 'created' });
}

/** Runs a case and turns a slow one into a failure too. */
export function checkCase(text: string, opts: PipelineOptions & { slowMs: number }): CaseResult {
  const r = runPipeline(text, opts);
  if (r.ms > opts.slowMs) throw new FuzzFailure('time', 'too slow', `${Math.round(r.ms)} ms (limit ${opts.slowMs} ms): a hang in the making`);
  return r;
}

// ---- minimisation ------------------------------------------------------------------------------

type Step = (v: Json) => Json | undefined;

/** Candidate simplifications of one node: smaller, or plainer, never larger. */
function simpler(v: Json): Json[] {
  if (Array.isArray(v)) {
    const out: Json[] = [[]];
    if (v.length > 1) out.push(v.slice(0, Math.ceil(v.length / 2)), v.slice(Math.floor(v.length / 2)));
    if (v.length > 1) for (let i = 0; i < Math.min(v.length, 8); i++) out.push([v[i]!]);
    if (v.length === 1) out.push(v[0]!);
    return out;
  }
  if (isObject(v)) return [{}];
  if (typeof v === 'string') {
    const out: Json[] = [];
    if (v.length > 1) out.push(v.slice(0, Math.ceil(v.length / 2)), v.slice(Math.floor(v.length / 2)));
    if (v.length > 60) out.push(v.slice(0, 20) + v.slice(-20));
    if (v !== '') out.push('');
    return out;
  }
  if (typeof v === 'number' && v !== 0) return [0];
  return [];
}

/** Every path in the document, parents first, at most `limit` of them. */
function paths(doc: Json, limit = 4000): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const queue: Array<[Json, Array<string | number>]> = [[doc, []]];
  while (queue.length && out.length < limit) {
    const [v, p] = queue.shift()!;
    out.push(p);
    if (p.length > 60) continue;
    if (Array.isArray(v)) v.forEach((e, i) => queue.push([e, [...p, i]]));
    else if (isObject(v)) for (const [k, e] of Object.entries(v)) queue.push([e, [...p, k]]);
  }
  return out;
}

function edit(doc: Json, p: Array<string | number>, f: (parent: Json, key: string | number) => void): Json {
  const copy = clone(doc);
  let parent: Json = copy;
  for (const k of p.slice(0, -1)) parent = (Array.isArray(parent) ? parent[k as number] : (parent as JsonObject)[k as string])!;
  f(parent, p[p.length - 1]!);
  return copy;
}

/**
 * A smaller document that still fails at the same stage in the same way (greedy: drop fields and
 * elements, simplify values, until nothing more can go). Bounded in attempts and time.
 */
export function minimise(doc: Json, failsSame: (text: string) => boolean, budget = { attempts: 2500, ms: 10_000 }): Json {
  const t0 = Date.now();
  let tries = 0;
  let cur = doc;
  let progress = true;
  const ok = (cand: Json) => {
    tries++;
    return failsSame(toText(cand));
  };
  while (progress && tries < budget.attempts && Date.now() - t0 < budget.ms) {
    progress = false;
    for (const p of paths(cur)) {
      if (tries >= budget.attempts || Date.now() - t0 >= budget.ms) break;
      const steps: Step[] = [];
      if (p.length) {
        steps.push((d) =>
          edit(d, p, (parent, k) => {
            if (Array.isArray(parent)) parent.splice(k as number, 1);
            else delete (parent as JsonObject)[k as string];
          }),
        );
      }
      const node = p.reduce<Json>((v, k) => (Array.isArray(v) ? v[k as number] : (v as JsonObject)[k as string])!, cur);
      for (const s of simpler(node)) {
        steps.push((d) => (p.length === 0 ? s : edit(d, p, (parent, k) => (Array.isArray(parent) ? (parent[k as number] = s) : defineKey(parent as JsonObject, k as string, s)))));
      }
      for (const step of steps) {
        const cand = step(cur);
        if (cand !== undefined && ok(cand)) {
          cur = cand;
          progress = true;
          break;
        }
      }
      if (progress) break;
    }
  }
  return cur;
}

/** The failure report: how to replay the case, what broke, and the smallest document found. */
export function report(f: FuzzFailure, c: { seed: number; index: number; origin: string; mutations: string[]; text: string }, opts: PipelineOptions & { slowMs: number }): string {
  let minimal: string;
  try {
    const doc = JSON.parse(c.text.charCodeAt(0) === 0xfeff ? c.text.slice(1) : c.text) as Json;
    const memo: PipelineOptions['seccompMemo'] = new Map();
    const same = (text: string) => {
      try {
        checkCase(text, { ...opts, seccompMemo: memo, slowMs: f.stage === 'time' ? opts.slowMs : Infinity });
        return false;
      } catch (e) {
        return e instanceof FuzzFailure && e.stage === f.stage && e.kind === f.kind;
      }
    };
    const small = f.stage === 'time' ? doc : minimise(doc, same);
    minimal = toText(small);
  } catch {
    minimal = c.text; // not JSON at all: the text is the case
  }
  if (minimal.length > 4000) minimal = `${minimal.slice(0, 2000)} ...[${minimal.length - 4000} chars]... ${minimal.slice(-2000)}`;
  return [
    `FUZZ FAILURE at case ${c.index} of seed ${c.seed} (from ${c.origin}; variant ${opts.variant})`,
    `  stage: ${f.stage}: ${f.kind}`,
    `  detail: ${f.detail.split('\n').slice(0, 12).join('\n    ')}`,
    `  mutations: ${c.mutations.join('; ')}`,
    `  replay: node dist/scripts/fuzz.js --seed ${c.seed} --index ${c.index}`,
    `  minimal config.json: ${minimal}`,
  ].join('\n');
}
