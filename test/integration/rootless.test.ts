/**
 * Rootless: tsrun run by a normal user that this file creates (useradd) and removes again (userdel
 * -r, its /etc/subuid and /etc/subgid lines, its containers, its files), even when a test fails.
 * The user runs bin/tsrun of this checkout, so the checkout must be readable by others; when the
 * host's files say that (or unprivileged user namespaces, or a tool) is missing, every test is
 * skipped with the reason in its title.
 */
import type { ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createManager } from '../../src/cgroups/index.js';
import { unprivilegedUsernsBlocked, unreachableByOthers, writableBy } from '../support/host.js';
import { eachRuntime, needsCommand, requireRootAndBuild, serialUnless, REPO, ROOTFS, TSRUN, waitFor, type Result } from './helpers.js';

const USER = `tsrunrl${process.pid}`.slice(0, 30);
const SUBID_START = 400000;
const SUBID_SIZE = 65536;

/** Why this host cannot run these tests: root makes the user; the tools, user namespaces, a reachable checkout. */
function whyNot(): string | undefined {
  const tools = ['useradd', 'userdel', 'runuser', 'newuidmap', 'newgidmap'].map((c) => needsCommand(c, 'Debian: passwd, util-linux, uidmap'));
  const hidden = unreachableByOthers([
    { path: TSRUN, exec: true }, { path: join(REPO, 'build', 'tsrun-executor'), exec: true }, { path: process.execPath, exec: true },
    { path: join(REPO, 'dist', 'src', 'cli', 'main.js') }, { path: join(REPO, 'node_modules', 'koffi', 'package.json') },
  ]);
  return requireRootAndBuild() ?? tools.find(Boolean) ?? unprivilegedUsernsBlocked()
    ?? (hidden ? `needs the checkout readable by other users (bin/tsrun, dist/, node_modules/, build/): ${hidden} is not` : undefined);
}
const it = serialUnless(whyNot());

let uid = -1;
let gid = -1;
let home = ''; // temp dir owned by the user: bundles, rootfs, XDG_RUNTIME_DIR
let xdg = '';
let userCreated = false;

function sh(cmd: string, args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/** Runs a command as the user (its environment: XDG_RUNTIME_DIR, PATH, nothing of root's). */
function asUserArgs(argv: string[]): string[] {
  return ['-u', USER, '--', 'env', '-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, `HOME=${home}`, `XDG_RUNTIME_DIR=${xdg}`, ...argv];
}

function tsrunAsUser(args: string[], opts: { timeoutMs?: number } = {}): Promise<Result> {
  return runtimeAsUser(TSRUN, args, opts);
}

/** Runs a runtime's binary (tsrun, runc) as the user. */
function runtimeAsUser(bin: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('runuser', asUserArgs([bin, ...args]), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} (as ${USER}) timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
    child.stdin.end();
  });
}

function removeSubidLines(): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    const kept = lines.filter((l) => !l.startsWith(`${USER}:`));
    if (kept.length !== lines.length) writeFileSync(file, kept.join('\n'));
  }
}

