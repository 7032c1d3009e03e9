// The conformance runner: every test of tests.ts against every --runtime, each runtime with its
// own private --root, then a markdown table (requirement × runtime) and, for the FIRST runtime,
// a last line "conformance: N passed, N failed, N skipped"; the exit status is 1 when that runtime
// failed any test. A known deviation counts as a skip only where deviations.ts declares it for
// that runtime and test.
//
//   node dist/conformance/run.js --runtime runc=/usr/sbin/runc \
//     --runtime crun="bash conformance/crun-wrapper.sh" --rootfs build/rootfs-busybox [--only NAME]
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Aborted, Ctx, Fail, type Limits, type Runtime, Skip, describe, listDir, ok, parseRuntime, realpath } from './lib.js';
import { Deviation, type Observed, type Outcome, judge } from './deviations.js';
import { type Test, tests } from './tests.js';

interface Options {
  runtimes: Runtime[];
  rootfs: string;
  only: string[];
  testMs: number;
  limits: Limits;
  list: boolean;
}

const USAGE = `usage: node dist/conformance/run.js --runtime NAME=COMMAND [--runtime NAME=COMMAND ...]
                                       --rootfs DIR [--only NAME ...] [--timeout SECONDS] [--list]

  --runtime NAME=COMMAND  a runtime to test; COMMAND may have arguments ("bash conformance/crun-wrapper.sh").
                          The first one listed decides the summary line and the exit status.
  --rootfs DIR            the busybox rootfs (make rootfs builds build/rootfs-busybox)
  --only NAME             run only this test (repeatable; NAME* matches a prefix, e.g. --only 'delete.*')
  --timeout SECONDS       per-test time limit (default 20)
  --list                  print the tests and exit`;

