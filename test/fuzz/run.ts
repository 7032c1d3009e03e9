/**
 * A fuzz run: cases 0..count-1 of a seed, three in four a mutated seed document and one in four
 * a random document (case i is random when i % 4 === 3), each through the pipeline. Case i
 * depends only on (seed, i), so any case replays alone.
 */
import { makeCase, type FuzzCase } from './mutate.js';
import { FuzzFailure, checkCase, report, type CaseResult, type PipelineOptions } from './pipeline.js';
import { seeds, type Seed } from './seeds.js';

export interface RunOptions {
  seed: number;
  count: number;
  /** First case index (default 0). */
  start?: number;
  /** A case slower than this fails (a hang in the making). */
  slowMs?: number;
  /** Stop after this many failures (default 5). */
  maxFailures?: number;
  /** Called after every case. */
  onCase?: (c: FuzzCase, r: CaseResult | undefined, failure: string | undefined) => void;
}

export interface RunSummary {
  cases: number;
  created: number;
  /** Rejections by the stage that refused: parse, validate, seccomp, cgroups, plan ... */
  rejected: Record<string, number>;
  failures: string[];
  ms: number;
  slowest: { index: number; ms: number };
}

let cachedSeeds: Seed[] | undefined;
export function seedDocs(): Seed[] {
  return (cachedSeeds ??= seeds());
}

export function caseAt(seed: number, index: number): FuzzCase {
  return makeCase(seed, index, seedDocs(), index % 4 === 3);
}

export function optionsFor(index: number, slowMs: number, memo?: PipelineOptions['seccompMemo']): PipelineOptions & { slowMs: number } {
  return { variant: index % 8, slowMs, seccompMemo: memo };
}

/** Runs one case; returns its result, or the failure report. */
export function runCase(c: FuzzCase, slowMs: number, memo?: PipelineOptions['seccompMemo']): { result?: CaseResult; failure?: string } {
  const opts = optionsFor(c.index, slowMs, memo);
  try {
    return { result: checkCase(c.text, opts) };
  } catch (e) {
    if (!(e instanceof FuzzFailure)) throw e;
    return { failure: report(e, c, opts) };
  }
}

export function runFuzz(opts: RunOptions): RunSummary {
  const t0 = performance.now();
  const slowMs = opts.slowMs ?? 3000;
  const memo: PipelineOptions['seccompMemo'] = new Map();
  const sum: RunSummary = { cases: 0, created: 0, rejected: {}, failures: [], ms: 0, slowest: { index: -1, ms: 0 } };
  const start = opts.start ?? 0;
  for (let i = start; i < start + opts.count; i++) {
    if (memo.size > 2000) memo.clear();
    const c = caseAt(opts.seed, i);
    const { result, failure } = runCase(c, slowMs, memo);
    sum.cases++;
    if (failure) sum.failures.push(failure);
    else if (result!.outcome === 'created') sum.created++;
    else sum.rejected[result!.stage!] = (sum.rejected[result!.stage!] ?? 0) + 1;
    if (result && result.ms > sum.slowest.ms) sum.slowest = { index: i, ms: result.ms };
    opts.onCase?.(c, result, failure);
    if (sum.failures.length >= (opts.maxFailures ?? 5)) break;
  }
  sum.ms = performance.now() - t0;
  return sum;
}
