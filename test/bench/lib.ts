/**
 * Helpers of the benchmark (test/bench/bench.ts): timing commands, statistics, /proc and cgroup
 * readings, and the clean-up of what a run leaves (cgroups, processes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupBases, killPids, pidsInCgroup, pidsWithCmdline } from '../support/procs.js';
export { cgroupBases, killPids, pidsInCgroup, pidsWithCmdline };

/** The environment of every measured command: NODE_EXTRA_CA_CERTS costs each Node start ~40 ms. */
export const ENV: NodeJS.ProcessEnv = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;

export interface Timed {
  ms: number;
  ok: boolean;
  /** Why it failed: exit status and the tail of stderr. */
  err: string;
}

/** Blocks the thread for `ms` (used between polls; the event loop has nothing to do meanwhile). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The telling part of stderr: the first line naming an error (a crash's stack trails it), else the last lines. */
function tailOf(text: string, lines = 3): string {
  const all = text.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const named = all.find((l) => /^(\w*Error\b|error:|fatal)/i.test(l));
  const last = all.slice(-lines);
  return (named && !last.includes(named) ? [named, '…', ...last.slice(-1)] : last).join(' | ').slice(0, 400);
}

let errPath = '';
let errFd = -1;

/** Where the stderr of synchronous commands goes (a file: a container may keep it open). */
export function setErrLog(path: string): void {
  if (errFd >= 0) closeSync(errFd);
  errPath = path;
  errFd = openSync(path, 'a+');
}

/**
 * Runs argv to completion and returns its wall time. stdin and stdout are /dev/null and stderr a
 * file, so a container that inherits them (create) cannot hold the measurement open.
 */
export function timeSync(argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Timed {
  if (errFd < 0) throw new Error('setErrLog first');
  ftruncateSync(errFd, 0);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', 'ignore', errFd],
    env: opts.env ?? ENV,
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const ok = r.status === 0 && !r.error;
  let err = '';
  if (!ok) {
    let text = '';
    try { text = readFileSync(errPath, 'utf8'); } catch { /* none */ }
    const how = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    err = `${how}: ${tailOf(text) || '(no stderr)'}`;
  }
  return { ms, ok, err };
}

/** Runs argv and returns its stdout (for setup steps, not measured). */
export function output(argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): { ok: boolean; stdout: string; err: string } {
  const r = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? ENV,
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  const ok = r.status === 0 && !r.error;
  const how = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return { ok, stdout: r.stdout ?? '', err: ok ? '' : `${how}: ${tailOf(r.stderr ?? '') || '(no stderr)'}` };
}

/**
 * Starts argv without waiting (for the parallel phases); resolves when it exits (not when its
 * stdio closes: a container keeps create's). stderr goes to `errFile`.
 */
export function timeAsync(argv: string[], errFile: string, timeoutMs = 120_000): Promise<Timed> {
  return new Promise((resolve) => {
    const fd = openSync(errFile, 'w+');
    const t0 = process.hrtime.bigint();
    let done = false;
    const finish = (ok: boolean, how: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let err = '';
      if (!ok) {
        let text = '';
        try { text = readFileSync(errFile, 'utf8'); } catch { /* none */ }
        err = `${how}: ${tailOf(text) || '(no stderr)'}`;
      }
      resolve({ ms, ok, err });
    };
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', fd], env: ENV });
    closeSync(fd);
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    child.on('error', (e) => finish(false, e.message));
    child.on('exit', (code, signal) => finish(code === 0, signal ? `killed by ${signal}` : `exit ${code}`));
  });
}

export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** Linear-interpolated quantile of the samples (NaN when there are none). */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Reads a pid file written by a runtime (waits briefly for it). */
export function readPidFile(file: string, timeoutMs = 2000): number | undefined {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) return pid;
    } catch { /* not yet */ }
    if (Date.now() > deadline) return undefined;
    sleepSync(2);
  }
}

/** Whether the process is gone or a zombie (the runtimes call that "stopped"). */
export function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Polls until the process exits; false on timeout. */
export function waitExited(pid: number, timeoutMs = 10_000): boolean {
  const deadline = Date.now() + timeoutMs;
  while (!exited(pid)) {
    if (Date.now() > deadline) return false;
    sleepSync(1);
  }
  return true;
}

/** VmRSS (KiB) and thread count of a process. */
export function procStatus(pid: number): { rssKiB: number; threads: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(s);
    const thr = /^Threads:\s+(\d+)/m.exec(s);
    if (!thr) return undefined;
    return { rssKiB: rss ? Number(rss[1]) : 0, threads: Number(thr[1]) };
  } catch {
    return undefined;
  }
}

/** What the memory cgroup (v1) or the unified cgroup (v2) of a process has charged, in KiB. */
export function cgroupMemoryKiB(pid: number): number | undefined {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/cgroup`, 'utf8'); } catch { return undefined; }
  for (const line of text.split('\n')) {
    const [, ctrls, ...rest] = line.split(':');
    const rel = rest.join(':');
    if (ctrls === undefined) continue;
    const candidates: string[] = [];
    if (ctrls.split(',').includes('memory')) candidates.push(join('/sys/fs/cgroup/memory', rel, 'memory.usage_in_bytes'));
    if (ctrls === '') candidates.push(join('/sys/fs/cgroup', rel, 'memory.current'), join('/sys/fs/cgroup/unified', rel, 'memory.current'));
    for (const f of candidates) {
      try { return Number(readFileSync(f, 'utf8').trim()) / 1024; } catch { /* not this one */ }
    }
  }
  return undefined;
}





/**
 * Removes the cgroup `rel` and everything below it in every hierarchy, killing what is still
 * inside first (the whole tree is ours: it is named after this run). Returns what is left.
 */
export function removeCgroupTree(rel: string): string[] {
  if (!/^\/[A-Za-z0-9_.+-]+$/.test(rel)) throw new Error(`refusing to remove cgroup ${rel}`);
  for (let i = 0; i < 3; i++) {
    const pids = pidsInCgroup(rel);
    if (!pids.length) break;
    killPids(pids);
    sleepSync(100);
  }
  const left: string[] = [];
  const walk = (dir: string): string[] => {
    const subs: string[] = [];
    let entries: import('node:fs').Dirent[] = [];
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return []; }
    for (const e of entries) if (e.isDirectory()) subs.push(...walk(join(dir, e.name)));
    return [...subs, dir];
  };
  for (const base of cgroupBases()) {
    const top = join(base, rel);
    if (!existsSync(top)) continue;
    for (const dir of walk(top)) {
      let ok = false;
      for (let i = 0; i < 30 && !ok; i++) {
        try { rmdirSync(dir); ok = true; } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') ok = true; else sleepSync(100);
        }
      }
      if (!ok) left.push(dir);
    }
  }
  return left;
}

/** The version number `cmd --version` prints first (for the report). */
export function versionOf(argv: string[]): string {
  const r = output([...argv, '--version'], { timeoutMs: 10_000 });
  const first = r.stdout.split('\n')[0]?.trim() ?? '';
  return /\bv?\d+\.\d+[\w.~+-]*/.exec(first)?.[0] ?? (first || '?');
}

/** Absolute path of a command on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  if (cmd.includes('/')) return existsSync(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = join(dir, cmd);
    try { if (statSync(p).isFile()) return p; } catch { /* next */ }
  }
  return undefined;
}
