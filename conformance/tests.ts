// One test per MUST / MUST NOT (and REQUIRED state property) of the runtime spec's runtime.md:
// "Scope of a Container", "State", "Lifecycle" (hooks included), "Errors", "Warnings",
// "Operations". The text followed is runtime-spec main (1.3.0+dev, the version the schemas in
// schemas/ follow); each test cites its requirement by a short quote. One more
// test checks the runc CLI contract that callers rely on, and says so.
//
// A test gets a Ctx (lib.ts) bound to one runtime with a private --root, builds bundles whose
// rootfs is the read-only busybox rootfs and whose OUT (/tmp in the container) is a per-bundle
// host directory, and throws Fail or Skip (a prerequisite is missing), or a Deviation when it sees
// one of the known deviations (deviations.ts: the runner decides by its table whether that runtime
// declares it). The runner deletes (--force) every container id a test used, whatever happened.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  type Bundle,
  type Ctx,
  type HookName,
  OUT,
  type Spec,
  type State,
  alive,
  cgroupDirsNamed,
  cmdline,
  containerCgroupDirs,
  describe,
  expect,
  fail,
  listDir,
  logHook,
  nsId,
  ok,
  realpath,
  sh,
  skip,
  sleep,
  waitGone,
} from './lib.js';
import { Deviation } from './deviations.js';

export interface Test {
  /** Stable name, for --only and the table: "<section>.<what>". */
  name: string;
  /** runtime.md section the requirement is in (or "runc CLI contract"). */
  section: string;
  /** The requirement, quoted (shortened with … where long). */
  quote: string;
  run(c: Ctx): Promise<void>;
}

