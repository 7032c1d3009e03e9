/**
 * `make bench`: tsrun (on each JavaScript engine found) measured beside runc and crun in the same
 * run, the runtimes alternating within every round. Writes test/bench/results.md (the table) and
 * test/bench/chart.svg, and refreshes the table between the bench markers of README.md.
 *
 * Measured, per runtime:
 *   - `run` of /bin/true from a busybox bundle;
 *   - `create`, `start`, `delete` of a container that exits at once, and their sum;
 *   - `state` of a running container, then `kill KILL` + `delete --force`;
 *   - N (50) containers created in parallel, then started in parallel, then deleted in parallel;
 *   - `ctr run --rm` end to end through a private containerd (runc shim, --runc-binary);
 *   - BENCH_PODS (20) pods through containerd's CRI plugin in parallel, each with one container:
 *     RunPodSandbox, CreateContainer, StartContainer, ExecSync, StopPodSandbox, RemovePodSandbox
 *     (tsrun and runc, each a runtime handler of the same daemon; test/cri/);
 *   - the init's RSS, thread count and cgroup memory charge between create and start, and the
 *     smallest memory limit under which `run` of /bin/true succeeds (binary search);
 *   - each engine's empty-script start (`node -e 0`, NODE_EXTRA_CA_CERTS unset).
 *
 * Every container gets a unique id and cgroup (/<bench id>/<container id>), every runtime a
 * private --root under a temp dir; everything is removed at the end, on failure and on a signal
 * (and `bench.js cleanup` does it again from the manifest, for test/bench/run.sh's trap).
 *
 * Settings (environment): BENCH_RUNS (rounds, default 10), BENCH_PARALLEL (containers, 50),
 * BENCH_PARALLEL_RUNS (3, also the pods' rounds), BENCH_PODS (20), BENCH_FOOTPRINT_RUNS (5), BENCH_MEM_TRIES (3), BENCH_MEM_STEP_KIB (16),
 * BENCH_ENGINES (auto | comma list of node, bun, deno, each optionally name=/path/to/binary),
 * BENCH_OPS (comma list of engines,run,lifecycle,state,parallel,ctr,pods,footprint,memlimit,images),
 * BENCH_OUT (output dir, default test/bench), BENCH_README (0: leave README.md alone),
 * BENCH_TMP and BENCH_ID (set by run.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { type CriSettings, privateContainerdConfig } from '../support/containerd-config.js';
import { CriClient } from '../cri/client.js';
import { CRI_NS, containerConfig, criSettings, pauseArchive, podConfig } from '../cri/pods.js';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_REF, buildImageArchive } from '../integration/managers/image.js';
import {
  ENV, exited, killPids, output, pidsWithCmdline, procStatus, readPidFile, removeCgroupTree, setErrLog, sleep,
  sleepSync, timeAsync, timeSync, type Timed, cgroupMemoryKiB, median, versionOf, waitExited, which,
} from './lib.js';
import { type Column, type EngineBaseline, type Row, add, chartSvg, engineRatios, fmt, markdown, newRow, value } from './report.js';
import { benchImages, imagesMarkdown } from './images.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ROOTFS = join(REPO, 'build', 'rootfs-busybox');
const MAIN_MODULES = join(REPO, 'dist', 'src', 'cli', 'main.js');
/** What bin/tsrun runs: the per-command bundles when built, else tsc's modules. */
const MAIN_JS = !process.env.TSRUN_MODULES && existsSync(join(REPO, 'dist', 'cjs', 'main.cjs')) ? join(REPO, 'dist', 'cjs', 'main.cjs') : MAIN_MODULES;

