/**
 * Two ways a container could get more than its config gives, each checked beside runc on the same
 * bundle (runc's side skipped when runc is not installed):
 * - --no-pivot keeps the old root (the host's tree) under the moved rootfs, in the container's
 *   mount namespace. The kernel lets a user namespace mount a fresh procfs or sysfs when a full,
 *   uncovered mount of it exists anywhere in the mount namespace: the host's /proc would let a
 *   nested `unshare -Urm` mount a procfs without the container's masks.
 * - A cgroup that is already frozen would stop the init as it joins, and `run -d` would wait
 *   forever: it must fail at once, naming the cgroup, leaving no state and no process.
 * Every container, cgroup and temp dir made here is removed in t.teardown, even on failure.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectHost, v1Hierarchies, type CgroupLayout } from '../../src/cgroups/index.js';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import { containerDirs, isRoot, makeDir, privateRoot, requireRootAndBuild, ROOTFS, TSRUN, uniqueId } from './helpers.js';

const skip = requireRootAndBuild();
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a runtime's command; a run past timeoutMs is killed and reported, not thrown. */
function runtime(bin: string, root: string, args: string[], timeoutMs = 30_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--root', root, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    // 'exit', not 'close': a detached container keeps the runtime's stdout open.
    child.on('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, stdout, stderr, timedOut }));
    });
    child.stdin.end();
  });
}