export const tests: Test[] = [];
function test(name: string, section: string, quote: string, run: (c: Ctx) => Promise<void>): void {
  tests.push({ name, section, quote, run });
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/** How long a test waits to see that something does NOT happen. */
const QUIET_MS = 300;

/** A program that runs until the test says go (touch OUT/go), then exits 0. */
const UNTIL_GO = sh(`touch ${OUT}/started; while [ ! -e ${OUT}/go ]; do sleep 0.05; done`);

/** create + start a container from B (default: UNTIL_GO); wait until it runs. */
async function running(c: Ctx, b?: Bundle): Promise<{ id: string; b: Bundle; pid: number }> {
  b ??= await c.bundle(UNTIL_GO);
  const id = c.newId();
  await c.mustCreate(id, b);
  const pid = c.readPidFile(id);
  await c.must(['start', id], 'start');
  await c.waitStatus(id, 'running');
  return { id, b, pid };
}

/** A container whose program (a script, or a bundle's) has run to completion (status stopped). */
async function stopped(c: Ctx, prog: string | Bundle = 'true'): Promise<{ id: string; b: Bundle }> {
  const b = typeof prog === 'string' ? await c.bundle(sh(prog)) : prog;
  const id = c.newId();
  await c.mustCreate(id, b);
  await c.must(['start', id], 'start');
  await c.waitStatus(id, 'stopped');
  return { id, b };
}

async function mustFail(c: Ctx, args: string[], why: string): Promise<void> {
  const r = await c.rt(args);
  expect(!ok(r) && !r.timedOut, r.timedOut ? `\`${args.join(' ')}\` hung (${why})` : `\`${args.join(' ')}\` succeeded; ${why}`);
}

/** Fail unless `state ID` fails (the container does not exist). */
async function mustNotExist(c: Ctx, id: string, why: string): Promise<void> {
  const r = await c.rt(['state', id]);
  if (ok(r)) fail(`${why}, but \`state ${id}\` still reports it: ${r.stdout.replace(/\s+/g, ' ').slice(0, 160)}`);
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** The runtime's state under --root for container ID (runc, crun and tsrun all use <root>/<id>). */
function rootEntries(c: Ctx, id: string): string[] {
  return listDir(c.root).filter((e) => e === id);
}

// ---------------------------------------------------------------------------------------------
// Scope of a Container

test(
  'scope.same-entity',
  'Scope of a Container',
  'The entity using a runtime to create a container MUST be able to use the operations defined in this specification against that same container.',
  async (c) => {
    const b = await c.bundle(['/bin/sleep', '300']);
    const id = c.newId();
    await c.mustCreate(id, b);
    // The same entity, elsewhere (another cwd, no bundle at hand): every operation by ID alone.
    const away = { cwd: '/' };
    await c.must(['state', id], 'state', away);
    await c.must(['start', id], 'start', away);
    await c.waitStatus(id, 'running');
    await c.must(['kill', id, 'KILL'], 'kill', away);
    await c.waitStatus(id, 'stopped');
    await c.must(['delete', id], 'delete', away);
  },
);

// ---------------------------------------------------------------------------------------------
// State

test(
  'state.id-unique',
  'State',
  '`id` (string, REQUIRED) is the container\'s ID. This MUST be unique across all containers on this host.',
  async (c) => {
    const [a, b] = [c.newId(), c.newId()];
    await c.mustCreate(a, await c.bundle(['/bin/sleep', '300']));
    await c.mustCreate(b, await c.bundle(['/bin/sleep', '300']));
    const [sa, sb] = [await c.state(a), await c.state(b)];
    expect(sa.id === a, `state ${a} reports id ${JSON.stringify(sa.id)}`);
    expect(sb.id === b, `state ${b} reports id ${JSON.stringify(sb.id)}`);
    expect(sa.pid !== sb.pid, `two containers report the same pid ${String(sa.pid)}`);
  },
);

test(
  'state.status-values',
  'State',
  'Additional values MAY be defined by the runtime, however, they MUST be used to represent new runtime states not defined above.',
  async (c) => {
    // created, running and stopped are defined: a runtime must report exactly those for them.
    const b = await c.bundle(UNTIL_GO);
    const id = c.newId();
    await c.mustCreate(id, b);
    const s1 = await c.state(id);
    expect(s1.status === 'created', `after create, status is ${JSON.stringify(s1.status)}, expected "created"`);
    await c.must(['start', id], 'start');
    await c.waitFile(path.join(b.out, 'started'));
    const s2 = await c.state(id);
    expect(s2.status === 'running', `while the program runs, status is ${JSON.stringify(s2.status)}, expected "running"`);
    await writeFile(path.join(b.out, 'go'), '');
    await c.waitStatus(id, 'stopped');
  },
);

test(
  'state.json-pattern',
  'State',
  'When serialized in JSON, the format MUST adhere to the following pattern',
  async (c) => {
    const b = await c.bundle(UNTIL_GO, (s) => {
      s.annotations = { 'org.opencontainers.conformance': 'yes' };
    });
    const id = c.newId();
    await c.mustCreate(id, b);
    const check = (s: State, when: string, pidRequired: boolean) => {
      const bad: string[] = [];
      if (typeof s.ociVersion !== 'string' || !/^\d+\.\d+\.\d+/.test(s.ociVersion)) bad.push(`ociVersion ${JSON.stringify(s.ociVersion)}`);
      if (typeof s.id !== 'string') bad.push(`id ${JSON.stringify(s.id)}`);
      if (typeof s.status !== 'string') bad.push(`status ${JSON.stringify(s.status)}`);
      if (pidRequired ? !(Number.isInteger(s.pid) && (s.pid as number) > 0) : s.pid !== undefined && !Number.isInteger(s.pid))
        bad.push(`pid ${JSON.stringify(s.pid)}`);
      if (typeof s.bundle !== 'string' || !path.isAbsolute(s.bundle)) bad.push(`bundle ${JSON.stringify(s.bundle)}`);
      const a = s.annotations;
      if (a !== undefined && (a === null || typeof a !== 'object' || Array.isArray(a) || Object.values(a).some((v) => typeof v !== 'string')))
        bad.push(`annotations ${JSON.stringify(a)}`);
      expect(bad.length === 0, `${when}: ${bad.join(', ')}`);
    };
    check(await c.state(id), 'created', true);
    await c.must(['start', id], 'start');
    await c.waitFile(path.join(b.out, 'started'));
    check(await c.state(id), 'running', true);
    await writeFile(path.join(b.out, 'go'), '');
    check(await c.waitStatus(id, 'stopped'), 'stopped', false);
  },
);

test(
  'state.pid',
  'State',
  '`pid` (int, REQUIRED when `status` is `created` or `running` on Linux…) is the ID of the container process, as seen by the host.',
  async (c) => {
    const b = await c.bundle(['/bin/sleep', '300']);
    const id = c.newId();
    await c.mustCreate(id, b);
    const s = await c.state(id);
    const pid = c.readPidFile(id);
    expect(s.pid === pid, `created: state pid ${JSON.stringify(s.pid)}, --pid-file ${pid}`);
    expect(alive(pid), `created: pid ${pid} is not a live process on the host`);
    await c.must(['start', id], 'start');
    const deadline = Date.now() + c.limits.waitMs;
    // After start the same host process runs the program.
    while (!isDeepStrictEqual(cmdline(pid), ['/bin/sleep', '300'])) {
      if (Date.now() > deadline) fail(`running: host pid ${pid} runs ${JSON.stringify(cmdline(pid))}, not the program`);
      await sleep(25);
    }
    const r = await c.state(id);
    expect(r.pid === pid, `running: state pid ${JSON.stringify(r.pid)}, expected ${pid}`);
  },
);

test(
  'state.bundle-absolute',
  'State',
  '`bundle` (string, REQUIRED) is the absolute path to the container\'s bundle directory.',
  async (c) => {
    const b = await c.bundle(['/bin/sleep', '300']);
    const id = c.newId();
    // Give create a relative bundle path: state must still say where it is.
    await c.mustCreate(id, path.relative(c.work, b.dir), { cwd: c.work });
    const s = await c.state(id);
    const want = [path.resolve(b.dir), realpath(b.dir)];
    expect(typeof s.bundle === 'string' && want.includes(s.bundle), `state bundle ${JSON.stringify(s.bundle)}, expected ${want[0]}`);
  },
);

// ---------------------------------------------------------------------------------------------
// Lifecycle

test(
  'lifecycle.create-env',
  'Lifecycle',
  "The container's runtime environment MUST be created according to the configuration in `config.json`.",
  async (c) => {
    const b = await c.bundle(
      sh(
        `{ echo "hostname=$(hostname)"; echo "pid=$$"; echo "cwd=$(pwd)"; echo "foo=$FOO"; ` +
          `if touch /.probe 2>/dev/null; then rm -f /.probe; echo ro=no; else echo ro=yes; fi; } >${OUT}/env.tmp && mv ${OUT}/env.tmp ${OUT}/env`,
      ),
      (s) => {
        s.hostname = 'conf-env';
        s.process!.env!.push('FOO=bar baz');
        s.process!.cwd = OUT;
      },
    );
    const id = c.newId();
    await c.mustCreate(id, b);
    await c.must(['start', id], 'start');
    const env = await c.waitFile(path.join(b.out, 'env'));
    const want = `hostname=conf-env\npid=1\ncwd=${OUT}\nfoo=bar baz\nro=yes\n`;
    expect(env === want, `the process saw ${JSON.stringify(env)}, expected ${JSON.stringify(want)}`);
  },
);

test(
  'lifecycle.create-error',
  'Lifecycle',
  'If the runtime is unable to create the environment specified in the `config.json`, it MUST generate an error.',
  async (c) => {
    const b = await c.bundle(sh('true'), (s) => {
      s.mounts.push({ destination: '/home', type: 'bind', source: c.path('no-such-dir'), options: ['rbind', 'rw'] });
    });
    const id = c.newId();
    const r = await c.create(id, b);
    expect(!ok(r), `create of a bind mount from a missing source succeeded: ${describe(r)}`);
  },
);

test(
  'lifecycle.not-run-at-create',
  'Lifecycle',
  'While the resources requested in the `config.json` MUST be created, the user-specified program (from `process`) MUST NOT be run at this time.',
  async (c) => {
    const b = await c.bundle(sh(`touch ${OUT}/ran`));
    const id = c.newId();
    await c.mustCreate(id, b);
    await sleep(QUIET_MS);
    expect(!existsSync(path.join(b.out, 'ran')), 'the program ran before start');
    await c.must(['start', id], 'start');
    await c.waitFile(path.join(b.out, 'ran'));
  },
);

test(
  'lifecycle.config-updates',
  'Lifecycle',
  'Any updates to `config.json` after this step MUST NOT affect the container.',
  async (c) => {
    const b = await c.bundle(sh(`echo "original $(hostname)" >${OUT}/which`), (s) => {
      s.hostname = 'before';
    });
    const id = c.newId();
    await c.mustCreate(id, b);
    b.spec.process!.args = sh(`echo "modified $(hostname)" >${OUT}/which`);
    b.spec.hostname = 'after';
    await c.writeSpec(b);
    await c.must(['start', id], 'start');
    const got = await c.waitFile(path.join(b.out, 'which'));
    expect(got === 'original before\n', `after config.json was changed, the container ran ${JSON.stringify(got.trim())}`);
  },
);

// Hooks (Lifecycle steps 3-5, 7, 9, 13). This follows runtime.md as it stands today (the
// version of the project's reference schemas, 1.3.0+dev): a failing poststart hook is an error
// that stops the container (runtime-spec ≤ 1.2 said "log a warning"); a failing poststop hook is
// still only a warning. Hook scripts log to the bundle's out directory: startContainer runs in
// the container after pivot_root and sees it at OUT; the others see the host path.

/** The hook's log path: startContainer runs in the container after pivot_root, the rest see host paths. */
function hookLog(name: HookName, out: string): string {
  return path.join(name === 'startContainer' ? OUT : out, 'hooks.log');
}

/**
 * Run a container whose config has HOOKS and whose program appends "program" to hooks.log;
 * snapshot hooks.log after each operation returns.
 */
async function hookLifecycle(c: Ctx, hooks: (out: string) => Spec['hooks']) {
  const b = await c.bundle(sh(`echo program >>${OUT}/hooks.log`), (s, { out }) => {
    s.hooks = hooks(out);
  });
  const log = path.join(b.out, 'hooks.log');
  const id = c.newId();
  await c.mustCreate(id, b);
  const afterCreate = lines(log);
  await c.must(['start', id], 'start');
  const afterStart = lines(log);
  await c.waitStatus(id, 'stopped');
  const beforeDelete = lines(log);
  await c.must(['delete', id], 'delete');
  const afterDelete = lines(log);
  return { afterCreate, afterStart, beforeDelete, afterDelete };
}
type HookLogs = Awaited<ReturnType<typeof hookLifecycle>>;

function hookTest(name: HookName, step: string, check: (l: HookLogs) => void): void {
  test(`lifecycle.${name}-hooks`, 'Lifecycle', `${step} The \`${name}\` hooks MUST be invoked by the runtime.`, async (c) => {
    check(await hookLifecycle(c, (out) => ({ [name]: [logHook(name, hookLog(name, out))] })));
  });
}

const before = (l: string[], a: string, b: string) => l.includes(a) && l.includes(b) && l.indexOf(a) < l.indexOf(b);

// Steps 3-5 come before `start` (step 6): the hook has run when create returns.
for (const [name, step] of [
  ['prestart', '(step 3)'],
  ['createRuntime', '(step 4)'],
  ['createContainer', '(step 5)'],
] as const) {
  hookTest(name, step, (l) => {
    expect(l.afterCreate.includes(name), `the ${name} hook had not run when create returned (log: ${JSON.stringify(l.afterCreate)})`);
    expect(before(l.afterDelete, name, 'program'), `the ${name} hook did not run before the program (log: ${JSON.stringify(l.afterDelete)})`);
  });
}
hookTest('startContainer', '(step 7)', (l) => {
  expect(!l.afterCreate.includes('startContainer'), 'the startContainer hook ran at create');
  expect(before(l.beforeDelete, 'startContainer', 'program'), `the startContainer hook did not run before the program (log: ${JSON.stringify(l.beforeDelete)})`);
});
hookTest('poststart', '(step 9)', (l) => {
  if (l.afterCreate.includes('poststart')) throw new Deviation('poststart-at-create');
  // config.md: "after the user-specified process is executed but before the start operation returns".
  expect(l.afterStart.includes('poststart'), `the poststart hook had not run when start returned (log: ${JSON.stringify(l.afterStart)})`);
});
hookTest('poststop', '(step 13)', (l) => {
  expect(!l.beforeDelete.includes('poststop'), 'the poststop hook ran before delete');
  expect(l.afterDelete.includes('poststop'), `the poststop hook had not run when delete returned (log: ${JSON.stringify(l.afterDelete)})`);
});

/** A failing hook of a create-time kind: create fails, the program never runs, nothing is left. */
for (const name of ['prestart', 'createRuntime', 'createContainer'] as const) {
  test(
    `lifecycle.${name}-hook-fails`,
    'Lifecycle',
    `If any \`${name}\` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12.`,
    async (c) => {
      const b = await c.bundle(sh(`touch ${OUT}/ran`), (s, { out }) => {
        s.hooks = { [name]: [logHook(name, hookLog(name, out), 7)] };
      });
      const id = c.newId();
      const r = await c.create(id, b);
      expect(lines(path.join(b.out, 'hooks.log')).includes(name), `the ${name} hook never ran (${describe(r)})`);
      expect(!ok(r) && !r.timedOut, `create succeeded although its ${name} hook exited 7: ${describe(r)}`);
      await sleep(QUIET_MS);
      expect(!existsSync(path.join(b.out, 'ran')), `the program ran although the ${name} hook failed`);
      // Step 12: "The container MUST be destroyed by undoing the steps performed during create".
      await mustNotExist(c, id, `the ${name} hook failed, so the container must be destroyed`);
    },
  );
}

/**
 * After a start-time hook failed: the container must be stopped and destroyed (step 12). A
 * container that is stopped but still there is a known deviation (runc's behaviour).
 */
async function destroyedAfterStartHook(c: Ctx, id: string, name: string): Promise<void> {
  const st = await c.rt(['state', id]);
  if (!ok(st)) return;
  const s = await c.waitStatus(id, 'stopped').catch(() => c.state(id));
  if (s.status === 'stopped') throw new Deviation('start-hook-failure-keeps-container');
  fail(`the container was neither stopped nor destroyed after the failed ${name} hook: status ${JSON.stringify(s.status)}`);
}

test(
  'lifecycle.startContainer-hook-fails',
  'Lifecycle',
  'If any `startContainer` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12.',
  async (c) => {
    const b = await c.bundle(sh(`touch ${OUT}/ran`), (s) => {
      s.hooks = { startContainer: [logHook('startContainer', hookLog('startContainer', ''), 7)] };
    });
    const id = c.newId();
    await c.mustCreate(id, b);
    const r = await c.rt(['start', id]);
    const ran = await c.waitFile(path.join(b.out, 'hooks.log')).then(
      () => true,
      () => false,
    );
    expect(ran, `the startContainer hook never ran (${describe(r)})`);
    await sleep(QUIET_MS);
    expect(!existsSync(path.join(b.out, 'ran')), 'the program ran although the startContainer hook failed');
    if (ok(r)) {
      const s = await c.waitStatus(id, 'stopped').catch(() => null);
      if (s) throw new Deviation('startContainer-after-start');
      fail(`start succeeded although its startContainer hook exited 7: ${describe(r)}`);
    }
    await destroyedAfterStartHook(c, id, 'startContainer');
  },
);

test(
  'lifecycle.poststart-hook-fails',
  'Lifecycle',
  'If any `poststart` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12.',
  async (c) => {
    const b = await c.bundle(UNTIL_GO, (s, { out }) => {
      s.hooks = { poststart: [logHook('poststart', hookLog('poststart', out), 7)] };
    });
    const log = path.join(b.out, 'hooks.log');
    const id = c.newId();
    const cr = await c.create(id, b);
    if (!ok(cr) && lines(log).includes('poststart')) throw new Deviation('poststart-at-create');
    expect(ok(cr), `create failed: ${describe(cr)}`);
    const pid = c.readPidFile(id);
    const r = await c.rt(['start', id]);
    expect(lines(log).includes('poststart'), `the poststart hook never ran (${describe(r)})`);
    expect(!ok(r) && !r.timedOut, `start succeeded although its poststart hook exited 7: ${describe(r)}`);
    expect(await waitGone(pid, c.limits.waitMs), 'the container process still runs after the failed poststart hook');
    await destroyedAfterStartHook(c, id, 'poststart');
  },
);

test(
  'lifecycle.poststop-hook-fails',
  'Lifecycle',
  'If any `poststop` hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded.',
  async (c) => {
    const b = await c.bundle(sh('true'), (s, { out }) => {
      s.hooks = { poststop: [logHook('poststop1', hookLog('poststop', out), 7), logHook('poststop2', hookLog('poststop', out))] };
    });
    const { id } = await stopped(c, b);
    const r = await c.rt(['delete', id]);
    const log = lines(path.join(b.out, 'hooks.log'));
    expect(log.includes('poststop1'), `the failing poststop hook never ran (${describe(r)})`);
    await mustNotExist(c, id, 'delete must go on after a failed poststop hook');
    if (isDeepStrictEqual(log, ['poststop1'])) throw new Deviation('poststop-stops-at-failure');
    expect(log.includes('poststop2'), `the poststop hook after the failing one did not run (log: ${JSON.stringify(log)}; ${describe(r)})`);
  },
);

test(
  'lifecycle.run-program',
  'Lifecycle',
  'The runtime MUST run the user-specified program, as specified by `process`.',
  async (c) => {
    const b = await c.bundle(
      ['/bin/sh', '-c', `printf '%s|' "$0" "$@" >${OUT}/args; id -u >${OUT}/uid; id -g >${OUT}/gid; pwd >${OUT}/cwd`, 'zero', 'a b', 'c"d', '', '$HOME', '*'],
      (s) => {
        s.process!.user = { uid: 65534, gid: 65534 };
        s.process!.cwd = '/dev';
      },
    );
    const id = c.newId();
    await c.mustCreate(id, b);
    await c.must(['start', id], 'start');
    await c.waitStatus(id, 'stopped');
    const read = (f: string) => (existsSync(path.join(b.out, f)) ? readFileSync(path.join(b.out, f), 'utf8') : '(missing)');
    const want = 'zero|a b|c"d||$HOME|*|';
    expect(read('args') === want, `args arrived as ${JSON.stringify(read('args'))}, expected ${JSON.stringify(want)}`);
    expect(read('uid') === '65534\n' && read('gid') === '65534\n', `ran as uid ${read('uid').trim()} gid ${read('gid').trim()}, expected 65534/65534`);
    expect(read('cwd') === '/dev\n', `ran in ${read('cwd').trim()}, expected /dev`);
  },
);

test(
  'lifecycle.destroy',
  'Lifecycle',
  'The container MUST be destroyed by undoing the steps performed during create phase (step 2).',
  async (c) => {
    const { id, b } = await stopped(c);
    const pid = c.readPidFile(id);
    await c.must(['delete', id], 'delete');
    await mustNotExist(c, id, 'the container was deleted');
    expect(!alive(pid), `the container process ${pid} is still alive after delete`);
    // Undone entirely: the same id and bundle make a new container again.
    const again = await c.create(id, b);
    expect(ok(again), `the id cannot be used again after delete: ${describe(again)}`);
  },
);

// ---------------------------------------------------------------------------------------------
// Errors and warnings

test(
  'errors.leave-state',
  'Errors',
  'Unless otherwise stated, generating an error MUST leave the state of the environment as if the operation were never attempted',
  async (c) => {
    const id = c.newId();
    const cg = `oci-conformance-${id}`;
    const b = await c.bundle(sh('true'), (s) => {
      s.linux.cgroupsPath = `/${cg}`;
      s.mounts.push({ destination: '/home', type: 'oci-conformance-no-such-fs', source: 'none' });
    });
    expect(cgroupDirsNamed(cg).length === 0, `cgroup ${cg} exists before the test`);
    const r = await c.create(id, b);
    expect(!ok(r), `create with an unknown filesystem type succeeded: ${describe(r)}`);
    await mustNotExist(c, id, 'create failed');
    const leftCg = cgroupDirsNamed(cg);
    expect(leftCg.length === 0, `the failed create left its cgroup behind: ${leftCg.join(' ')}`);
    const leftRoot = rootEntries(c, id);
    expect(leftRoot.length === 0, `the failed create left state behind in --root: ${leftRoot.join(' ')}`);
    expect(!existsSync(c.pidFile(id)), 'the failed create wrote the pid file');
    // As if never attempted: the same id works with a good config.
    b.spec.mounts.pop();
    await c.writeSpec(b);
    const again = await c.create(id, b);
    expect(ok(again), `the id is unusable after the failed create: ${describe(again)}`);
  },
);

test(
  'warnings.continue',
  'Warnings',
  'Unless otherwise stated, logging a warning does not change the flow of the operation; it MUST continue as if the warning had not been logged.',
  async (c) => {
    // A failing poststop hook is a warning (Lifecycle step 13): delete carries on and succeeds.
    const b = await c.bundle(sh('true'), (s, { out }) => {
      s.hooks = { poststop: [logHook('poststop', hookLog('poststop', out), 7)] };
    });
    const id = c.newId();
    await c.mustCreate(id, b);
    const cgroups = containerCgroupDirs(c.readPidFile(id));
    await c.must(['start', id], 'start');
    await c.waitStatus(id, 'stopped');
    const r = await c.rt(['delete', id]);
    expect(lines(path.join(b.out, 'hooks.log')).includes('poststop'), `the poststop hook never ran (${describe(r)})`);
    expect(ok(r), `delete failed because of a warning (a failing poststop hook): ${describe(r)}`);
    await mustNotExist(c, id, 'delete went on after the warning');
    const left = cgroups.filter((d) => existsSync(d));
    expect(left.length === 0, `delete stopped short after the warning: cgroups left ${left.join(' ')}`);
  },
);

// ---------------------------------------------------------------------------------------------
// Operations

test(
  'operations.supported',
  'Operations',
  'Unless otherwise stated, runtimes MUST support the following operations.',
  async (c) => {
    const b = await c.bundle(UNTIL_GO);
    const id = c.newId();
    await c.mustCreate(id, b);
    await c.must(['state', id], 'state');
    await c.must(['start', id], 'start');
    await c.waitFile(path.join(b.out, 'started'));
    await c.must(['kill', id, 'KILL'], 'kill');
    await c.waitStatus(id, 'stopped');
    await c.must(['delete', id], 'delete');
  },
);

test(
  'state.op.no-id',
  'Operations: Query State',
  'This operation MUST generate an error if it is not provided the ID of a container.',
  async (c) => {
    await mustFail(c, ['state'], 'state without an id must fail');
  },
);

test(
  'state.op.not-exist',
  'Operations: Query State',
  'Attempting to query a container that does not exist MUST generate an error.',
  async (c) => {
    await mustFail(c, ['state', c.newId()], 'that container does not exist');
  },
);

test(
  'state.op.returns-state',
  'Operations: Query State',
  'This operation MUST return the state of a container as specified in the State section.',
  async (c) => {
    const b = await c.bundle(['/bin/sleep', '300']);
    const id = c.newId();
    await c.mustCreate(id, b);
    const s = await c.state(id);
    const pid = c.readPidFile(id);
    expect(s.id === id, `id ${JSON.stringify(s.id)}, expected ${id}`);
    expect(s.status === 'created', `status ${JSON.stringify(s.status)}, expected "created"`);
    expect(s.pid === pid, `pid ${JSON.stringify(s.pid)}, expected ${pid} (the pid file)`);
    expect(s.bundle === path.resolve(b.dir) || s.bundle === realpath(b.dir), `bundle ${JSON.stringify(s.bundle)}, expected ${b.dir}`);
    expect(typeof s.ociVersion === 'string' && s.ociVersion !== '', `ociVersion ${JSON.stringify(s.ociVersion)}`);
  },
);

test(
  'create.no-bundle-or-id',
  'Operations: Create',
  'This operation MUST generate an error if it is not provided a path to the bundle and the container ID to associate with the container.',
  async (c) => {
    const b = await c.bundle(sh('true'));
    const before = listDir(c.root);
    await mustFail(c, ['create', '--bundle', b.dir], 'create without an id must fail');
    // No --bundle: runc-style runtimes use the current directory, which here is not a bundle.
    const empty = c.path('not-a-bundle');
    await mkdir(empty);
    const id1 = c.newId();
    const r1 = await c.rt(['create', '--pid-file', c.pidFile(id1), id1], { cwd: empty });
    expect(!ok(r1), `create without a bundle (cwd has no config.json) succeeded: ${describe(r1)}`);
    const id2 = c.newId();
    const r2 = await c.rt(['create', '--bundle', c.path('no-such-bundle'), id2]);
    expect(!ok(r2), `create with a bundle path that does not exist succeeded: ${describe(r2)}`);
    await mustNotExist(c, id1, 'create had no bundle');
    await mustNotExist(c, id2, 'create had no bundle');
    const after = listDir(c.root);
    expect(isDeepStrictEqual(before, after), `the failed creates left ${after.filter((e) => !before.includes(e)).join(' ')} in --root`);
  },
);

test(
  'create.unique-id',
  'Operations: Create',
  'If the ID provided is not unique across all containers within the scope of the runtime … the implementation MUST generate an error and a new container MUST NOT be created.',
  async (c) => {
    const first = await c.bundle(sh(`echo first >>${OUT}/ran`));
    const second = await c.bundle(sh(`echo second >>${OUT}/ran`));
    const id = c.newId();
    await c.mustCreate(id, first);
    const s1 = await c.state(id);
    const r = await c.rt(['create', '--bundle', second.dir, '--pid-file', c.path('second.pid'), id]);
    expect(!ok(r), `a second create with the same id succeeded: ${describe(r)}`);
    // The first container is intact, and no second one exists.
    const s2 = await c.state(id);
    expect(isDeepStrictEqual(s1, s2), `the existing container changed: ${JSON.stringify(s1)} → ${JSON.stringify(s2)}`);
    expect(alive(s1.pid as number), 'the first container\'s process died');
    await c.must(['start', id], 'start');
    await c.waitStatus(id, 'stopped');
    await sleep(QUIET_MS);
    expect(lines(path.join(first.out, 'ran')).join() === 'first', 'the first container did not run its own program');
    expect(!existsSync(path.join(second.out, 'ran')), 'the second bundle\'s program ran');
  },
);

test(
  'create.invalid-id',
  'Operations: Create',
  'If the ID provided … is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created.',
  async (c) => {
    const b = await c.bundle(sh(`echo ran >>${OUT}/ran`));
    const before = listDir(c.root);
    const parentBefore = listDir(path.dirname(c.root));
    const base = path.basename(c.work);
    for (const bad of [`../${base}-escape`, `${base}/nested`, '', '..']) {
      const r = await c.rt(['create', '--bundle', b.dir, '--pid-file', c.path('bad.pid'), bad]);
      expect(!ok(r), `create with the invalid id ${JSON.stringify(bad)} succeeded: ${describe(r)}`);
    }
    await sleep(QUIET_MS);
    expect(isDeepStrictEqual(listDir(c.root), before), `invalid ids left ${listDir(c.root).filter((e) => !before.includes(e)).join(' ')} in --root`);
    expect(isDeepStrictEqual(listDir(path.dirname(c.root)), parentBefore), 'an invalid id created something beside --root');
    expect(!existsSync(c.path('bad.pid')), 'an invalid id got a pid file (a process)');
  },
);

test(
  'create.creates',
  'Operations: Create',
  'This operation MUST create a new container.',
  async (c) => {
    const b = await c.bundle(['/bin/sleep', '300']);
    const id = c.newId();
    await c.mustCreate(id, b);
    const s = await c.state(id);
    expect(s.id === id && s.status === 'created', `after create, state is ${JSON.stringify({ id: s.id, status: s.status })}`);
    expect(alive(c.readPidFile(id)), 'the container process is not alive after create');
    const l = await c.must(['list'], 'list');
    expect(l.stdout.includes(id), `list does not show ${id}: ${JSON.stringify(l.stdout.slice(0, 200))}`);
  },
);

test(
  'create.apply-config',
  'Operations: Create',
  'All of the properties configured in `config.json` except for `process` MUST be applied.',
  async (c) => {
    const b = await c.bundle(['/bin/sleep', '300'], (s) => {
      s.hostname = 'conf-props';
    });
    const id = c.newId();
    await c.mustCreate(id, b);
    const pid = c.readPidFile(id);
    // Before start: namespaces, hostname, root, mounts are already those of the config.
    for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net']) {
      const theirs = nsId(pid, ns);
      expect(theirs !== null && theirs !== nsId('self', ns), `${ns} namespace: the container is in the host's (${String(theirs)})`);
    }
    const same = (a: string, b2: string) => {
      const [x, y] = [statSync(a), statSync(b2)];
      return x.dev === y.dev && x.ino === y.ino;
    };
    expect(same(`/proc/${pid}/root/bin/busybox`, path.join(c.rootfs, 'bin/busybox')), 'the container root is not the configured rootfs');
    expect(same(`/proc/${pid}/root${OUT}`, b.out), `${OUT} in the container is not the configured bind mount`);
    const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === '/');
    expect(rootMount?.split(' ')[5]?.split(',').includes('ro'), `root.readonly is not applied: ${String(rootMount)}`);
    const h = await c.exec(['nsenter', '--target', String(pid), '--uts', 'cat', '/proc/sys/kernel/hostname']);
    if (h.code === null && /ENOENT/.test(h.stderr)) skip('nsenter is not installed (util-linux); everything but the hostname was applied');
    expect(ok(h), `nsenter into the container's uts namespace failed: ${describe(h)}`);
    expect(h.stdout.trim() === 'conf-props', `hostname before start is ${JSON.stringify(h.stdout.trim())}, expected "conf-props"`);
  },
);