function intEnv(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${v}: want a positive integer`);
  return n;
}

const RUNS = intEnv('BENCH_RUNS', 10);
const PAR = intEnv('BENCH_PARALLEL', 50);
const PAR_RUNS = intEnv('BENCH_PARALLEL_RUNS', 3);
const FOOT_RUNS = intEnv('BENCH_FOOTPRINT_RUNS', 5);
const MEM_TRIES = intEnv('BENCH_MEM_TRIES', 3);
const MEM_STEP = intEnv('BENCH_MEM_STEP_KIB', 16) * 1024;
const PODS = intEnv('BENCH_PODS', 20);
const ALL_OPS = ['engines', 'run', 'lifecycle', 'state', 'parallel', 'ctr', 'pods', 'footprint', 'memlimit', 'images'];
/** The image rows (images.ts): rounds and the image's file count. */
const IMAGE_RUNS = intEnv('BENCH_IMAGE_RUNS', 3);
const IMAGE_FILES = intEnv('BENCH_IMAGE_FILES', 5_000);
const OPS = new Set((process.env.BENCH_OPS || ALL_OPS.join(',')).split(',').map((s) => s.trim()).filter(Boolean));
const OUT = resolve(process.env.BENCH_OUT || join(REPO, 'test', 'bench'));
const BENCH_ID = process.env.BENCH_ID || `tsb${process.pid}`;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Runtimes and the manifest of what to clean up.

interface Runtime extends Column {
  /** The command line that starts the runtime (before its global flags). */
  argv: string[];
  /** What containerd's shim runs as the runc binary (one path). */
  shimBin: string;
  root: string;
  rootfs: string;
  /** Why the runtime cannot be measured at all (it fails its warm-up). */
  broken?: string;
}

interface Engine { name: string; bin: string; empty: string[]; tsrun: string[]; env: Record<string, string> }

interface Manifest {
  id: string;
  tmp: string;
  runtimes: { key: string; argv: string[]; root: string }[];
  holderPid?: number;
  ctd?: { dir: string; address: string; daemonPid: number };
}

const manifestPath = (tmp: string) => join(tmp, 'manifest.json');

function saveManifest(m: Manifest): void {
  writeFileSync(manifestPath(m.tmp), JSON.stringify(m, null, 1));
}

/** Removes every container, daemon, namespace holder and cgroup the manifest names. Idempotent. */
function cleanup(m: Manifest): string[] {
  const notes: string[] = [];
  if (m.ctd) {
    const ctr = (args: string[]) => output(['ctr', '--address', m.ctd!.address, '--namespace', m.id, ...args], { timeoutMs: 20_000 });
    if (!exited(m.ctd.daemonPid) && existsSync(m.ctd.address)) {
      const ids = ctr(['containers', 'ls', '-q']).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
      for (const id of ids) {
        notes.push(`containerd container ${id} was left: removed`);
        ctr(['task', 'kill', '-a', '-s', 'SIGKILL', id]);
        sleepSync(200);
        ctr(['task', 'delete', '--force', id]);
        ctr(['containers', 'rm', id]);
      }
    }
    // Stop containerd: TERM to everything naming our temp dir (its shell, the daemon, shims),
    // then KILL what is left after 10 s.
    killPids(pidsWithCmdline(m.ctd.dir), 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (pidsWithCmdline(m.ctd.dir).length && Date.now() < deadline) sleepSync(100);
    const left = pidsWithCmdline(m.ctd.dir);
    if (left.length) {
      notes.push(`killed ${left.length} containerd process(es) that ignored SIGTERM`);
      killPids(left);
      sleepSync(300);
    }
  }
  for (const rt of m.runtimes) {
    let ids: string[] = [];
    try { ids = readdirSync(rt.root); } catch { continue; }
    for (const id of ids) {
      if (!id.startsWith(m.id)) continue;
      const r = output([...rt.argv, '--root', rt.root, 'delete', '--force', id], { timeoutMs: 20_000 });
      notes.push(`${rt.key}: container ${id} was left${r.ok ? '' : ` and delete --force failed: ${r.err}`}`);
    }
  }
  if (m.holderPid && !exited(m.holderPid)) killPids([m.holderPid]);
  const left = removeCgroupTree(`/${m.id}`);
  if (left.length) notes.push(`could not remove cgroups: ${left.join(' ')}`);
  return notes;
}

/** `bench.js cleanup`: run.sh's trap, from the manifest of an interrupted run. */
function cleanupFromManifest(): void {
  const tmp = process.env.BENCH_TMP;
  if (!tmp || !existsSync(manifestPath(tmp))) return;
  const m = JSON.parse(readFileSync(manifestPath(tmp), 'utf8')) as Manifest;
  for (const n of cleanup(m)) log(`clean-up: ${n}`);
}

// ---------------------------------------------------------------------------------------------
// Set-up.

const COLORS = { tsrun: ['#1f5fa8', '#5b9bd5', '#9cc3e6', '#2a3f66'], runc: '#e07b24', crun: '#3a9a4f' };

const BUILT_BUN = join(REPO, 'build', 'engines', 'bun', 'bin', 'bun');
/** What `make` (ENGINE=bun, the default) runs: one program compiled by Bun (scripts/engine.sh). */
const COMPILED_BUN = join(REPO, 'build', 'tsrun-bun');

function detectEngines(tmp: string): Engine[] {
  const spec = (process.env.BENCH_ENGINES || 'auto').trim();
  const wanted: { name: string; bin?: string }[] = spec === 'auto'
    ? [
      { name: 'node' },
      // Bun as `make` installs it (scripts/engine.sh), else from PATH; deno from PATH.
      ...(existsSync(BUILT_BUN) ? [{ name: 'bun', bin: BUILT_BUN }] : which('bun') ? [{ name: 'bun' }] : []),
      ...(which('deno') ? [{ name: 'deno' }] : []),
    ]
    : spec.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const [name, bin] = s.split('=');
      return { name, bin };
    });
  const engines: Engine[] = [];
  for (const w of wanted) {
    const bin = which(w.bin ?? w.name);
    if (!bin) { log(`engine ${w.name}: ${w.bin ?? w.name} not found, skipped`); continue; }
    const kind = /deno/.test(w.name) ? 'deno' : /bun/.test(w.name) ? 'bun' : 'node';
    const empty = kind === 'deno' ? [bin, 'eval', '0'] : [bin, '-e', '0'];
    // Bun runs tsrun as the program `make` compiles (what bin/tsrun execs then).
    const run = kind === 'deno' ? [bin, 'run', '-A', '--quiet', MAIN_JS] : kind === 'bun' && bin === BUILT_BUN && existsSync(COMPILED_BUN) ? [COMPILED_BUN] : [bin, MAIN_JS];
    // deno keeps its caches (V8 code cache included) in DENO_DIR: a private one, warmed up by the
    // warm-up runs like node's page cache.
    const env: Record<string, string> = kind === 'deno' ? { DENO_DIR: join(tmp, `deno-dir-${w.name}`) } : {};
    engines.push({ name: w.name, bin, empty, tsrun: run, env });
  }
  return engines;
}

/**
 * bin/tsrun on node whatever engine `make` chose (bun by default): a copy of the launcher in a
 * private install whose build/engine names node and whose dist/ links to the checkout's. Node
 * resolves the link, so the bundles, their code caches, build/ and node_modules are the
 * checkout's own: the same launcher and exec as `make ENGINE=node`, with no shell in between.
 * Made once per run (both the direct calls and the shim's use it).
 */
function nodeLauncher(tmp: string, node: string): string {
  const root = join(tmp, 'node-install');
  const launcher = join(root, 'bin', 'tsrun');
  if (existsSync(launcher)) return launcher;
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(join(root, 'build', 'engine'), `${node}\n`);
  symlinkSync(join(REPO, 'dist'), join(root, 'dist'));
  copyFileSync(join(REPO, 'bin', 'tsrun'), launcher);
  chmodSync(launcher, 0o755);
  return launcher;
}

/** What runs tsrun on an engine: bin/tsrun made to run node, the compiled program itself, else a shell wrapper. */
function engineWrapper(tmp: string, e: Engine): string {
  if (e.name === 'node' && e.bin === which('node')) return nodeLauncher(tmp, e.bin);
  // A compiled program needs no wrapper: it is what bin/tsrun would exec.
  if (e.tsrun.length === 1 && Object.keys(e.env).length === 0) return e.tsrun[0]!;
  const p = join(tmp, 'bin', `tsrun-${e.name}`);
  mkdirSync(dirname(p), { recursive: true });
  const env = Object.entries(e.env).map(([k, v]) => `export ${k}='${v}'\n`).join('');
  writeFileSync(p, `#!/bin/sh\nunset NODE_EXTRA_CA_CERTS\n${env}exec ${e.tsrun.map((a) => `'${a}'`).join(' ')} "$@"\n`, { mode: 0o755 });
  return p;
}