/** A private --root for runc, with every container left in it deleted at teardown. */
function runcRoot(t: ExecutionContext): string {
  const root = mkdtempSync(join(tmpdir(), 'runc-root-'));
  t.teardown(() => {
    for (const id of existsSync(root) ? readdirSync(root) : []) spawnSync(RUNC!, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
    rmSync(root, { recursive: true, force: true });
  });
  return root;
}

/**
 * The config `runc spec` writes (tsrun's default without what runc's lacks, when runc is not
 * installed: no cgroup namespace, no seccomp), on the busybox rootfs; `patch` edits it.
 */
function runcSpecBundle(t: ExecutionContext, patch: (spec: any) => void): string {
  const dir = makeDir(t, 'tsrun-bundle-');
  let spec: any;
  if (RUNC) {
    const r = spawnSync(RUNC, ['spec', '--bundle', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`runc spec: ${r.stderr}`);
    spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } else {
    spec = defaultSpec();
    spec.linux.namespaces = spec.linux.namespaces.filter((n: { type: string }) => n.type !== 'cgroup');
    delete spec.linux.seccomp;
  }
  spec.root = { path: ROOTFS, readonly: true };
  spec.process.terminal = false;
  patch(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return dir;
}

/** Both runtimes, runc's side a registered skip when it is not installed. */
function sideBySide(title: string, body: (t: ExecutionContext, bin: string, root: (t: ExecutionContext) => string) => Promise<void>): void {
  const it = skip ? test.skip : test.serial;
  it(`${title} (tsrun)${skip ? ` (skipped: ${skip})` : ''}`, (t) => body(t, TSRUN, privateRoot));
  if (RUNC && !skip) test.serial(`${title} (runc, for comparison)`, (t) => body(t, RUNC, runcRoot));
  else test.skip(`${title} (runc, for comparison) (skipped: ${skip ?? 'runc is not installed'})`, () => undefined);
}

// --- --no-pivot: no fresh procfs or sysfs in a nested user namespace ------------------------

/**
 * A nested user, mount and pid (or network) namespace tries a fresh procfs (sysfs). It runs as
 * uid 1000: mapping uid 0 into a new user namespace needs CAP_SETFCAP, which this config lacks.
 * `id -u` prints 0 first, showing the namespaces were made and only the mount was refused.
 */
const NESTED_MOUNTS =
  "unshare -Urmpf sh -c 'id -u; mount -t proc none /proc && echo proc-mounted || echo proc-denied'; " +
  "unshare -Urmnf sh -c 'id -u; mount -t sysfs none /sys && echo sysfs-mounted || echo sysfs-denied'";

/** The container's own user namespace, for the variant where the host's mounts are locked. */
function withUserNamespace(s: any): void {
  s.linux.namespaces.push({ type: 'user' });
  s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
}

for (const [variant, patch] of [
  ['', () => undefined],
  // The copies of the host's mounts are locked there: they cannot be detached, only covered.
  [' (in a user namespace)', withUserNamespace],
] as const) {
  sideBySide(`--no-pivot: a nested user namespace cannot mount a fresh procfs or sysfs${variant}`, async (t, bin, rootOf) => {
    const bundle = runcSpecBundle(t, (s) => {
      patch(s);
      s.process.user = { uid: 1000, gid: 1000 };
      s.process.args = ['sh', '-c', NESTED_MOUNTS];
    });
    const r = await runtime(bin, rootOf(t), ['run', '--no-pivot', '-b', bundle, uniqueId('nopivot')]);
    t.false(r.timedOut, 'run returned');
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, '0\nproc-denied\n0\nsysfs-denied\n', r.stderr);
    t.is(r.stderr.match(/mount: permission denied/g)?.length, 2, r.stderr);
  });
}

/** The config's masked paths the host has, each as the container shows it. */
sideBySide('--no-pivot: the masked paths are still masked', async (t, bin, rootOf) => {
  let masked: string[] = [];
  const bundle = runcSpecBundle(t, (s) => {
    masked = (s.linux.maskedPaths as string[]).filter((p) => existsSync(p));
    s.process.args = ['sh', '-c', masked.map((p) => `if [ -d ${p} ]; then stat -f -c '${p} %T' ${p}; else stat -c '${p} %t:%T' ${p}; fi`).join('; ')];
  });
  t.true(masked.length > 0, 'the host has some of the masked paths');
  const r = await runtime(bin, rootOf(t), ['run', '--no-pivot', '-b', bundle, uniqueId('nopivot')]);
  t.is(r.code, 0, r.stderr);
  // A directory is covered by a tmpfs, a file by /dev/null (character device 1:3).
  const want = masked.map((p) => `${p} ${statSync(p).isDirectory() ? 'tmpfs' : '1:3'}\n`).join('');
  t.is(r.stdout, want);
});

// --- a pre-frozen cgroup --------------------------------------------------------------------

const layout: CgroupLayout | undefined = isRoot ? detectHost() : undefined;

/** How this host freezes a cgroup: the v1 freezer hierarchy, else cgroup2's cgroup.freeze. */
function freezerOf(l: CgroupLayout | undefined): { mount: string; file: string; frozen: string; thawed: string } | undefined {
  if (l?.v1.freezer) return { mount: l.v1.freezer.mountPoint, file: 'freezer.state', frozen: 'FROZEN', thawed: 'THAWED' };
  if (l?.mode === 'v2' && l.unified) return { mount: l.unified.mountPoint, file: 'cgroup.freeze', frozen: '1', thawed: '0' };
  return undefined;
}
const freezer = freezerOf(layout);

function procsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** rmdir of dir and every cgroup below it, deepest first. */
function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  rmdirSync(dir);
}

/**
 * Makes /NAME frozen and, at teardown, kills whatever sits in it (a runtime that hung leaves its
 * init there), thaws it and removes /NAME from every hierarchy a runtime made it in.
 */
function frozenCgroup(t: ExecutionContext): { name: string; dir: string } {
  const f = freezer!;
  const name = `tsrun-test-frozen-${randomBytes(4).toString('hex')}`;
  const dir = join(f.mount, name);
  const dirs = [...v1Hierarchies(layout!).map((h) => h.mountPoint), ...(layout!.unified ? [layout!.unified.mountPoint] : [])].map((m) => join(m, name));
  t.teardown(async () => {
    for (const d of dirs) for (const pid of procsOf(d)) spawnSync('kill', ['-KILL', String(pid)]);
    if (existsSync(dir)) writeFileSync(join(dir, f.file), f.thawed);
    for (let i = 0; i < 100 && dirs.some((d) => procsOf(d).length > 0); i++) await sleep(50);
    for (const d of dirs) removeTree(d);
  });
  mkdirSync(dir);
  writeFileSync(join(dir, f.file), f.frozen);
  return { name, dir };
}

const noFreezer = skip ?? (freezer ? undefined : 'no cgroup freezer on this host');
const frozenTitle = 'run -d into a frozen cgroup fails at once, naming it, and leaves nothing';
if (noFreezer) {
  test.skip(`${frozenTitle} (tsrun) (skipped: ${noFreezer})`, () => undefined);
  test.skip(`${frozenTitle} (runc, for comparison) (skipped: ${noFreezer})`, () => undefined);
} else {
  sideBySide(frozenTitle, async (t, bin, rootOf) => {
    const root = rootOf(t);
    const cg = frozenCgroup(t);
    const bundle = runcSpecBundle(t, (s) => {
      s.process.args = ['sleep', '100'];
      s.linux.cgroupsPath = `/${cg.name}`;
    });
    const r = await runtime(bin, root, ['run', '-d', '-b', bundle, uniqueId('frozen')], 20_000);
    t.false(r.timedOut, `run -d returned (stderr: ${r.stderr})`);
    t.not(r.code, 0);
    if (bin === TSRUN) {
      const lines = r.stderr.trim().split('\n');
      t.is(lines.length, 1, r.stderr);
      t.true(lines[0]!.includes(`${cg.dir} is frozen`), r.stderr);
      t.deepEqual(containerDirs(root), [], 'no state dir left');
    } else {
      t.regex(r.stderr, /frozen/);
    }
    t.deepEqual(procsOf(cg.dir), [], 'no process left in the cgroup');
    t.is(readFileSync(join(cg.dir, freezer!.file), 'utf8').trim(), freezer!.frozen, 'the cgroup, not ours, is left as it was');
  });
}
