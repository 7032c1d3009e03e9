/**
 * podman 4.3 (Debian) with conmon driving the runtime (`podman --runtime <bin>`): run --rm
 * (stdio, exit code), -i, -it, exit codes 127/126, a detached container with exec, pause/unpause,
 * stop, rm -f, the default seccomp profile; and nothing left behind. Every case runs for
 * runtime ∈ {tsrun, runc}: the runc runs show the tests test the runtime. podman's storage,
 * configuration and the runtime's state root are private (managers/podman.ts).
 */
import type { ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RUNTIMES, ROOTFS, type Runtime, basicPrerequisites, cgroupDirs, describe, ensureCommands, eventually, leftoversAfter,
  pidsInCgroup, which,
} from './managers/common.js';
import { freezerState, hasFreezer } from '../support/host.js';
import { serialUnless, unless } from './helpers.js';
import { IMAGE_REF, buildImageArchive } from './managers/image.js';
import { Podman } from './managers/podman.js';

function whyNot(): string | undefined {
  return basicPrerequisites() ?? ensureCommands({ podman: 'podman', conmon: 'conmon' });
}
const it = serialUnless(whyNot());

let pm: Podman | undefined;
let workDir = '';

it.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'tsrun-podman-image-'));
  const archive = buildImageArchive(ROOTFS, workDir);
  pm = await Podman.start();
  await pm.load(archive);
});