/** Whether the host is a cgroup v1 + v2 hybrid (crun 1.8 refuses it). */
function isHybrid(): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => {
      const f = l.split(' ');
      const dash = f.indexOf('-');
      return f[4] === '/sys/fs/cgroup/unified' && f[dash + 1] === 'cgroup2';
    });
  } catch {
    return false;
  }
}

/**
 * A process holding a private mount namespace without /sys/fs/cgroup/unified, for crun
 * (`nsenter --mount=/proc/<pid>/ns/mnt crun ...`: cheaper than an `unshare` per command). It
 * exits when its stdin (our pipe) closes.
 */
async function startHolder(tmp: string): Promise<ChildProcess> {
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c',
    'umount -l /sys/fs/cgroup/unified || exit 1; echo ready; read -r _', 'tsrun-bench-crun-ns', tmp], {
    stdio: ['pipe', 'pipe', 'inherit'], env: ENV,
  });
  const ready = await new Promise<boolean>((res) => {
    let buf = '';
    child.stdout!.on('data', (d) => { buf += d; if (buf.includes('ready')) res(true); });
    child.on('exit', () => res(false));
    child.on('error', () => res(false));
    setTimeout(() => res(false), 10_000);
  });
  if (!ready) throw new Error('could not make a private mount namespace for crun');
  return child;
}

/**
 * What containerd's shim runs as crun: like conformance/crun-wrapper.sh (a fresh private mount
 * namespace without /sys/fs/cgroup/unified, then exec crun), as one sh script. It must start from
 * the shim's own mount namespace, where containerd mounted the container's rootfs.
 */
function crunShimWrapper(tmp: string, crun: string): string {
  const p = join(tmp, 'bin', 'crun-unshare');
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, `#!/bin/sh\nexec unshare --mount --propagation private -- /bin/sh -c 'umount -l /sys/fs/cgroup/unified || exit 125; exec "$@"' crun-unshare '${crun}' "$@"\n`, { mode: 0o755 });
  return p;
}

// The base config: runc's own default spec (`runc spec`), made non-interactive.
let BASE: any;

function writeBundle(tmp: string, rt: Runtime, id: string, args: string[], memLimit?: number): string {
  const dir = join(tmp, 'bundles', id);
  mkdirSync(dir, { recursive: true });
  const c = structuredClone(BASE);
  c.process.args = args;
  c.process.terminal = false;
  c.process.env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  c.root = { path: rt.rootfs, readonly: true };
  c.hostname = 'bench';
  c.linux.cgroupsPath = `/${BENCH_ID}/${id}`;
  if (memLimit !== undefined) c.linux.resources = { ...(c.linux.resources ?? {}), memory: { limit: memLimit } };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, 1));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// The measurements.

let seq = 0;
const newId = (rt: Runtime, op: string) => `${BENCH_ID}-${rt.key}-${op}${seq++}`;

/** The runtimes in the order of round r: rotated, so each goes first equally often. */
function order<T>(list: T[], r: number): T[] {
  const k = r % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

const cmd = (rt: Runtime, ...args: string[]) => [...rt.argv, '--root', rt.root, ...args];

class Results {
  rows: Row[] = [];
  fails = new Map<string, { n: number; first: string }>();
  row(key: string, label: string, unit: Row['unit'], chart?: Row['chart'], short?: string): Row {
    let r = this.rows.find((x) => x.key === key);
    if (!r) { r = newRow(key, label, unit, chart, short); this.rows.push(r); }
    return r;
  }
  record(row: Row, rt: Runtime, t: Timed): boolean {
    if (t.ok) add(row, rt.key, t.ms);
    else this.fail(row, rt, t.err);
    return t.ok;
  }
  fail(row: Row, rt: Runtime, err: string): void {
    const k = `${row.key}\0${rt.key}`;
    const f = this.fails.get(k);
    if (f) f.n++; else this.fails.set(k, { n: 1, first: err });
    row.na[rt.key] ??= `${rt.label} failed: ${err}`;
  }
  /** A sample not taken because an earlier step failed (not counted as a failure). */
  skip(row: Row, rt: Runtime, why: string): void {
    row.na[rt.key] ??= why;
  }
  /** Notes for cells that have values but also failures. */
  partialNotes(): string[] {
    const notes: string[] = [];
    for (const [k, f] of this.fails) {
      const [rowKey, col] = k.split('\0');
      const row = this.rows.find((r) => r.key === rowKey)!;
      if (row.samples[col]?.length) notes.push(`${row.label}, ${col}: ${f.n} failed sample(s) left out (first: ${f.first})`);
    }
    return notes;
  }
}

function forceDelete(rt: Runtime, id: string): void {
  output(cmd(rt, 'delete', '--force', id), { timeoutMs: 30_000 });
}

function opRun(tmp: string, rts: Runtime[], res: Results): void {
  const row = res.row('run', '`run` /bin/true', 'ms', 'time', 'run /bin/true');
  for (let r = 0; r < RUNS; r++) {
    log(`run /bin/true: round ${r + 1}/${RUNS}`);
    for (const rt of order(rts, r)) {
      const id = newId(rt, 'run');
      const b = writeBundle(tmp, rt, id, ['/bin/true']);
      if (!res.record(row, rt, timeSync(cmd(rt, 'run', '--bundle', b, id)))) forceDelete(rt, id);
    }
  }
}

function opLifecycle(tmp: string, rts: Runtime[], res: Results): void {
  const rc = res.row('create', '`create`', 'ms', 'time');
  const rs = res.row('start', '`start`', 'ms', 'time');
  const rd = res.row('delete', '`delete` (stopped)', 'ms', 'time', 'delete');
  const rl = res.row('lifecycle', '`create` + `start` + `delete`', 'ms', 'time', 'create + start + delete');
  for (let r = 0; r < RUNS; r++) {
    log(`create + start + delete: round ${r + 1}/${RUNS}`);
    for (const rt of order(rts, r)) {
      const id = newId(rt, 'life');
      const b = writeBundle(tmp, rt, id, ['/bin/true']);
      const pf = join(b, 'pid');
      const c = timeSync(cmd(rt, 'create', '--bundle', b, '--pid-file', pf, id));
      if (!res.record(rc, rt, c)) { res.fail(rl, rt, c.err); forceDelete(rt, id); continue; }
      const pid = readPidFile(pf);
      const s = timeSync(cmd(rt, 'start', id));
      if (!res.record(rs, rt, s)) { res.fail(rl, rt, s.err); forceDelete(rt, id); continue; }
      // The container exits at once; delete wants it stopped (not timed: the container's own time).
      if (pid && !waitExited(pid)) { res.fail(rd, rt, 'container did not exit'); forceDelete(rt, id); continue; }
      const d = timeSync(cmd(rt, 'delete', id));
      if (!res.record(rd, rt, d)) { res.fail(rl, rt, d.err); forceDelete(rt, id); continue; }
      add(rl, rt.key, c.ms + s.ms + d.ms);
    }
  }
}

function opStateKill(tmp: string, rts: Runtime[], res: Results): void {
  const rst = res.row('state', '`state` (running)', 'ms', 'time', 'state');
  const rk = res.row('kill', '`kill` KILL', 'ms');
  const rdf = res.row('delete-force', '`delete --force`', 'ms');
  const rkd = res.row('kill-delete', '`kill` + `delete --force`', 'ms', 'time', 'kill + delete -f');
  for (let r = 0; r < RUNS; r++) {
    log(`state, kill + delete --force: round ${r + 1}/${RUNS}`);
    for (const rt of order(rts, r)) {
      const id = newId(rt, 'st');
      const b = writeBundle(tmp, rt, id, ['/bin/sleep', '3600']);
      const c = timeSync(cmd(rt, 'create', '--bundle', b, id));
      const s = c.ok ? timeSync(cmd(rt, 'start', id)) : c;
      if (!s.ok) { for (const row of [rst, rkd]) res.fail(row, rt, `setup (create/start): ${s.err}`); forceDelete(rt, id); continue; }
      const st = timeSync(cmd(rt, 'state', id));
      res.record(rst, rt, st);
      const k = timeSync(cmd(rt, 'kill', id, 'KILL'));
      if (!res.record(rk, rt, k)) { res.fail(rkd, rt, k.err); forceDelete(rt, id); continue; }
      const d = timeSync(cmd(rt, 'delete', '--force', id));
      if (!res.record(rdf, rt, d)) { res.fail(rkd, rt, d.err); forceDelete(rt, id); continue; }
      add(rkd, rt.key, k.ms + d.ms);
    }
  }
}

/** Runs one command per id at once; returns the wall time until the last exits, and failures. */
async function parallel(argvs: string[][], errDir: string): Promise<{ ms: number; results: Timed[] }> {
  mkdirSync(errDir, { recursive: true });
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(argvs.map((a, i) => timeAsync(a, join(errDir, String(i)))));
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, results };
}