function addSubidLines(): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    writeFileSync(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${USER}:${SUBID_START}:${SUBID_SIZE}\n`);
  }
}

/** Every process of the user (all started by these tests' containers), killed by pid. */
function killUserProcesses(): void {
  const r = spawnSync('ps', ['-o', 'pid=', '-u', String(uid)], { encoding: 'utf8' });
  for (const pid of (r.stdout ?? '').split('\n').map((s) => Number(s.trim())).filter((n) => n > 0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function stateRoot(): string {
  return join(xdg, 'tsrun');
}

/** Deletes every container the user has, as the user. */
async function deleteAll(): Promise<void> {
  if (!existsSync(stateRoot())) return;
  for (const id of readdirSync(stateRoot()).filter((n) => !n.startsWith('.'))) await tsrunAsUser(['delete', '--force', id]).catch(() => undefined);
}

it.before(() => {
  // No automatic subordinate ids: the tests add (and remove) the user's ranges themselves.
  let r = sh('useradd', ['-m', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', '-s', '/bin/sh', USER]);
  if (r.status !== 0) r = sh('useradd', ['-m', '-s', '/bin/sh', USER]);
  if (r.status !== 0) throw new Error(`useradd ${USER} failed: ${r.out}`);
  userCreated = true;
  removeSubidLines();
  uid = Number(sh('id', ['-u', USER]).out);
  gid = Number(sh('id', ['-g', USER]).out);
  home = mkdtempSync(join(tmpdir(), 'tsrun-rootless-'));
  xdg = join(home, 'xdg');
  mkdirSync(xdg, { mode: 0o700 });
  sh('chown', ['-R', `${uid}:${gid}`, home]);
  sh('chmod', ['755', home]);
  delegated = cgroupsDelegatedTo(uid, gid);
});

it.after.always(async () => {
  if (!userCreated) return;
  try {
    await deleteAll();
  } finally {
    killUserProcesses();
    removeSubidLines();
    const r = sh('userdel', ['-r', USER]);
    if (r.status !== 0) {
      killUserProcesses();
      sh('userdel', ['-r', '-f', USER]);
    }
    if (home) rmSync(home, { recursive: true, force: true });
  }
});

/** A bundle of `tsrun spec --rootless` (run as the user) with the rootfs the user owns. */
async function rootlessBundle(t: ExecutionContext, patch: (s: any) => void = () => undefined): Promise<string> {
  const dir = mkdtempSync(join(home, 'bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cp = sh('cp', ['-a', ROOTFS, join(dir, 'rootfs')]);
  t.is(cp.status, 0, cp.out);
  sh('chown', ['-R', `${uid}:${gid}`, dir]);
  const r = await tsrunAsUser(['spec', '--rootless', '--bundle', dir]);
  t.is(r.code, 0, r.stderr);
  const file = join(dir, 'config.json');
  const spec = JSON.parse(readFileSync(file, 'utf8'));
  patch(spec);
  writeFileSync(file, JSON.stringify(spec, null, 2));
  return dir;
}

let counter = 0;
const newId = () => `rl-${process.pid}-${counter++}`;

/** The nearest directory of path (or path itself) that exists. */
function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && at !== dirname(at)) at = dirname(at);
  return at;
}

/**
 * Whether the cgroups tsrun would make for the user (tsrun/<id> below the caller's own) are
 * delegated to it: the nearest existing level, and its cgroup.procs, writable by the user.
 */
function cgroupsDelegatedTo(uid: number, gid: number): boolean {
  const state = createManager({ id: 'probe', cgroupsPath: 'tsrun/probe' }).toJSON();
  return [...Object.values(state.paths), ...(state.unified ? [state.unified] : [])].every((dir) => {
    const at = nearestExisting(dir);
    return writableBy(at, uid, gid) && (at !== dir || writableBy(join(dir, 'cgroup.procs'), uid, gid));
  });
}

/** Whether this host delegates cgroups to the user (not on cgroup v1 without delegation). */
let delegated = false;

it('tsrun spec --rootless, then tsrun run, works; state goes to $XDG_RUNTIME_DIR/tsrun', async (t) => {
  // Only the command changes: the rest is what `spec --rootless` wrote (a terminal included).
  const bundle = await rootlessBundle(t, (s) => (s.process.args = ['sh', '-c', 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; hostname']));
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  t.true(spec.process.terminal, 'the config is the one spec --rootless wrote');
  t.deepEqual(spec.linux.uidMappings, [{ containerID: 0, hostID: uid, size: 1 }]);
  const r = await tsrunAsUser(['run', '--bundle', bundle, newId()]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split(/\r?\n/).map((l) => l.trim().split(/\s+/).join(' '));
  t.deepEqual(lines.slice(0, 5), ['0', '0', `0 ${uid} 1`, `0 ${gid} 1`, 'tsrun']);
  t.true(existsSync(stateRoot()), 'the state root was made under XDG_RUNTIME_DIR');
  t.deepEqual(readdirSync(stateRoot()).filter((n) => !n.startsWith('.')), [], 'run removed its container');
  t.false(/warning/.test(r.stderr), `cgroups ${delegated ? '' : 'not '}delegated here; stderr: ${r.stderr}`);
});

eachRuntime(it, (rt, itRt) => {
  itRt(`without a delegated cgroup, a config asking no limit runs silently; one asking a limit fails naming it (${rt.name})`, async (t) => {
    const root = join(xdg, `${rt.name}-quiet`);
    const config = (s: any) => {
      s.process.terminal = false;
      s.process.args = ['true'];
    };
    const quiet = await runtimeAsUser(rt.bin, ['--root', root, 'run', '--bundle', await rootlessBundle(t, config), newId()]);
    t.is(quiet.code, 0, quiet.stderr);
    t.is(quiet.stderr, '', `cgroups ${delegated ? '' : 'not '}delegated here`);
    if (delegated) return;
    const limited = await rootlessBundle(t, (s) => {
      config(s);
      s.linux.resources = { memory: { limit: 64 << 20 } };
    });
    const id = newId();
    t.teardown(() => runtimeAsUser(rt.bin, ['--root', root, 'delete', '--force', id]).then(() => undefined));
    const r = await runtimeAsUser(rt.bin, ['--root', root, 'run', '--bundle', limited, id]);
    t.not(r.code, 0, 'a limit that cannot be applied fails');
    t.regex(r.stderr, /memory|cgroup/, r.stderr);
  });
});

it('exec into a rootless container works; its processes are the user on the host', async (t) => {
  const bundle = await rootlessBundle(t, (s) => {
    s.process.terminal = false;
    s.process.args = ['sleep', '1000'];
  });
  const id = newId();
  t.teardown(() => tsrunAsUser(['delete', '--force', id]).then(() => undefined));
  const c = await tsrunAsUser(['run', '-d', '--bundle', bundle, id]);
  t.is(c.code, 0, c.stderr);
  t.true(existsSync(join(stateRoot(), id, 'state.json')));
  const st = JSON.parse((await tsrunAsUser(['state', id])).stdout);
  t.is(st.status, 'running');
  t.is(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${st.pid}/status`, 'utf8'))![1]), uid);
  const e = await tsrunAsUser(['exec', id, 'sh', '-c', 'id -u; cat /proc/self/uid_map; cat /proc/1/cmdline']);
  t.is(e.code, 0, e.stderr);
  const lines = e.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  t.deepEqual(lines.slice(0, 2), ['0', `0 ${uid} 1`]);
  t.true(e.stdout.includes('sleep\u00001000'), 'pid 1 is the container init');
  const k = await tsrunAsUser(['kill', id, 'KILL']);
  t.is(k.code, 0, k.stderr);
  await waitFor(async () => JSON.parse((await tsrunAsUser(['state', id])).stdout).status === 'stopped', 10_000, 'stopped');
  const d = await tsrunAsUser(['delete', id]);
  t.is(d.code, 0, d.stderr);
  t.false(existsSync(join(stateRoot(), id)));
});

