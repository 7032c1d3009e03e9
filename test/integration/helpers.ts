/**
 * Shared helpers of the integration tests: a private state root, bundles on the busybox rootfs,
 * running bin/tsrun, and clean-up of every container a test made, even when it fails.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
export const TSRUN = join(REPO, 'bin', 'tsrun');
export const ROOTFS = join(REPO, 'build', 'rootfs-busybox');
export const isRoot = process.getuid?.() === 0;
/** Debian's runc, for the tests that run the same config on tsrun and on runc side by side. */
export const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));

/** The runtimes a side-by-side test runs on: tsrun, and runc when it is installed. */
export const RUNTIMES: ReadonlyArray<{ name: string; bin: string | undefined }> = [
  { name: 'tsrun', bin: TSRUN },
  { name: 'runc', bin: RUNC },
];

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A private --root for one test, removed (with any container left in it) at teardown. */
export function privateRoot(t: ExecutionContext): string {
  const root = mkdtempSync(join(tmpdir(), 'tsrun-root-'));
  t.teardown(() => cleanupRoot(root));
  return root;
}

export function cleanupRoot(root: string): void {
  if (!existsSync(root)) return;
  const ids = spawnSync('ls', [root], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const id of ids) spawnSync(TSRUN, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}

let counter = 0;
export const uniqueId = (prefix = 't') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** A bundle in a temp dir whose rootfs is the shared busybox rootfs; `patch` edits the config. */
export function makeBundle(t: ExecutionContext, patch: (spec: any) => void = () => undefined, rootfs = ROOTFS): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const spec = defaultSpec({ hardened: true }) as any;
  spec.process.terminal = false;
  spec.root = { path: rootfs, readonly: true };
  patch(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return dir;
}

export function makeDir(t: ExecutionContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(dir, { recursive: true });
  return dir;
}

type RunOptions = SpawnOptions & { input?: string; timeoutMs?: number };

/** Runs tsrun with a --root and returns its exit code and output. */
export function tsrun(root: string, args: string[], opts: RunOptions = {}): Promise<Result> {
  return runRuntime(TSRUN, root, args, opts);
}

/** Runs a runc-compatible runtime (tsrun, runc) with a --root and returns its exit code and output. */
export function runRuntime(bin: string, root: string, args: string[], opts: RunOptions = {}): Promise<Result> {
  const name = bin.split('/').pop();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--root', root, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    // 'exit', not 'close': a created container legitimately keeps create's stdout open.
    child.on('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
    child.stdin?.end(opts.input ?? '');
  });
}

/** Polls until fn() is true or the deadline passes. */
export async function waitFor(fn: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function stateOf(root: string, id: string): Promise<any> {
  const r = await tsrun(root, ['state', id]);
  if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The test needs root and the built tree; otherwise it is skipped with the reason. */
export function requireRootAndBuild(): string | undefined {
  if (!isRoot) return 'needs root';
  if (!existsSync(ROOTFS)) return `needs ${ROOTFS} (run make)`;
  return undefined;
}

/** The container folders under a state root (dot entries, such as the seccomp cache, are tsrun's own). */
export function containerDirs(root: string): string[] {
  return readdirSync(root).filter((n) => !n.startsWith('.'));
}