async function opParallel(tmp: string, rts: Runtime[], res: Results): Promise<void> {
  const rc = res.row('par-create', `${PAR} × \`create\` in parallel`, 'ms', 'time', `${PAR}× create`);
  const rs = res.row('par-start', `${PAR} × \`start\` in parallel`, 'ms', 'time', `${PAR}× start`);
  const rd = res.row('par-delete', `${PAR} × \`delete\` in parallel`, 'ms', 'time', `${PAR}× delete`);
  const rt3 = res.row('par-total', `${PAR} containers: create, start, delete`, 'ms', 'time', `${PAR}× all three`);
  for (let r = 0; r < PAR_RUNS; r++) {
    for (const rt of order(rts, r)) {
      log(`${PAR} in parallel: round ${r + 1}/${PAR_RUNS}, ${rt.label}`);
      const ids = Array.from({ length: PAR }, () => newId(rt, 'par'));
      const bundles = ids.map((id) => writeBundle(tmp, rt, id, ['/bin/true']));
      const errDir = join(tmp, 'err', `par-${rt.key}-${r}`);
      const firstErr = (x: Timed[]) => x.find((t) => !t.ok)?.err;
      // A phase with a failed command loses its sample, and the later phases of the round theirs.
      const phaseFailed = (row: Row, later: Row[], x: Timed[], err: string) => {
        res.fail(row, rt, `${x.filter((t) => !t.ok).length} of ${PAR} failed: ${err}`);
        for (const l of later) res.skip(l, rt, `not measured: an earlier phase failed (${row.label})`);
      };
      try {
        const c = await parallel(ids.map((id, i) => cmd(rt, 'create', '--bundle', bundles[i], '--pid-file', join(bundles[i], 'pid'), id)), join(errDir, 'c'));
        const ce = firstErr(c.results);
        if (ce) { phaseFailed(rc, [rs, rd, rt3], c.results, ce); continue; }
        add(rc, rt.key, c.ms);
        const s = await parallel(ids.map((id) => cmd(rt, 'start', id)), join(errDir, 's'));
        const se = firstErr(s.results);
        if (se) { phaseFailed(rs, [rd, rt3], s.results, se); continue; }
        add(rs, rt.key, s.ms);
        for (const b of bundles) {
          const pid = readPidFile(join(b, 'pid'));
          if (pid) waitExited(pid);
        }
        const d = await parallel(ids.map((id) => cmd(rt, 'delete', id)), join(errDir, 'd'));
        const de = firstErr(d.results);
        if (de) { phaseFailed(rd, [rt3], d.results, de); continue; }
        add(rd, rt.key, d.ms);
        add(rt3, rt.key, c.ms + s.ms + d.ms);
      } finally {
        // Whatever failed is removed before the next runtime's turn.
        let left: string[] = [];
        try { left = readdirSync(rt.root).filter((x) => ids.includes(x)); } catch { /* none */ }
        for (const id of left) forceDelete(rt, id);
        rmSync(join(tmp, 'bundles'), { recursive: true, force: true });
      }
    }
  }
}

