/**
 * The long fuzz run of config.json handling (the CI run is test/unit/fuzz.test.ts):
 *
 *   node dist/scripts/fuzz.js [--seed N] [--count M] [--start K] [--jobs J] [--save DIR]
 *   node dist/scripts/fuzz.js --seed N --index I        replay one case, print it and its outcome
 *
 * Cases run in worker threads; the main thread watches them, so a case that hangs (an endless
 * loop, a catastrophic regex) is reported with its seed and index instead of stalling the run.
 * Prints progress, and every failure with how to replay it and a minimised config.json. Exits 1
 * when a case broke the contract (see test/fuzz/pipeline.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { caseAt, runCase, type RunSummary } from '../test/fuzz/run.js';
import type { PipelineOptions } from '../test/fuzz/pipeline.js';

interface Job {
  seed: number;
  start: number;
  end: number;
  jobs: number;
  job: number;
  slowMs: number;
  /** Int32Array over a SharedArrayBuffer: [current index, cases done] per job. */
  beat: SharedArrayBuffer;
}

type FromWorker = { kind: 'failure'; index: number; report: string; text: string } | { kind: 'done'; summary: RunSummary };

const USAGE = `usage: node dist/scripts/fuzz.js [--seed N] [--count M] [--start K] [--jobs J] [--slow-ms MS] [--hang-ms MS] [--max-failures F] [--save DIR]
       node dist/scripts/fuzz.js --seed N --index I`;

function worker(): void {
  const job = workerData as Job;
  const beat = new Int32Array(job.beat);
  const memo: PipelineOptions['seccompMemo'] = new Map();
  const sum: RunSummary = { cases: 0, created: 0, rejected: {}, failures: [], ms: 0, slowest: { index: -1, ms: 0 } };
  const t0 = performance.now();
  for (let i = job.start + job.job; i < job.end; i += job.jobs) {
    Atomics.store(beat, job.job * 2, i);
    if (memo.size > 2000) memo.clear();
    const c = caseAt(job.seed, i);
    const { result, failure } = runCase(c, job.slowMs, memo);
    sum.cases++;
    if (failure) {
      sum.failures.push(failure);
      parentPort!.postMessage({ kind: 'failure', index: i, report: failure, text: c.text } satisfies FromWorker);
    } else if (result!.outcome === 'created') sum.created++;
    else sum.rejected[result!.stage!] = (sum.rejected[result!.stage!] ?? 0) + 1;
    if (result && result.ms > sum.slowest.ms) sum.slowest = { index: i, ms: result.ms };
    Atomics.add(beat, job.job * 2 + 1, 1);
  }
  sum.ms = performance.now() - t0;
  parentPort!.postMessage({ kind: 'done', summary: sum } satisfies FromWorker);
}