test(
  'create.args-not-applied',
  'Operations: Create',
  '`process.args` MUST NOT be applied until triggered by the `start` operation.',
  async (c) => {
    const args = ['/bin/sleep', '300'];
    const b = await c.bundle(args);
    const id = c.newId();
    await c.mustCreate(id, b);
    const pid = c.readPidFile(id);
    await sleep(QUIET_MS);
    expect(!isDeepStrictEqual(cmdline(pid), args), `the container process already runs ${args.join(' ')} after create`);
    await c.must(['start', id], 'start');
    const deadline = Date.now() + c.limits.waitMs;
    while (!isDeepStrictEqual(cmdline(pid), args)) {
      if (Date.now() > deadline) fail(`after start, pid ${pid} runs ${JSON.stringify(cmdline(pid))}`);
      await sleep(25);
    }
  },
);

test(
  'create.apply-fails',
  'Operations: Create',
  'If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created.',
  async (c) => {
    const b = await c.bundle(sh(`touch ${OUT}/ran`), (s) => {
      s.mounts.push({ destination: '/home', type: 'oci-conformance-no-such-fs', source: 'none' });
    });
    const id = c.newId();
    const r = await c.create(id, b);
    expect(!ok(r), `create with a mount of an unknown filesystem type succeeded: ${describe(r)}`);
    await mustNotExist(c, id, 'create failed');
    const l = await c.rt(['list']);
    expect(!l.stdout.includes(id), `list still shows ${id}`);
  },
);