// A private containerd: its own root, state, sockets and config in a temp dir, CRI disabled
// unless `cri` gives its settings (for the dir). The shim keeps sockets under /run/containerd/s
// whatever the config says, so the daemon runs in a private mount namespace with a tmpfs on /run
// (as test/integration/managers/containerd.ts).
async function startContainerd(tmp: string, m: Manifest, cri?: (dir: string) => CriSettings): Promise<{ daemon: ChildProcess; address: string; fifoDir: string; dir: string }> {
  // A directory per daemon: the ctr and pods rows each start one.
  const dir = join(tmp, cri ? 'ctd-cri' : 'ctd');
  const address = join(dir, 'containerd.sock');
  const fifoDir = join(dir, 'fifo');
  mkdirSync(fifoDir, { recursive: true });
  mkdirSync(join(dir, 'tmp'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, privateContainerdConfig(dir, address, 'info', cri?.(dir)));
  const script = [
    'set -e',
    'mount -t tmpfs -o mode=0755 tsrun-bench-run /run',
    'containerd --config "$1" & cpid=$!',
    'set +e',
    'read -r _',
    'kill -TERM "$cpid" 2>/dev/null',
    'wait "$cpid"',
  ].join('\n');
  const logFile = join(dir, 'containerd.log');
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(logFile, 'a');
  const daemon = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', config], {
    stdio: ['pipe', fd, fd], env: ENV,
  });
  closeSync(fd);
  daemon.on('error', () => undefined);
  m.ctd = { dir, address, daemonPid: daemon.pid! };
  saveManifest(m);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (daemon.exitCode !== null) break;
    if (existsSync(address) && output(['ctr', '--address', address, 'version'], { timeoutMs: 5000 }).ok) break;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  if (daemon.exitCode !== null || !output(['ctr', '--address', address, 'version'], { timeoutMs: 5000 }).ok) {
    let tail = '';
    try { tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | '); } catch { /* none */ }
    throw new Error(`private containerd did not start: ${tail}`);
  }
  return { daemon, address, fifoDir, dir };
}

async function opCtr(tmp: string, rts: Runtime[], res: Results, m: Manifest): Promise<void> {
  const row = res.row('ctr', '`ctr run --rm` /bin/true (containerd 1.6, runc shim)', 'ms', 'time', 'ctr run --rm');
  const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2'].filter((c) => !which(c));
  if (missing.length) { for (const rt of rts) res.fail(row, rt, `${missing.join(', ')} not installed`); return; }
  let ctd: Awaited<ReturnType<typeof startContainerd>> | undefined;
  try {
    log('containerd: starting a private daemon, importing the busybox image');
    ctd = await startContainerd(tmp, m);
    const ctr = (args: string[], timeoutMs = 60_000) => ['ctr', '--address', ctd!.address, '--namespace', BENCH_ID, ...args];
    const archive = buildImageArchive(ROOTFS, join(tmp, 'image'));
    const imp = output(ctr(['images', 'import', archive]), { timeoutMs: 120_000 });
    if (!imp.ok) throw new Error(`ctr images import: ${imp.err}`);
    const runArgv = (rt: Runtime, id: string) => ctr(['run', '--rm', '--fifo-dir', ctd!.fifoDir, '--runtime', 'io.containerd.runc.v2',
      '--runc-binary', rt.shimBin, '--runc-root', join(tmp, `ctr-root-${rt.key}`), IMAGE_REF, id, '/bin/true']);
    const removeCtr = (id: string) => {
      output(ctr(['task', 'kill', '-a', '-s', 'SIGKILL', id]), { timeoutMs: 20_000 });
      output(ctr(['task', 'delete', '--force', id]), { timeoutMs: 20_000 });
      output(ctr(['containers', 'rm', id]), { timeoutMs: 20_000 });
    };
    // A warm-up run per runtime (it also unpacks the snapshot once); a runtime failing it is n/a.
    const ok: Runtime[] = [];
    for (const rt of rts) {
      const id = newId(rt, 'ctrw');
      const t = timeSync(runArgv(rt, id), { timeoutMs: 60_000 });
      if (t.ok) ok.push(rt);
      else { res.fail(row, rt, `through containerd's runc shim: ${t.err}`); removeCtr(id); }
    }
    for (let r = 0; r < RUNS; r++) {
      log(`ctr run --rm: round ${r + 1}/${RUNS}`);
      for (const rt of order(ok, r)) {
        const id = newId(rt, 'ctr');
        if (!res.record(row, rt, timeSync(runArgv(rt, id), { timeoutMs: 60_000 }))) removeCtr(id);
      }
    }
  } catch (e) {
    for (const rt of rts) if (!row.samples[rt.key]?.length) res.fail(row, rt, (e as Error).message);
  } finally {
    if (ctd) {
      for (const n of cleanup({ ...m, runtimes: [], holderPid: undefined })) log(`containerd clean-up: ${n}`);
      ctd.daemon.stdin?.end();
      m.ctd = undefined;
      saveManifest(m);
    }
  }
}

/**
 * PODS pods at once through the CRI plugin, each with one container: RunPodSandbox,
 * CreateContainer + StartContainer, ExecSync `true`, StopPodSandbox, RemovePodSandbox. The time
 * of the whole batch; tsrun (each engine) and runc only, every runtime a handler of one daemon.
 */