it.after.always(async () => {
  if (pm) {
    const notes = await pm.stop();
    for (const n of notes) console.warn(`podman suite clean-up: ${n}`);
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

let counter = 0;

interface Ctx { p: Podman; rt: Runtime; name: string; cidfile: string }

/** A fresh container name and cidfile for this test; the container is removed at teardown. */
function setup(t: ExecutionContext, rt: Runtime, prefix: string): Ctx {
  const p = pm!;
  const name = `tsrun-itest-${prefix}-${process.pid}-${counter++}`;
  const cidfile = join(workDir, `${name}.cid`);
  const x = { p, rt, name, cidfile };
  t.teardown(async () => {
    const id = cid(x);
    if (id) p.track(rt, id);
    const problems = await p.remove(rt, name, id);
    for (const m of problems) console.warn(`teardown of ${t.title}: ${m}`);
  });
  return x;
}

function cid(x: Ctx): string | undefined {
  try { return readFileSync(x.cidfile, 'utf8').trim() || undefined; } catch { return undefined; }
}

/** `podman run` flags of every container: name, cidfile, no pull, no network, our cgroup parent. */
const flags = (x: Ctx) => ['--name', x.name, '--cidfile', x.cidfile, ...x.p.runFlags(x.rt)];

/** Asserts that the container left nothing: no runtime state dir, no cgroup, no process, no podman record. */
async function assertNothingLeft(t: ExecutionContext, x: Ctx): Promise<void> {
  const id = cid(x);
  if (!id) { t.fail('podman wrote no container id'); return; }
  t.deepEqual(await leftoversAfter(x.p.stateDir(x.rt, id), `${x.p.cgroupParent(x.rt)}/libpod-${id}`), [], 'nothing left behind');
  t.true(await eventually(async () => !(await x.p.exists(x.rt, id)), 10_000), 'podman no longer knows the container');
}

/** `podman rm -f -t 0` of a running container, then the leftover checks. */
async function removeAndCheck(t: ExecutionContext, x: Ctx): Promise<void> {
  const rm = await x.p.podman(x.rt, ['rm', '-f', '-t', '0', x.name], { timeoutMs: 60_000 });
  t.is(rm.code, 0, describe(rm));
  await assertNothingLeft(t, x);
}

/** `podman run -d` of a shell that exits 7 on SIGTERM; returns the container id. */
async function runDetached(t: ExecutionContext, x: Ctx, script = 'trap "exit 7" TERM; sleep 1000 & wait; exit 9'): Promise<string> {
  const r = await x.p.podman(x.rt, ['run', '-d', ...flags(x), IMAGE_REF, 'sh', '-c', script]);
  t.is(r.code, 0, describe(r));
  const id = r.stdout.trim();
  t.regex(id, /^[0-9a-f]{64}$/, describe(r));
  x.p.track(x.rt, id);
  t.is(await x.p.inspect(x.rt, id, '{{.State.Status}}'), 'running');
  // The runtime under test holds this container: its state dir is in the runtime's root.
  t.true(existsSync(x.p.stateDir(x.rt, id)), `${x.rt.name} keeps the container in ${x.rt.defaultRoot}/${id}`);
  return id;
}

for (const rt of RUNTIMES) {
  const rtTest = unless(it, which(rt.bin) ? undefined : `${rt.bin} is not installed`);
  const title = (s: string) => `${rt.name}: ${s}`;

  rtTest(title('podman run --rm: stdout, stderr and exit code'), async (t) => {
    const x = setup(t, rt, 'run');
    const r = await x.p.podman(rt, ['run', '--rm', ...flags(x), IMAGE_REF, 'sh', '-c',
      'echo to-stdout; echo to-stderr >&2; echo "fds: $(ls /proc/self/fd | tr "\\n" " ")"; exit 3']);
    t.is(r.code, 3, describe(r));
    // ls has 0-2 and its directory fd 3: no fd of conmon or the runtime reached the container.
    t.is(r.stdout, 'to-stdout\nfds: 0 1 2 3 \n', describe(r));
    t.regex(r.stderr, /to-stderr/, describe(r));
    t.log(`podman run took ${r.ms} ms`);
    await assertNothingLeft(t, x);
  });

  rtTest(title('podman run --rm -i: stdin reaches the container and closes'), async (t) => {
    const x = setup(t, rt, 'stdin');
    const r = await x.p.podman(rt, ['run', '--rm', '-i', ...flags(x), IMAGE_REF, 'sh', '-c', 'cat; echo "end-of-input"'],
      { input: 'line one\nline two\n' });
    t.is(r.code, 0, describe(r));
    t.is(r.stdout, 'line one\nline two\nend-of-input\n', describe(r));
    await assertNothingLeft(t, x);
  });

  rtTest(title('podman run --rm -it: a terminal, input and exit code'), async (t) => {
    const x = setup(t, rt, 'tty');
    const r = await x.p.podmanPty(rt, ['run', '--rm', '-it', ...flags(x), IMAGE_REF,
      'sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-a-tty; read line; echo "got-$line"; exit 4'],
    { marker: 'stdio-is-a-tty', type: 'hello\\r', timeoutMs: 60_000 });
    t.is(r.code, 4, describe(r));
    t.regex(r.stdout, /\/dev\/pts\/\d+|\/dev\/console/, describe(r));
    t.regex(r.stdout, /got-hello/, describe(r));
    await assertNothingLeft(t, x);
  });

  rtTest(title('podman run of a missing command exits 127 and says why'), async (t) => {
    const x = setup(t, rt, 'enoent');
    const r = await x.p.podman(rt, ['run', '--rm', ...flags(x), IMAGE_REF, 'no-such-binary']);
    t.is(r.code, 127, describe(r));
    t.regex(r.stderr, /no-such-binary.*(executable file not found|no such file or directory)/i, describe(r));
    await assertNothingLeft(t, x);
  });

  rtTest(title('podman run of a non-executable file exits 126 and says why'), async (t) => {
    const x = setup(t, rt, 'eacces');
    const r = await x.p.podman(rt, ['run', '--rm', ...flags(x), IMAGE_REF, '/etc/passwd']);
    t.is(r.code, 126, describe(r));
    t.regex(r.stderr, /permission denied/i, describe(r));
    await assertNothingLeft(t, x);
  });

  rtTest(title('podman run applies the default seccomp profile, none when unconfined, a custom one'), async (t) => {
    const x = setup(t, rt, 'seccomp');
    const status = 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status';
    const r = await x.p.podman(rt, ['run', '--rm', ...flags(x), IMAGE_REF, 'sh', '-c', status]);
    t.is(r.code, 0, describe(r));
    t.regex(r.stdout, /Seccomp:\s+2/, `the default profile is a seccomp filter: ${describe(r)}`);
    await assertNothingLeft(t, x);
    const y = setup(t, rt, 'unconfined');
    const u = await x.p.podman(rt, ['run', '--rm', ...flags(y), '--security-opt', 'seccomp=unconfined', IMAGE_REF, 'sh', '-c', status]);
    t.is(u.code, 0, describe(u));
    t.regex(u.stdout, /Seccomp:\s+0/, `no filter when unconfined: ${describe(u)}`);
    await assertNothingLeft(t, y);
    // A profile of our own that refuses mkdir with EPERM and allows everything else.
    const profile = join(workDir, `${x.name}.seccomp.json`);
    writeFileSync(profile, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    }));
    const z = setup(t, rt, 'custom');
    const c = await x.p.podman(rt, ['run', '--rm', ...flags(z), '--security-opt', `seccomp=${profile}`, IMAGE_REF,
      'sh', '-c', 'mkdir /tmp/refused; echo "mkdir-exit-$?"; touch /tmp/allowed && echo touch-ok']);
    t.is(c.code, 0, describe(c));
    t.regex(c.stdout, /mkdir-exit-1/, describe(c));
    t.regex(c.stderr, /Operation not permitted/, describe(c));
    t.regex(c.stdout, /touch-ok/, describe(c));
    await assertNothingLeft(t, z);
  });

  rtTest(title('podman exec in a detached container: output, stdin, exit code, a tty'), async (t) => {
    const x = setup(t, rt, 'exec');
    const id = await runDetached(t, x);
    const e = await x.p.podman(rt, ['exec', x.name, 'sh', '-c', 'echo exec-out; echo exec-err >&2; echo "fds: $(ls /proc/self/fd | tr "\\n" " ")"; exit 5']);
    t.is(e.code, 5, describe(e));
    t.is(e.stdout, 'exec-out\nfds: 0 1 2 3 \n', describe(e));
    t.regex(e.stderr, /exec-err/, describe(e));
    const i = await x.p.podman(rt, ['exec', '-i', x.name, 'sh', '-c', 'cat; cat /proc/1/cmdline | tr "\\0" " "'], { input: 'exec-in\n' });
    t.is(i.code, 0, describe(i));
    t.regex(i.stdout, /^exec-in\nsh -c trap/, `stdin passes and the exec shares the container's pid namespace: ${describe(i)}`);
    const tty = await x.p.podmanPty(rt, ['exec', '-it', x.name, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-a-tty; read line; echo "got-$line"; exit 6'],
      { marker: 'stdin-is-a-tty', type: 'typed\\r', timeoutMs: 60_000 });
    t.is(tty.code, 6, describe(tty));
    t.regex(tty.stdout, /\/dev\/pts\/\d+/, describe(tty));
    t.regex(tty.stdout, /got-typed/, describe(tty));
    t.is(await x.p.inspect(rt, id, '{{.State.Status}}'), 'running', 'the container survives the execs');
    await removeAndCheck(t, x);
  });

  rtTest(title('podman pause / unpause'), async (t) => {
    const x = setup(t, rt, 'pause');
    const id = await runDetached(t, x);
    const p = await x.p.podman(rt, ['pause', x.name]);
    t.is(p.code, 0, describe(p));
    t.is(await x.p.inspect(rt, id, '{{.State.Status}}'), 'paused');
    const frozen = freezerState(`${x.p.cgroupParent(rt)}/libpod-${id}`);
    if (frozen !== undefined || hasFreezer()) t.is(frozen, 'FROZEN', 'the container cgroup is frozen (v1 freezer or v2 cgroup.freeze)');
    const u = await x.p.podman(rt, ['unpause', x.name]);
    t.is(u.code, 0, describe(u));
    t.is(await x.p.inspect(rt, id, '{{.State.Status}}'), 'running');
    const e = await x.p.podman(rt, ['exec', x.name, 'echo', 'thawed']);
    t.is(e.stdout, 'thawed\n', describe(e));
    await removeAndCheck(t, x);
  });

  rtTest(title('podman stop: SIGTERM, the exit code, then rm'), async (t) => {
    const x = setup(t, rt, 'stop');
    const id = await runDetached(t, x);
    const s = await x.p.podman(rt, ['stop', '-t', '20', x.name], { timeoutMs: 60_000 });
    t.is(s.code, 0, describe(s));
    t.true(s.ms < 15_000, `stopped by SIGTERM, not by the timeout (${s.ms} ms)`);
    t.is(await x.p.inspect(rt, id, '{{.State.Status}}'), 'exited');
    t.is(await x.p.inspect(rt, id, '{{.State.ExitCode}}'), '7');
    const rm = await x.p.podman(rt, ['rm', x.name]);
    t.is(rm.code, 0, describe(rm));
    await assertNothingLeft(t, x);
  });

  rtTest(title('podman rm -f of a running container'), async (t) => {
    const x = setup(t, rt, 'rmf');
    await runDetached(t, x, 'sleep 1000 & sleep 1001 & wait');
    await removeAndCheck(t, x);
  });

  rtTest(title('at the end nothing is left: containers, runtime state, cgroups, conmon processes'), async (t) => {
    const p = pm!;
    const ps = await p.podman(rt, ['ps', '-a', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
    t.is(ps.code, 0, describe(ps));
    t.is(ps.stdout.trim(), '', 'podman lists no container');
    const root = p.stateDir(rt, '');
    const dirs = existsSync(root) ? readdirSync(root).filter((n) => !n.startsWith('.')) : [];
    t.deepEqual(dirs, [], `no container state left in ${rt.defaultRoot}`);
    const parent = p.cgroupParent(rt);
    const cgroups = cgroupDirs(parent).flatMap((d) => readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'conmon').map((e) => join(d, e.name)));
    t.deepEqual(cgroups, [], 'no container cgroup left under the cgroup parent');
    t.deepEqual(pidsInCgroup(parent), [], 'no process left in the cgroup parent');
    t.deepEqual(p.strayProcesses(), [], 'no conmon (or other process) of ours left');
  });
}