test(
  'start.no-id',
  'Operations: Start',
  'This operation MUST generate an error if it is not provided the container ID.',
  async (c) => {
    await mustFail(c, ['start'], 'start without an id must fail');
  },
);

test(
  'start.not-created-error',
  'Operations: Start',
  'Attempting to `start` a container that is not `created` MUST … generate an error.',
  async (c) => {
    const run = await running(c);
    await mustFail(c, ['start', run.id], 'the container is running');
    const stop = await stopped(c);
    await mustFail(c, ['start', stop.id], 'the container is stopped');
    await mustFail(c, ['start', c.newId()], 'the container does not exist');
  },
);

test(
  'start.not-created-no-effect',
  'Operations: Start',
  'Attempting to `start` a container that is not `created` MUST have no effect on the container',
  async (c) => {
    const run = await running(c, await c.bundle(sh(`echo x >>${OUT}/count; exec sleep 300`)));
    await c.waitFile(path.join(run.b.out, 'count'));
    const s1 = await c.state(run.id);
    await c.rt(['start', run.id]);
    await sleep(QUIET_MS);
    const s2 = await c.state(run.id);
    expect(isDeepStrictEqual(s1, s2), `start of a running container changed its state: ${JSON.stringify(s1)} → ${JSON.stringify(s2)}`);
    expect(lines(path.join(run.b.out, 'count')).length === 1, 'start of a running container ran the program again');
    expect(alive(run.pid), 'start of a running container killed it');

    const stop = await stopped(c, `echo x >>${OUT}/count`);
    const t1 = await c.state(stop.id);
    await c.rt(['start', stop.id]);
    await sleep(QUIET_MS);
    const t2 = await c.state(stop.id);
    expect(isDeepStrictEqual(t1, t2), `start of a stopped container changed its state: ${JSON.stringify(t1)} → ${JSON.stringify(t2)}`);
    expect(lines(path.join(stop.b.out, 'count')).length === 1, 'start of a stopped container ran the program again');
  },
);