async function opPods(tmp: string, rts: Runtime[], res: Results, m: Manifest): Promise<void> {
  const row = res.row('pods', `${PODS} pods in parallel through containerd's CRI: run pod and container, \`ExecSync\`, stop, remove`, 'ms', 'time', `${PODS}× CRI pod`);
  const measured = rts.filter((rt) => rt.kind !== 'crun');
  for (const rt of rts) if (rt.kind === 'crun') res.skip(row, rt, 'not measured: the pods row compares tsrun with runc');
  const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2', '/usr/lib/cni/loopback'].filter((c) => !which(c));
  if (missing.length) { for (const rt of measured) res.fail(row, rt, `${missing.join(', ')} not installed`); return; }
  let ctd: Awaited<ReturnType<typeof startContainerd>> | undefined;
  let cri: CriClient | undefined;
  try {
    log(`pods: a private containerd with the CRI plugin, ${measured.length} runtime handlers`);
    ctd = await startContainerd(tmp, m, (dir) => criSettings(dir, measured.map((rt) => ({ name: rt.key, bin: rt.shimBin }))));
    for (const archive of [pauseArchive(join(tmp, 'pause-image')), buildImageArchive(ROOTFS, join(tmp, 'pods-image'))]) {
      const imp = output(['ctr', '--address', ctd.address, '--namespace', CRI_NS, 'images', 'import', archive], { timeoutMs: 120_000 });
      if (!imp.ok) throw new Error(`ctr images import: ${imp.err}`);
    }
    const client = (cri = new CriClient(ctd.address));
    const deadline = Date.now() + 30_000;
    while (!(await client.call('Version', {}, 5000).then(() => true, () => false))) {
      if (Date.now() > deadline) throw new Error('the CRI plugin did not answer');
      await sleep(200);
    }
    const logs = join(tmp, 'pod-logs');
    mkdirSync(logs, { recursive: true });
    let n = 0;
    const onePod = async (rt: Runtime): Promise<void> => {
      const name = `${BENCH_ID}-${rt.key}-pod${n++}`;
      const config = podConfig(name, logs, `/${BENCH_ID}/${name}`);
      const { pod_sandbox_id: pod } = await client.call('RunPodSandbox', { config, runtime_handler: rt.key });
      try {
        const { container_id: c } = await client.call('CreateContainer', { pod_sandbox_id: pod, config: containerConfig('app', { command: ['sleep', '3600'] }), sandbox_config: config });
        await client.call('StartContainer', { container_id: c });
        const r = await client.call('ExecSync', { container_id: c, cmd: ['true'], timeout: 60 });
        if (r.exit_code !== 0) throw new Error(`ExecSync true: exit ${r.exit_code}`);
      } finally {
        await client.call('StopPodSandbox', { pod_sandbox_id: pod });
        await client.call('RemovePodSandbox', { pod_sandbox_id: pod });
      }
    };
    const batch = async (rt: Runtime, count: number): Promise<Timed> => {
      const t0 = process.hrtime.bigint();
      const out = await Promise.allSettled(Array.from({ length: count }, () => onePod(rt)));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const failed = out.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      return failed ? { ok: false, ms, err: (failed.reason as Error).message.split('\n')[0] } : { ok: true, ms, err: '' };
    };
    // A warm-up pod per runtime (it also unpacks the snapshots once); a runtime failing it is n/a.
    const ok: Runtime[] = [];
    for (const rt of measured) {
      const t = await batch(rt, 1);
      if (t.ok) ok.push(rt); else res.fail(row, rt, `through containerd's CRI: ${t.err}`);
    }
    for (let r = 0; r < PAR_RUNS; r++) {
      log(`pods: round ${r + 1}/${PAR_RUNS}`);
      for (const rt of order(ok, r)) res.record(row, rt, await batch(rt, PODS));
    }
  } catch (e) {
    for (const rt of measured) if (!row.samples[rt.key]?.length) res.fail(row, rt, (e as Error).message);
  } finally {
    cri?.close();
    if (ctd) {
      for (const n of cleanup({ ...m, runtimes: [], holderPid: undefined })) log(`containerd clean-up: ${n}`);
      ctd.daemon.stdin?.end();
      m.ctd = undefined;
      saveManifest(m);
    }
  }
}

function opFootprint(tmp: string, rts: Runtime[], res: Results): void {
  const rr = res.row('rss', 'init RSS between `create` and `start`', 'KiB', 'memory', 'init RSS (created)');
  const rc = res.row('cgmem', 'cgroup memory charged between `create` and `start`', 'KiB', 'memory', 'cgroup charge (created)');
  const rt2 = res.row('threads', 'init threads between `create` and `start`', 'count', 'threads', 'init threads (created)');
  for (let r = 0; r < FOOT_RUNS; r++) {
    log(`footprint: round ${r + 1}/${FOOT_RUNS}`);
    for (const rt of order(rts, r)) {
      const id = newId(rt, 'fp');
      const b = writeBundle(tmp, rt, id, ['/bin/true']);
      const pf = join(b, 'pid');
      const c = timeSync(cmd(rt, 'create', '--bundle', b, '--pid-file', pf, id));
      if (!c.ok) { for (const row of [rr, rc, rt2]) res.fail(row, rt, c.err); forceDelete(rt, id); continue; }
      const pid = readPidFile(pf);
      const st = pid ? procStatus(pid) : undefined;
      if (pid && st) {
        add(rr, rt.key, st.rssKiB);
        add(rt2, rt.key, st.threads);
        const cg = cgroupMemoryKiB(pid);
        if (cg !== undefined) add(rc, rt.key, cg); else res.fail(rc, rt, 'no memory cgroup found for the init');
      } else {
        for (const row of [rr, rc, rt2]) res.fail(row, rt, `no init process (pid file ${pid ?? 'missing'})`);
      }
      forceDelete(rt, id);
    }
  }
}

function opMemLimit(tmp: string, rts: Runtime[], res: Results): void {
  const row = res.row('memlimit', 'smallest memory limit for `run` /bin/true', 'KiB', 'memory', 'min. memory limit for run');
  const okAt = (rt: Runtime, limit: number): boolean => {
    for (let i = 0; i < MEM_TRIES; i++) {
      const id = newId(rt, 'mem');
      const b = writeBundle(tmp, rt, id, ['/bin/true'], limit);
      const t = timeSync(cmd(rt, 'run', '--bundle', b, id), { timeoutMs: 30_000 });
      if (!t.ok) { forceDelete(rt, id); return false; }
    }
    return true;
  };
  for (const rt of rts) {
    log(`smallest memory limit: ${rt.label}`);
    let hi = 64 * 1024 * 1024;
    if (!okAt(rt, hi)) {
      hi = 1024 * 1024 * 1024;
      if (!okAt(rt, hi)) { res.fail(row, rt, 'run fails even with a 1 GiB limit'); continue; }
    }
    let lo = 0;
    while (hi - lo > MEM_STEP) {
      const mid = Math.floor((lo + hi) / 2 / 4096) * 4096;
      if (mid <= lo || mid >= hi) break;
      if (okAt(rt, mid)) hi = mid; else lo = mid;
    }
    add(row, rt.key, hi / 1024);
  }
}