it('without /etc/subuid ranges, mapping more than the own id is a clear error', async (t) => {
  const wide = [{ containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: SUBID_START, size: SUBID_SIZE }];
  const bundle = await rootlessBundle(t, (s) => {
    s.process.terminal = false;
    s.process.args = ['true'];
    s.linux.uidMappings = wide;
    s.linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }, { containerID: 1, hostID: SUBID_START, size: SUBID_SIZE }];
  });
  const r = await tsrunAsUser(['run', '--bundle', bundle, newId()]);
  t.is(r.code, 1);
  t.regex(r.stderr, /rootless: newuidmap \d+ 0 \d+ 1 1 400000 65536: .*not allowed.*\/etc\/subuid/);
  t.deepEqual(readdirSync(stateRoot()).filter((n) => !n.startsWith('.')), []);
});

it('ids beyond the own id go through newuidmap/newgidmap and /etc/subuid; setgroups then works', async (t) => {
  addSubidLines();
  t.teardown(removeSubidLines);
  const maps = (own: number) => [{ containerID: 0, hostID: own, size: 1 }, { containerID: 1, hostID: SUBID_START, size: SUBID_SIZE }];
  const bundle = await rootlessBundle(t, (s) => {
    s.process.terminal = false;
    s.process.user = { uid: 1000, gid: 1000, additionalGids: [5] };
    s.process.args = ['sh', '-c', 'id -u; id -G; cat /proc/self/uid_map /proc/self/setgroups; sleep 1000'];
    s.linux.uidMappings = maps(uid);
    s.linux.gidMappings = maps(gid);
  });
  const id = newId();
  t.teardown(() => tsrunAsUser(['delete', '--force', id]).then(() => undefined));
  const out = join(home, `${id}.out`);
  writeFileSync(out, '');
  sh('chown', [`${uid}:${gid}`, out]);
  const c = await new Promise<number | null>((resolve) => {
    const child = spawn('runuser', asUserArgs(['sh', '-c', `exec ${TSRUN} run -d --bundle ${bundle} ${id} >${out} 2>&1 </dev/null`]), { stdio: 'ignore' });
    child.on('exit', resolve);
  });
  t.is(c, 0, readFileSync(out, 'utf8'));
  await waitFor(() => readFileSync(out, 'utf8').includes('allow'), 5000, 'output');
  const lines = readFileSync(out, 'utf8').split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  const at = lines.indexOf('1000');
  t.true(at >= 0, lines.join('\n'));
  t.deepEqual(lines.slice(at, at + 5), ['1000', '1000 5', `0 ${uid} 1`, `1 ${SUBID_START} ${SUBID_SIZE}`, 'allow']);
  const pid = JSON.parse((await tsrunAsUser(['state', id])).stdout).pid;
  t.is(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]), SUBID_START + 999);
  const e = await tsrunAsUser(['exec', '--user', '0:0', id, 'id', '-u']);
  t.is(e.stdout.trim(), '0', e.stderr);
});