test(
  'start.runs-program',
  'Operations: Start',
  'This operation MUST run the user-specified program as specified by `process`.',
  async (c) => {
    const b = await c.bundle(sh(`echo "ran as $0 with $# args: $*" >${OUT}/ran.tmp && mv ${OUT}/ran.tmp ${OUT}/ran`).concat(['prog', 'one', 'two']));
    const id = c.newId();
    await c.mustCreate(id, b);
    await c.must(['start', id], 'start');
    const got = await c.waitFile(path.join(b.out, 'ran'));
    expect(got === 'ran as prog with 2 args: one two\n', `the program wrote ${JSON.stringify(got)}`);
    await c.waitStatus(id, 'stopped');
  },
);

test(
  'start.process-unset',
  'Operations: Start',
  'This operation MUST generate an error if `process` was not set.',
  async (c) => {
    const b = await c.bundle(sh('true'), (s) => {
      delete s.process;
    });
    const id = c.newId();
    const cr = await c.create(id, b);
    if (!ok(cr)) return; // An error already at create (the runtime MAY validate config.json first).
    const r = await c.rt(['start', id]);
    expect(!ok(r), `start of a container without process succeeded: ${describe(r)}`);
  },
);

test(
  'kill.no-id',
  'Operations: Kill',
  'This operation MUST generate an error if it is not provided the container ID.',
  async (c) => {
    await mustFail(c, ['kill'], 'kill without an id must fail');
  },
);