function opEngines(engines: Engine[], crunNs: string[] | undefined, crunBin: string | undefined, crunShim: string | undefined, res: EngineBaseline[], notes: string[]): void {
  const floor: number[] = [];
  const nsenterT: number[] = [];
  const wrapperT: number[] = [];
  const crunT: number[] = [];
  const base = engines.map((e) => ({ e, b: { engine: e.name, version: versionOf([e.bin]), command: `${e.name === 'node' ? 'node' : e.name} ${e.empty.slice(1).join(' ')}`, samples: [] as number[], withCaCerts: undefined as number[] | undefined } }));
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  for (let r = 0; r < RUNS * 2; r++) {
    for (const { e, b } of order(base, r)) {
      const t = timeSync(e.empty, { env: { ...ENV, ...e.env } });
      if (t.ok) b.samples.push(t.ms);
      if (ca && e.name === 'node') {
        const t2 = timeSync(e.empty, { env: process.env });
        if (t2.ok) (b.withCaCerts ??= []).push(t2.ms);
      }
    }
    const f = timeSync(['/bin/true']);
    if (f.ok) floor.push(f.ms);
    if (crunNs) {
      const n = timeSync([...crunNs, '/bin/true']);
      if (n.ok) nsenterT.push(n.ms);
    }
    if (crunBin && crunShim) {
      const c = timeSync([crunBin, '--version']);
      const w = timeSync([crunShim, '--version']);
      if (c.ok && w.ok) { crunT.push(c.ms); wrapperT.push(w.ms); }
    }
  }
  res.push(...base.map((x) => x.b));
  notes.push(`Harness floor: spawning \`/bin/true\` from the harness takes ${fmt(median(floor), 'ms')}; every number includes it.`);
  if (crunNs && nsenterT.length) {
    notes.push(`crun runs as \`nsenter --mount=<private mount namespace without /sys/fs/cgroup/unified> -- crun …\` (crun 1.8.1 refuses this cgroup v1/v2 hybrid host); that costs ${fmt(Math.max(0, median(nsenterT) - median(floor)), 'ms')} per command, included in crun's numbers.`);
  }
  if (crunBin && wrapperT.length && crunNs) {
    notes.push(`Through containerd, crun is run by a wrapper like conformance/crun-wrapper.sh (\`unshare -m\`, unmount the cgroup2 mount, exec crun: it must start in the shim's mount namespace, which holds the rootfs), which adds ${fmt(Math.max(0, median(wrapperT) - median(crunT)), 'ms')} to each of the shim's crun calls.`);
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Rewrites the README's part between `<!-- NAME:begin ... -->` and `<!-- NAME:end -->` (the
 * benchmark table, the engine comparison), so the figures are written in one place: here.
 */
function replaceReadmeRegion(name: string, content: string): void {
  const readme = join(REPO, 'README.md');
  let text: string;
  try { text = readFileSync(readme, 'utf8'); } catch { return; }
  const i = text.indexOf(`<!-- ${name}:begin`);
  const beginEnd = i < 0 ? -1 : text.indexOf('-->', i);
  const j = text.indexOf(`<!-- ${name}:end -->`);
  if (i < 0 || beginEnd < 0 || j < beginEnd) { log(`README.md: no ${name} markers, left alone`); return; }
  writeFileSync(readme, `${text.slice(0, beginEnd + 3)}\n${content.trim()}\n${text.slice(j)}`);
  log(`README.md: ${name} refreshed`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'cleanup') { cleanupFromManifest(); return; }
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (containers, cgroups, namespaces)');
  if (!existsSync(join(ROOTFS, 'bin', 'busybox'))) throw new Error(`${ROOTFS} is missing: run make`);
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run make`);
  const ownTmp = !process.env.BENCH_TMP;
  const tmp = process.env.BENCH_TMP || mkdtempSync('/tmp/tsrun-bench-');
  mkdirSync(tmp, { recursive: true });
  setErrLog(join(tmp, 'stderr.log'));
  const m: Manifest = { id: BENCH_ID, tmp, runtimes: [] };
  saveManifest(m);
  let holder: ChildProcess | undefined;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    for (const n of cleanup(m)) log(`clean-up: ${n}`);
    holder?.stdin?.end();
    if (ownTmp) rmSync(tmp, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => { log(`${sig}: cleaning up`); finish(); process.exit(130); });
  }
  const loadStart = loadavg()[0];
  const t0 = Date.now();
  try {
    // The runtimes.
    const engines = detectEngines(tmp);
    const rts: Runtime[] = [];
    engines.forEach((e, i) => rts.push({
      key: `tsrun-${e.name}`, label: `tsrun (${e.name})`, kind: 'tsrun', engine: e.name, color: COLORS.tsrun[i % COLORS.tsrun.length],
      argv: [engineWrapper(tmp, e)], shimBin: engineWrapper(tmp, e), root: '', rootfs: '',
    }));
    const runc = which('runc');
    if (runc) rts.push({ key: 'runc', label: 'runc', kind: 'runc', color: COLORS.runc, argv: [runc], shimBin: runc, root: '', rootfs: '' });
    else log('runc not installed: no runc column');
    const crun = which('crun');
    let crunNs: string[] | undefined;
    if (crun) {
      let argv = [crun];
      let shimBin = crun;
      if (isHybrid()) {
        holder = await startHolder(tmp);
        m.holderPid = holder.pid;
        crunNs = ['nsenter', `--mount=/proc/${holder.pid}/ns/mnt`, '--'];
        argv = [...crunNs, crun];
        shimBin = crunShimWrapper(tmp, crun);
      }
      rts.push({ key: 'crun', label: 'crun', kind: 'crun', color: COLORS.crun, argv, shimBin, root: '', rootfs: '' });
    } else log('crun not installed: no crun column');
    for (const rt of rts) {
      rt.root = join(tmp, `root-${rt.key}`);
      mkdirSync(rt.root, { recursive: true });
      rt.rootfs = join(tmp, `rootfs-${rt.key}`);
      const cp = output(['cp', '-al', ROOTFS, rt.rootfs]);
      if (!cp.ok) throw new Error(`cp -al ${ROOTFS}: ${cp.err}`);
      rmSync(join(rt.rootfs, '.done'), { force: true });
    }
    m.runtimes = rts.map((r) => ({ key: r.key, argv: r.argv, root: r.root }));
    saveManifest(m);

    // runc's default spec is the bundle config for everyone.
    const specDir = join(tmp, 'spec');
    mkdirSync(specDir);
    const spec = output([runc ?? join(REPO, 'bin', 'tsrun'), 'spec', '--bundle', specDir]);
    if (!spec.ok) throw new Error(`spec: ${spec.err}`);
    BASE = JSON.parse(readFileSync(join(specDir, 'config.json'), 'utf8'));

    // tsrun's V8 code caches (dist/cjs/*.v8cache) are written once, by the first run of each
    // command that ran to its end, and hold that run's path: whatever ran before the bench (the
    // tests' configs) must not choose them. Cleared here, they are written by the warm-up and the
    // first round, as on a fresh install.
    const cjs = join(REPO, 'dist', 'cjs');
    for (const f of existsSync(cjs) ? readdirSync(cjs) : []) if (f.endsWith('.v8cache')) rmSync(join(cjs, f), { force: true });

    // Warm-up: two runs each (page cache, compile caches); a runtime failing it is n/a throughout.
    const live: Runtime[] = [];
    for (const rt of rts) {
      let err = '';
      for (let i = 0; i < 2 && !err; i++) {
        const id = newId(rt, 'warm');
        const t = timeSync(cmd(rt, 'run', '--bundle', writeBundle(tmp, rt, id, ['/bin/true']), id));
        if (!t.ok) { err = t.err; forceDelete(rt, id); }
      }
      if (err) { rt.broken = err; log(`${rt.label} fails its warm-up run, left out: ${err}`); } else live.push(rt);
    }

    const res = new Results();
    const engineRes: EngineBaseline[] = [];
    const notes: string[] = [];
    if (OPS.has('engines')) opEngines(engines, crunNs, crun, rts.find((r) => r.kind === 'crun')?.shimBin, engineRes, notes);
    if (OPS.has('run')) opRun(tmp, live, res);
    if (OPS.has('lifecycle')) opLifecycle(tmp, live, res);
    if (OPS.has('state')) opStateKill(tmp, live, res);
    if (OPS.has('parallel')) await opParallel(tmp, live, res);
    if (OPS.has('ctr')) await opCtr(tmp, live, res, m);
    if (OPS.has('pods')) await opPods(tmp, live, res, m);
    if (OPS.has('footprint')) opFootprint(tmp, live, res);
    if (OPS.has('memlimit')) opMemLimit(tmp, live, res);
    let images = '';
    if (OPS.has('images')) {
      if (!which('umoci')) log('umoci not installed: no image rows');
      else {
        const tools = live.filter((rt) => rt.kind === 'tsrun').map((rt) => ({ key: rt.key, label: rt.label, argv: rt.argv }));
        images = imagesMarkdown(benchImages(tmp, ROOTFS, tools, IMAGE_RUNS, IMAGE_FILES, log));
      }
    }
    for (const rt of rts) if (rt.broken) for (const row of res.rows) row.na[rt.key] = `${rt.label} failed its warm-up \`run\`: ${rt.broken}`;

    // The report.
    const versions = [
      ...engines.map((e) => `${e.name} ${versionOf([e.bin])}`),
      ...(runc ? [`runc ${versionOf([runc])}`] : []),
      ...(crun ? [`crun ${versionOf([crun])}`] : []),
      ...(which('containerd') ? [`containerd ${versionOf(['containerd'])}`] : []),
      `kernel ${output(['uname', '-r']).stdout.trim()}`,
    ];
    const cpu = cpus();
    const host = `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
    notes.push(...res.partialNotes());
    notes.push(`\`create\`, \`start\`, \`delete\` are one container each (runc's default \`runc spec\` config running /bin/true, read-only busybox rootfs, cgroup /${'<bench>'}/<id>); the sum leaves out the container's own run between \`start\` and \`delete\`. \`kill\` sends KILL to a running \`sleep\`, then \`delete --force\`.`);
    notes.push(`tsrun on node ran as bin/tsrun (a static C launcher, native/launcher) set to exec node on \`${MAIN_JS.slice(REPO.length + 1)}\`, as \`make ENGINE=node\` sets it${engines.some((e) => e.tsrun.length === 1) ? '; on bun as `build/tsrun-bun`, the program `make` compiles by default and bin/tsrun execs (called directly here, as a containerd or podman configured with its path may be)' : ''}${engines.some((e) => e.name !== 'node' && e.tsrun.length > 1) ? '; on other engines through a wrapper script like bin/tsrun' : ''}.`);
    notes.push(`The smallest memory limit is the lowest \`linux.resources.memory.limit\` (${MEM_STEP / 1024} KiB steps) under which ${MEM_TRIES} runs in a row succeeded.`);
    notes.push(`Load average (1 min) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end; the whole run took ${Math.round((Date.now() - t0) / 1000)} s.`);
    const meta = { date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', runs: RUNS, parallel: PAR, parallelRuns: PAR_RUNS, host, versions, notes };
    const table = markdown(rts, res.rows, engineRes, meta);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'results.md'), `# tsrun benchmark results\n\nWritten by \`make bench\` (test/bench/run.sh); see test/bench/README.md. Chart: [chart.svg](chart.svg).\n\n${table.full}${images ? `\n${images}` : ''}`);
    const tsrunLabel = rts.filter((r) => r.kind === 'tsrun').map((r) => r.label).join(', ');
    writeFileSync(join(OUT, 'chart.svg'), chartSvg(rts, res.rows, engineRes, `${tsrunLabel} vs runc and crun; medians of ${RUNS} interleaved rounds (${PAR_RUNS} for ${PAR} containers), ${meta.date}, ${host}`));
    if (process.env.BENCH_README !== '0' && OUT === join(REPO, 'test', 'bench')) {
      replaceReadmeRegion('bench', table.summary);
      const ratios = engineRatios(rts, res.rows);
      if (ratios) replaceReadmeRegion('engines', ratios);
    }
    log(`wrote ${join(OUT, 'results.md')} and ${join(OUT, 'chart.svg')}`);
    process.stdout.write(`${table.full}\n${images}`);
    // A sanity line for whoever reads the log: the main ratio.
    const run = res.rows.find((r) => r.key === 'run');
    if (run) for (const rt of rts) { const v = value(run, rt.key); if (v !== undefined) log(`run /bin/true, ${rt.label}: ${fmt(v, 'ms')}`); }
  } finally {
    finish();
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