it('what needs privileges is refused with a clear error, and leaves nothing behind', async (t) => {
  const cases: Array<[string, (s: any) => void, RegExp]> = [
    [
      'no user namespace',
      (s) => {
        s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'user');
        delete s.linux.uidMappings;
        delete s.linux.gidMappings;
      },
      /rootless: tsrun run without root needs a user namespace/,
    ],
    ['groups with setgroups denied', (s) => (s.process.user.additionalGids = [0]), /setgroups\(1 groups\): setgroups is denied in this user namespace/],
    ['an id-mapped mount', (s) => s.mounts.push({ destination: '/m', type: 'bind', source: '/tmp', options: ['bind', 'idmap'] }), /\/mounts\/\d+: rootless: id-mapped mounts need root/],
    ['a device the host lacks', (s) => (s.linux.devices = [{ path: '/dev/tsrun-nope', type: 'c', major: 1, minor: 3 }]), /\/linux\/devices\/0: \/dev\/tsrun-nope: a container in a user namespace cannot create device nodes/],
    ['a device unlike the host node', (s) => (s.linux.devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 5 }]), /\/linux\/devices\/0: \/dev\/null: .*is not a char device 1:5/],
  ];
  if (!delegated) cases.push(['a memory limit without a delegated cgroup', (s) => (s.linux.resources = { memory: { limit: 64 << 20 } }), /\/linux\/resources\/memory: rootless: no cgroup is delegated/]);
  for (const [what, patch, message] of cases) {
    const bundle = await rootlessBundle(t, (s) => {
      s.process.terminal = false;
      s.process.args = ['true'];
      patch(s);
    });
    const r = await tsrunAsUser(['run', '--bundle', bundle, newId()]);
    t.is(r.code, 1, `${what}: ${r.stderr}`);
    t.regex(r.stderr, message, what);
    t.deepEqual(existsSync(stateRoot()) ? readdirSync(stateRoot()).filter((n) => !n.startsWith('.')) : [], [], what);
  }
});

it('features, as a normal user, does not advertise id-mapped mounts (they need root)', async (t) => {
  const r = await tsrunAsUser(['features']);
  t.is(r.code, 0, r.stderr);
  const f = JSON.parse(r.stdout);
  t.false(f.linux.mountExtensions.idmap.enabled);
  t.false(f.mountOptions.includes('idmap'));
});