test(
  'kill.not-running-error',
  'Operations: Kill',
  'Attempting to send a signal to a container that is neither `created` nor `running` MUST … generate an error.',
  async (c) => {
    const { id } = await stopped(c);
    await mustFail(c, ['kill', id, 'KILL'], 'the container is stopped');
    await mustFail(c, ['kill', id, 'TERM'], 'the container is stopped');
    await mustFail(c, ['kill', c.newId(), 'KILL'], 'the container does not exist');
  },
);

test(
  'kill.not-running-no-effect',
  'Operations: Kill',
  'Attempting to send a signal to a container that is neither `created` nor `running` MUST have no effect on the container',
  async (c) => {
    const { id } = await stopped(c);
    const s1 = await c.state(id);
    await c.rt(['kill', id, 'KILL']);
    const s2 = await c.state(id);
    expect(isDeepStrictEqual(s1, s2), `kill of a stopped container changed its state: ${JSON.stringify(s1)} → ${JSON.stringify(s2)}`);
    await c.must(['delete', id], 'delete after the refused kill');
  },
);

test(
  'kill.signal-running',
  'Operations: Kill',
  'This operation MUST send the specified signal to the process in the container.',
  async (c) => {
    const b = await c.bundle(sh(`trap 'echo USR1 >>${OUT}/sig' USR1; touch ${OUT}/ready; while :; do sleep 0.05; done`));
    const { id } = await running(c, b);
    await c.waitFile(path.join(b.out, 'ready'));
    await c.must(['kill', id, 'USR1'], 'kill USR1');
    const got = await c.waitFile(path.join(b.out, 'sig'));
    expect(got === 'USR1\n', `the trap saw ${JSON.stringify(got)}`);
    await c.must(['kill', id, '9'], 'kill 9');
    await c.waitStatus(id, 'stopped');
  },
);