function usage(msg: string): never {
  process.stderr.write(`conformance: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runtimes: [], rootfs: '', only: [], testMs: 20_000, limits: { commandMs: 10_000, waitMs: 5_000 }, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--runtime':
        try {
          o.runtimes.push(parseRuntime(value()));
        } catch (e) {
          usage((e as Error).message);
        }
        break;
      case '--rootfs':
        o.rootfs = value();
        break;
      case '--only':
        o.only.push(value());
        break;
      case '--timeout': {
        const s = Number(value());
        if (!(s > 0)) usage('--timeout wants a positive number of seconds');
        o.testMs = s * 1000;
        o.limits.commandMs = Math.min(o.limits.commandMs, o.testMs);
        break;
      }
      case '--list':
        o.list = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      default:
        usage(`unknown argument ${a}`);
    }
  }
  if (o.list) return o;
  if (o.runtimes.length === 0) usage('at least one --runtime is needed');
  const names = o.runtimes.map((r) => r.name);
  if (new Set(names).size !== names.length) usage('runtime names must differ');
  if (!o.rootfs) usage('--rootfs is needed');
  if (!existsSync(path.join(o.rootfs, 'bin/sh'))) usage(`--rootfs ${o.rootfs} has no bin/sh (build it: make rootfs)`);
  o.rootfs = realpath(o.rootfs); // runc refuses a rootfs reached through a symlink
  return o;
}

function selected(o: Options): Test[] {
  if (o.only.length === 0) return tests;
  const match = (t: Test, pat: string) => (pat.endsWith('*') ? t.name.startsWith(pat.slice(0, -1)) : t.name === pat);
  for (const pat of o.only) if (!tests.some((t) => match(t, pat))) usage(`--only ${pat}: no such test (see --list)`);
  return tests.filter((t) => o.only.some((pat) => match(t, pat)));
}

// ---------------------------------------------------------------------------------------------

let interrupted = false;
let current: Ctx | null = null;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`conformance: ${sig}: stopping after cleanup (again to quit now)\n`);
    current?.abort();
  });
}

async function runOne(t: Test, c: Ctx, ms: number): Promise<Observed> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Observed>((resolve) => {
    timer = setTimeout(() => {
      c.abort();
      resolve({ kind: 'fail', reason: `timed out after ${ms / 1000} s` });
    }, ms);
  });
  const body = t.run(c).then(
    (): Observed => ({ kind: 'pass' }),
    (e: unknown): Observed => {
      if (e instanceof Deviation) return { kind: 'deviation', deviation: e.deviation };
      if (e instanceof Skip) return { kind: 'skip', reason: e.message };
      if (e instanceof Fail) return { kind: 'fail', reason: e.message };
      if (e instanceof Aborted) return { kind: 'fail', reason: interrupted ? 'interrupted' : `timed out after ${ms / 1000} s` };
      return { kind: 'fail', reason: `test error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
    },
  );
  try {
    return await Promise.race([body, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** delete --force every id the test used; a note for each one that survives it. */
async function cleanup(c: Ctx, fresh: Ctx): Promise<string[]> {
  c.abort(); // anything of the test's still running (a hung command) goes first
  const notes: string[] = [];
  for (const id of c.ids) {
    const r = await fresh.rt(['delete', '--force', id]);
    if (r.timedOut) {
      notes.push(`cleanup: ${describe(r)}; the other ids are left to the final sweep`);
      break;
    }
    if (ok(await fresh.rt(['state', id]))) notes.push(`cleanup: container ${id} survives \`delete --force\` (${describe(r)})`);
  }
  return notes;
}

/** After this many tests in a row time out on a runtime, its other tests are not run (a hung runtime). */
const MAX_TIMEOUTS_IN_A_ROW = 3;

interface Row {
  test: Test;
  results: Map<string, Outcome>;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const chosen = selected(o);
  if (o.list) {
    for (const t of chosen) process.stdout.write(`${t.name}\t${t.section}\t${t.quote}\n`);
    return 0;
  }
  const base = await mkdtemp(path.join(os.tmpdir(), 'oci-conformance-'));
  const runTag = randomBytes(3).toString('hex');
  const rows: Row[] = chosen.map((test) => ({ test, results: new Map() }));
  const notes: string[] = [];
  try {
    for (const [ri, runtime] of o.runtimes.entries()) {
      const root = path.join(base, `${runtime.name}.root`);
      await mkdir(root, { mode: 0o700 });
      let timeoutsInARow = 0;
      for (const [ti, row] of rows.entries()) {
        if (interrupted) break;
        if (timeoutsInARow >= MAX_TIMEOUTS_IN_A_ROW) {
          row.results.set(runtime.name, { kind: 'fail', reason: `not run: ${runtime.name} timed out in ${MAX_TIMEOUTS_IN_A_ROW} tests in a row` });
          continue;
        }
        const work = path.join(base, runtime.name, row.test.name);
        await mkdir(work, { recursive: true });
        const prefix = `oc${runTag}r${ri}t${ti}`;
        const c = new Ctx(runtime, root, o.rootfs, work, prefix, o.limits);
        current = c;
        const started = Date.now();
        let outcome = judge(runtime.name, row.test.name, await runOne(row.test, c, o.testMs));
        current = null;
        const left = await cleanup(c, new Ctx(runtime, root, o.rootfs, work, `${prefix}c`, o.limits));
        if (left.length) {
          notes.push(...left.map((n) => `${runtime.name} / ${row.test.name}: ${n}`));
          if (outcome.kind === 'pass') outcome = { kind: 'fail', reason: left.join('; ') };
        }
        row.results.set(runtime.name, outcome);
        timeoutsInARow = outcome.kind === 'fail' && outcome.reason.startsWith('timed out') ? timeoutsInARow + 1 : 0;
        process.stderr.write(`${runtime.name.padEnd(8)} ${outcome.kind.padEnd(4)} ${row.test.name} (${Date.now() - started} ms)\n`);
        await rm(work, { recursive: true, force: true });
      }
      // Whatever is still under the private root was not cleaned up by a test: say so, remove it.
      const cleaner = new Ctx(runtime, root, o.rootfs, base, `oc${runTag}r${ri}z`, o.limits);
      for (const entry of listDir(root)) {
        const r = await cleaner.rt(['delete', '--force', entry]);
        notes.push(`${runtime.name}: --root still held "${entry}" after the tests (delete --force: ${ok(r) ? 'done' : describe(r)})`);
      }
      await rm(root, { recursive: true, force: true });
    }
  } finally {
    await rm(base, { recursive: true, force: true }).catch((e: Error) => notes.push(`could not remove ${base}: ${e.message}`));
  }
  return report(o, rows, notes);
}

function cell(x: Outcome | undefined): string {
  if (!x) return '–';
  return x.kind === 'pass' ? 'pass' : x.kind === 'fail' ? '**FAIL**' : 'skip';
}

function report(o: Options, rows: Row[], notes: string[]): number {
  const names = o.runtimes.map((r) => r.name);
  const out: string[] = [];
  out.push(`| requirement (runtime.md) | ${names.join(' | ')} |`);
  out.push(`|---|${names.map(() => '---').join('|')}|`);
  for (const r of rows) {
    const quote = r.test.quote.replace(/\|/g, '\\|');
    out.push(`| \`${r.test.name}\` ${r.test.section}: "${quote}" | ${names.map((n) => cell(r.results.get(n))).join(' | ')} |`);
  }
  const details: string[] = [];
  for (const kind of ['fail', 'skip'] as const) {
    for (const r of rows)
      for (const n of names) {
        const x = r.results.get(n);
        if (x?.kind === kind) details.push(`- ${kind === 'fail' ? 'FAIL' : 'skip'} \`${r.test.name}\` on ${n}: ${x.reason.replace(/\n/g, '\n  ')}`);
      }
  }
  if (details.length) out.push('', ...details);
  if (notes.length) out.push('', ...notes.map((n) => `- note: ${n}`));
  out.push('');
  const tally = (n: string) => {
    const xs = rows.map((r) => r.results.get(n));
    const count = (k: Outcome['kind']) => xs.filter((x) => x?.kind === k).length;
    return { failed: count('fail'), line: `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped` };
  };
  for (const n of names) out.push(`${n}: ${tally(n).line}`);
  const first = tally(names[0]!);
  out.push(`conformance: ${first.line}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return first.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(interrupted ? 130 : code),
  (e: unknown) => {
    process.stderr.write(`conformance: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
