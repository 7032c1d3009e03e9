/**
 * Shared pieces of the real-manager suites (containerd, podman): the runtimes under test, running
 * commands with a deadline (optionally on a pseudo-terminal), installing missing Debian packages,
 * and finding what a container left behind (state dirs, cgroups, processes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupBases, killPids, pidsInCgroup, pidsWithCmdline } from '../../support/procs.js';
export { cgroupBases, killPids, pidsInCgroup, pidsWithCmdline };
import { REPO, ROOTFS, TSRUN, isRoot, requireRootAndBuild, which } from '../helpers.js';

export { REPO, ROOTFS, TSRUN, isRoot, which };

export interface Runtime {
  /** Used in test titles, namespaces and cgroup names. */
  name: 'tsrun' | 'runc';
  bin: string;
  /** The state root the runtime uses when the manager passes no --root (podman). */
  defaultRoot: string;
}

export const RUNC = '/usr/sbin/runc';
export const RUNTIMES: Runtime[] = [
  { name: 'tsrun', bin: TSRUN, defaultRoot: '/run/tsrun' },
  { name: 'runc', bin: RUNC, defaultRoot: '/run/runc' },
];

const PTY_RUN = join(REPO, 'test', 'integration', 'managers', 'pty_run.py');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

/**
 * Runs a command to completion (or until the deadline, when its whole process group is killed).
 * Resolves on 'close' but no later than 2 s after 'exit': a container may keep a copy of stdout.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd, detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); if (!settled) { settled = true; reject(e); } });
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 2000).unref());
    child.on('close', (code, signal) => finish(code, signal));
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/**
 * Runs argv with a pseudo-terminal as its stdio (test/integration/managers/pty_run.py). When the
 * output shows `marker`, `input` is typed (`\r` is Enter). Output is the terminal's (CRLF).
 */
export function runPty(argv: string[], opts: RunOptions & { marker?: string; type?: string } = {}): Promise<RunResult> {
  return run('python3', [PTY_RUN, opts.marker ?? '', opts.type ?? '', '--', ...argv], opts);
}

export function describe(r: RunResult): string {
  return `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''} after ${r.ms} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns true; returns whether it did before the deadline. */
export async function eventually(fn: () => boolean | Promise<boolean>, ms = 10_000, every = 100): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > deadline) return false;
    await sleep(every);
  }
}


/**
 * Makes sure the commands exist, installing the Debian packages that provide them with apt-get
 * when they are missing. Returns why not, or undefined when everything is there.
 */
export function ensureCommands(wanted: Record<string, string>): string | undefined {
  const missing = Object.entries(wanted).filter(([cmd]) => !which(cmd));
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const still = missing.filter(([cmd]) => !which(cmd)).map(([cmd]) => cmd);
  if (still.length === 0) return undefined;
  return `missing ${still.join(', ')} and apt-get install ${pkgs.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' ')}`;
}

/** Why the suites cannot run here at all, or undefined. */
export function basicPrerequisites(): string | undefined {
  return requireRootAndBuild() ?? ensureCommands({ python3: 'python3', tar: 'tar', unshare: 'util-linux', nsenter: 'util-linux' });
}


/** The existing directories `rel` (a cgroup path like `/ns/id`) in every hierarchy. */
export function cgroupDirs(rel: string): string[] {
  return cgroupBases().map((b) => join(b, rel)).filter((p) => existsSync(p));
}




/**
 * Removes the cgroup `rel` (ours) and everything below it in every hierarchy, killing what is
 * still inside first. Returns the directories it could not remove.
 */
export async function removeCgroupTree(rel: string): Promise<string[]> {
  if (!rel || rel === '/' || rel.includes('..')) throw new Error(`refusing to remove cgroup ${rel}`);
  killPids(pidsInCgroup(rel));
  const left: string[] = [];
  const walk = (dir: string): string[] => {
    const subs: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) subs.push(...walk(join(dir, e.name)));
    return [...subs, dir];
  };
  for (const top of cgroupDirs(rel)) {
    for (const dir of walk(top)) {
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        try { rmdirSync(dir); ok = true; } catch (e: any) {
          if (e.code === 'ENOENT') ok = true; else await sleep(100);
        }
      }
      if (!ok) left.push(dir);
    }
  }
  return left;
}

/** The leftovers of one container: its runtime state dir, its cgroups and processes in them. */
export function leftovers(stateDir: string | undefined, cgroupRel: string): string[] {
  const found: string[] = [];
  if (stateDir && existsSync(stateDir)) found.push(`state dir ${stateDir}`);
  for (const d of cgroupDirs(cgroupRel)) found.push(`cgroup ${d}`);
  for (const pid of pidsInCgroup(cgroupRel)) {
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { /* gone */ }
    found.push(`process ${pid} (${cmd}) in cgroup ${cgroupRel}`);
  }
  return found;
}

/** Waits (up to `ms`) for a container's leftovers to disappear and returns those that remain. */
export async function leftoversAfter(stateDir: string | undefined, cgroupRel: string, ms = 10_000): Promise<string[]> {
  let found: string[] = [];
  await eventually(() => (found = leftovers(stateDir, cgroupRel)).length === 0, ms, 200);
  return found;
}

/** The last `n` lines of a file, or a note that it is missing. */
export function tail(file: string, n = 40): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch (e) { return `(${file}: ${(e as Error).message})`; }
}