test(
  'kill.signal-created',
  'Operations: Kill',
  'This operation MUST send the specified signal to the process in the container. (a `created` container)',
  async (c) => {
    const b = await c.bundle(sh(`touch ${OUT}/ran`));
    const id = c.newId();
    await c.mustCreate(id, b);
    const pid = c.readPidFile(id);
    await c.must(['kill', id, 'KILL'], 'kill of a created container');
    expect(await waitGone(pid, c.limits.waitMs), `the container process ${pid} survived SIGKILL`);
    await c.waitStatus(id, 'stopped');
    expect(!existsSync(path.join(b.out, 'ran')), 'killing a created container ran its program');
  },
);

test(
  'delete.no-id',
  'Operations: Delete',
  'This operation MUST generate an error if it is not provided the container ID.',
  async (c) => {
    await mustFail(c, ['delete'], 'delete without an id must fail');
  },
);

test(
  'delete.not-stopped-error',
  'Operations: Delete',
  'Attempting to `delete` a container that is not `stopped` MUST … generate an error.',
  async (c) => {
    const { id } = await running(c);
    await mustFail(c, ['delete', id], 'the container is running');
    await mustFail(c, ['delete', c.newId()], 'the container does not exist');
  },
);

test(
  'delete.not-stopped-no-effect',
  'Operations: Delete',
  'Attempting to `delete` a container that is not `stopped` MUST have no effect on the container',
  async (c) => {
    const { id, b, pid } = await running(c);
    const s1 = await c.state(id);
    await c.rt(['delete', id]);
    await sleep(QUIET_MS);
    const s2 = await c.state(id);
    expect(isDeepStrictEqual(s1, s2), `delete of a running container changed its state: ${JSON.stringify(s1)} → ${JSON.stringify(s2)}`);
    expect(alive(pid), 'delete of a running container killed its process');
    // Still fully usable: it runs to completion when told to.
    await writeFile(path.join(b.out, 'go'), '');
    await c.waitStatus(id, 'stopped');
  },
);