function replay(seed: number, index: number, slowMs: number): number {
  const c = caseAt(seed, index);
  console.log(`case ${index} of seed ${seed}, from ${c.origin}`);
  console.log(`mutations: ${c.mutations.join('; ')}`);
  console.log(`config.json (${c.text.length} chars):`);
  console.log(c.text.length > 20_000 ? `${c.text.slice(0, 10_000)}\n...[${c.text.length - 20_000} chars]...\n${c.text.slice(-10_000)}` : c.text);
  const { result, failure } = runCase(c, slowMs);
  if (failure) {
    console.log(failure);
    return 1;
  }
  console.log(`outcome: ${result!.outcome}${result!.stage ? ` at ${result!.stage}` : ''} (${Math.round(result!.ms)} ms CPU)`);
  if (result!.message) console.log(`message: ${result!.message}`);
  return 0;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      count: { type: 'string', default: '200000' },
      start: { type: 'string', default: '0' },
      index: { type: 'string' },
      jobs: { type: 'string', default: '1' },
      'slow-ms': { type: 'string', default: '5000' },
      'hang-ms': { type: 'string', default: '60000' },
      'max-failures': { type: 'string', default: '20' },
      save: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const int = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      console.error(`fuzz: --${name}: not a non-negative integer: ${v}\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : int('seed', values.seed);
  const slowMs = int('slow-ms', values['slow-ms']);
  if (values.index !== undefined) return replay(seed, int('index', values.index), slowMs);

  const count = int('count', values.count);
  const start = int('start', values.start);
  const jobs = Math.max(1, int('jobs', values.jobs));
  const hangMs = int('hang-ms', values['hang-ms']);
  const maxFailures = int('max-failures', values['max-failures']);
  console.log(`fuzz: seed ${seed}, cases ${start}..${start + count - 1}, ${jobs} job(s)`);

  const beat = new Int32Array(new SharedArrayBuffer(8 * jobs));
  const sums: RunSummary[] = [];
  let failures = 0;
  const t0 = performance.now();
  const workers = Array.from({ length: jobs }, (_, job) => {
    beat[job * 2] = -1;
    const w = new Worker(new URL(import.meta.url), { stderr: true, workerData: { seed, start, end: start + count, jobs, job, slowMs, beat: beat.buffer } satisfies Job });
    // src/sys/libseccomp.ts closes a memfd that Node did not open: harmless, but a worker warns each time.
    w.stderr.on('data', (d: Buffer) => {
      const text = d.toString().split('\n').filter((l) => l && !/closed but not opened in unmanaged mode|--trace-warnings/.test(l));
      if (text.length) process.stderr.write(text.join('\n') + '\n');
    });
    return { w, job, done: false, lastIndex: -1, lastChange: performance.now() };
  });

  await new Promise<void>((resolve) => {
    const finish = () => {
      if (workers.every((x) => x.done)) resolve();
    };
    for (const x of workers) {
      x.w.on('message', (m: FromWorker) => {
        if (m.kind === 'failure') {
          failures++;
          console.log(`\n${m.report}\n`);
          if (values.save) {
            mkdirSync(values.save, { recursive: true });
            writeFileSync(join(values.save, `seed-${seed}-case-${m.index}.json`), m.text);
          }
          if (failures >= maxFailures) {
            console.log(`fuzz: ${failures} failures, stopping`);
            for (const y of workers) void y.w.terminate();
          }
        } else {
          sums.push(m.summary);
          x.done = true;
          finish();
        }
      });
      x.w.on('error', (e) => {
        failures++;
        console.log(`\nFUZZ FAILURE: worker ${x.job} crashed near case ${Atomics.load(beat, x.job * 2)} of seed ${seed}: ${e.stack ?? e}`);
        console.log(`  replay: node dist/scripts/fuzz.js --seed ${seed} --index ${Atomics.load(beat, x.job * 2)}\n`);
        x.done = true;
        finish();
      });
      x.w.on('exit', () => {
        x.done = true;
        finish();
      });
    }
    const timer = setInterval(() => {
      const now = performance.now();
      let done = 0;
      for (const x of workers) {
        done += Atomics.load(beat, x.job * 2 + 1);
        const i = Atomics.load(beat, x.job * 2);
        if (i !== x.lastIndex) {
          x.lastIndex = i;
          x.lastChange = now;
        } else if (!x.done && now - x.lastChange > hangMs) {
          failures++;
          console.log(`\nFUZZ FAILURE at case ${i} of seed ${seed}: no progress for ${Math.round((now - x.lastChange) / 1000)} s (a hang)`);
          console.log(`  replay: node dist/scripts/fuzz.js --seed ${seed} --index ${i}\n`);
          x.done = true;
          void x.w.terminate();
        }
      }
      const s = (now - t0) / 1000;
      console.log(`fuzz: ${done}/${count} cases, ${failures} failure(s), ${s.toFixed(0)} s, ${(done / s).toFixed(0)} cases/s`);
      if (workers.every((x) => x.done)) {
        clearInterval(timer);
        resolve();
      }
    }, 10_000);
    timer.unref();
  });

  const total = sums.reduce(
    (a, s) => {
      a.cases += s.cases;
      a.created += s.created;
      for (const [k, v] of Object.entries(s.rejected)) a.rejected[k] = (a.rejected[k] ?? 0) + v;
      if (s.slowest.ms > a.slowest.ms) a.slowest = s.slowest;
      return a;
    },
    { cases: 0, created: 0, rejected: {} as Record<string, number>, slowest: { index: -1, ms: 0 } },
  );
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `fuzz: seed ${seed}: ${total.cases} cases in ${secs} s: ${total.created} planned, rejected at ` +
      `${Object.entries(total.rejected).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; slowest case ${total.slowest.index} ` +
      `(${Math.round(total.slowest.ms)} ms CPU); ${failures} failure(s)`,
  );
  return failures ? 1 : 0;
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(2);
    },
  );
} else {
  worker();
}