test(
  'delete.created',
  'Operations: Delete',
  'Attempting to `delete` a container that is not `stopped` MUST have no effect on the container and MUST generate an error. (a `created` container)',
  async (c) => {
    const b = await c.bundle(sh(`touch ${OUT}/ran`));
    const id = c.newId();
    await c.mustCreate(id, b);
    const pid = c.readPidFile(id);
    const r = await c.rt(['delete', id]);
    if (!ok(r)) {
      const s = await c.state(id);
      expect(s.status === 'created' && alive(pid), `the refused delete changed the container: status ${JSON.stringify(s.status)}`);
      return;
    }
    // runc kills and destroys a created container here (and containerd relies on it).
    const gone = !ok(await c.rt(['state', id])) && (await waitGone(pid, c.limits.waitMs));
    expect(gone, `delete of a created container exited 0 but left it behind: ${describe(r)}`);
    expect(!existsSync(path.join(b.out, 'ran')), 'delete of a created container ran its program');
    throw new Deviation('delete-created-destroys');
  },
);

test(
  'delete.resources',
  'Operations: Delete',
  'Deleting a container MUST delete the resources that were created during the `create` step.',
  async (c) => {
    const b = await c.bundle(sh('true'));
    const id = c.newId();
    await c.mustCreate(id, b);
    const pid = c.readPidFile(id);
    const cgroups = containerCgroupDirs(pid);
    const entries = rootEntries(c, id);
    await c.must(['start', id], 'start');
    await c.waitStatus(id, 'stopped');
    await c.must(['delete', id], 'delete');
    await mustNotExist(c, id, 'the container was deleted');
    const leftCg = cgroups.filter((d) => existsSync(d));
    expect(leftCg.length === 0, `cgroups created for the container are still there: ${leftCg.join(' ')}`);
    const leftRoot = entries.filter((e) => existsSync(path.join(c.root, e)));
    expect(leftRoot.length === 0, `state under --root is still there: ${leftRoot.join(' ')}`);
    expect(!alive(pid), `the container process ${pid} is still alive`);
  },
);

test(
  'delete.keep-foreign',
  'Operations: Delete',
  'Note that resources associated with the container, but not created by this container, MUST NOT be deleted.',
  async (c) => {
    const shared = c.path('shared');
    await mkdir(shared);
    await writeFile(path.join(shared, 'keep.txt'), 'keep me\n');
    const b = await c.bundle(sh(`echo written >/home/written`), (s) => {
      s.mounts.push({ destination: '/home', type: 'bind', source: shared, options: ['rbind', 'rw'] });
    });
    const { id } = await stopped(c, b);
    await c.must(['delete', id], 'delete');
    const missing = [
      path.join(shared, 'keep.txt'),
      path.join(shared, 'written'),
      path.join(b.dir, 'config.json'),
      b.out,
      path.join(c.rootfs, 'bin/busybox'),
      path.join(c.rootfs, 'etc/passwd'),
    ].filter((p) => !existsSync(p));
    expect(missing.length === 0, `delete removed what the container did not create: ${missing.join(' ')}`);
    expect(readFileSync(path.join(shared, 'keep.txt'), 'utf8') === 'keep me\n', 'delete changed a file of a bind-mounted host directory');
  },
);

// ---------------------------------------------------------------------------------------------
// runc CLI contract (not runtime.md): what containerd's shim, conmon and runtime-tools rely on.

test(
  'contract.stdio',
  'runc CLI contract (docs/contract.md, not runtime.md)',
  "Without a tty, the runtime's fds 0/1/2 go to the container unchanged: the container process's stdio are create's.",
  async (c) => {
    const b = await c.bundle(sh('read line; echo "out:$line"; echo "err:$line" >&2'));
    const input = c.path('stdin.txt');
    await writeFile(input, 'from-create\n');
    const [o, e] = [c.path('create.out'), c.path('create.err')];
    const id = c.newId();
    await c.mustCreate(id, b, { stdin: input, stdout: o, stderr: e });
    const [so, se] = [c.path('start.out'), c.path('start.err')];
    await c.must(['start', id], 'start', { stdout: so, stderr: se });
    await c.waitStatus(id, 'stopped');
    const read = (f: string) => readFileSync(f, 'utf8');
    expect(read(o).includes('out:from-create'), `create's stdout got ${JSON.stringify(read(o))}, start's ${JSON.stringify(read(so))}`);
    expect(read(e).includes('err:from-create'), `create's stderr got ${JSON.stringify(read(e))}, start's ${JSON.stringify(read(se))}`);
  },
);
