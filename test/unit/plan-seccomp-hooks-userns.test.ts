/**
 * Plans, as data, of what runc's own integration tests exposed: a notify filter loaded before the
 * user switch sends its fd at once, startContainer hooks load the container's filter, and a user
 * namespace's bind sources are cloned by the source helper.
 */
import test from 'ava';
import { Op, SYNC_SECCOMP_STATE, TreeFlag, type PlanOp } from '../../src/executor/protocol.js';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import { buildCreatePlan, buildHookPlan, type PlanContext } from '../../src/plan/index.js';
import type { Spec } from '../../src/spec/index.js';

const ctx: PlanContext = { rootfs: '/b/rootfs', bundle: '/b', fifoPath: '/run/tsrun/x/exec.fifo', extraFds: 0 };
const filter = { program: new Uint8Array(8), flags: 8, listenerPath: '/run/agent.sock' };
const names = (ops: readonly PlanOp[]) => ops.map((o) => Op[o.op]);
const spec = (patch: (s: any) => void): Spec => {
  const s = defaultSpec({ hardened: true }) as any;
  s.process.terminal = false;
  patch(s);
  return s as Spec;
};

test('without no_new_privs, a notify filter asks for the listener state first and sends its fd right after loading', (t) => {
  const { ops } = buildCreatePlan(spec((s) => (s.process.noNewPrivileges = false)), { ...ctx, seccomp: filter });
  const at = ops.findIndex((o) => o.op === Op.SECCOMP);
  t.deepEqual(names(ops.slice(at - 1, at + 2)), ['SYNC', 'SECCOMP', 'SECCOMP_NOTIFY_SEND']);
  t.is(ops[at - 1]!.args.tag, SYNC_SECCOMP_STATE);
  t.true(at < ops.findIndex((o) => o.op === Op.SETRESUID), 'before the user switch');
  t.is(ops.filter((o) => o.op === Op.SECCOMP_NOTIFY_SEND).length, 1);
});

test('with no_new_privs, the filter and its fd stay last, the state coming with GO', (t) => {
  const { ops } = buildCreatePlan(spec((s) => (s.process.noNewPrivileges = true)), { ...ctx, seccomp: filter });
  t.deepEqual(names(ops.slice(-3)), ['SECCOMP', 'SECCOMP_NOTIFY_SEND', 'EXECVE']);
  t.false(ops.some((o) => o.op === Op.SYNC && o.args.tag === SYNC_SECCOMP_STATE));
});

test('a startContainer hook runs as the container process: its rlimits, user, groups and capabilities, then the filter last with no_new_privs', (t) => {
  const hook = { path: '/bin/sh', args: ['sh', '-c', 'true'] };
  const proc = spec((s) => {
    s.process.noNewPrivileges = true;
    s.process.user = { uid: 1000, gid: 1000, additionalGids: [10] };
    s.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 64, soft: 64 }];
  }).process!;
  const { ops } = buildHookPlan(hook, { initPid: 42, joinTypes: new Set(['mount']), asProcess: { proc, chrootRoot: false, seccomp: filter } });
  t.is(ops[1]!.op, Op.SECCOMP_LISTENER_CONNECT, 'the listener is reached before the namespaces');
  const after = (op: Op) => ops.findIndex((o) => o.op === op) > ops.findIndex((o) => o.op === Op.FORK);
  t.true(after(Op.RLIMIT) && after(Op.CAPS_BOUNDING) && after(Op.CAPSET));
  t.deepEqual(ops.find((o) => o.op === Op.SETGROUPS)!.args.gids, [10]);
  t.is(ops.find((o) => o.op === Op.SETRESUID)!.args.uid, 1000);
  t.deepEqual(names(ops.slice(-4)), ['NO_NEW_PRIVS', 'SECCOMP', 'SECCOMP_NOTIFY_SEND', 'EXECVE']);
});

test('a startContainer hook without no_new_privs loads the filter while still root, before the user switch', (t) => {
  const hook = { path: '/bin/sh' };
  const proc = spec((s) => (s.process.noNewPrivileges = false)).process!;
  const { ops } = buildHookPlan(hook, { initPid: 42, joinTypes: new Set(['mount']), asProcess: { proc, chrootRoot: false, seccomp: filter } });
  t.true(ops.findIndex((o) => o.op === Op.SECCOMP) < ops.findIndex((o) => o.op === Op.SETRESUID));
  t.false(ops.some((o) => o.op === Op.NO_NEW_PRIVS));
});

test('a startContainer hook of a chrooted init enters its root; a createContainer hook keeps root\'s identity and loads no filter', (t) => {
  const hook = { path: '/bin/sh' };
  const chrooted = buildHookPlan(hook, { initPid: 42, joinTypes: new Set(['pid']), asProcess: { proc: spec(() => undefined).process!, chrootRoot: true } }).ops;
  t.true(chrooted.findIndex((o) => o.op === Op.SET_ROOT && o.args.path === '/proc/42/root') < chrooted.findIndex((o) => o.op === Op.SETNS));
  t.true(chrooted.findIndex((o) => o.op === Op.CHROOT) < chrooted.findIndex((o) => o.op === Op.FORK));
  const plain = buildHookPlan(hook, { initPid: 42, joinTypes: new Set(['mount']), cwd: '/b/rootfs' }).ops;
  t.false(plain.some((o) => [Op.SECCOMP, Op.SECCOMP_LISTENER_CONNECT, Op.SETRESUID, Op.CAPSET, Op.CHROOT].includes(o.op)));
});

const userBinds = spec((s) => {
  delete s.linux.seccomp;
  s.linux.namespaces.push({ type: 'user' });
  s.linux.uidMappings = s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.mounts.push(
    { destination: '/a', type: 'bind', source: '/srv/a', options: ['rbind', 'ro'] },
    { destination: '/b', type: 'bind', source: 'rel', options: ['bind'] },
  );
});

test('privileged, a user namespace bind is cloned by the source helper, forked before the namespaces', (t) => {
  const { ops } = buildCreatePlan(userBinds, { ...ctx, privileged: true });
  const helper = ops.findIndex((o) => o.op === Op.SOURCE_HELPER);
  t.true(helper >= 0 && helper < ops.findIndex((o) => o.op === Op.UNSHARE));
  const clones = ops.filter((o) => o.op === Op.CLONE_TREE);
  t.deepEqual(
    clones.map((o) => o.args),
    [
      { how: TreeFlag.RECURSIVE, slot: userBinds.mounts!.length - 2, source: '/srv/a' },
      { how: TreeFlag.LAST_CLONE, slot: userBinds.mounts!.length - 1, source: '/b/rel' },
    ],
  );
  const a = ops.indexOf(clones[0]!);
  t.deepEqual(names(ops.slice(a, a + 3)), ['CLONE_TREE', 'ATTACH_TREE', 'MOUNT'], 'attached, then remounted read-only');
  t.false(ops.some((o) => o.op === Op.MOUNT && o.args.source === '/srv/a'));
});

test('unprivileged (rootless), or without a user namespace, binds stay plain mounts', (t) => {
  for (const [s, c] of [
    [userBinds, ctx],
    [spec((x) => x.mounts.push({ destination: '/a', type: 'bind', source: '/srv/a', options: ['bind'] })), { ...ctx, privileged: true }],
  ] as const) {
    const { ops } = buildCreatePlan(s, c);
    t.false(ops.some((o) => o.op === Op.SOURCE_HELPER || o.op === Op.CLONE_TREE));
    t.true(ops.some((o) => o.op === Op.MOUNT && o.args.source === '/srv/a'));
  }
});
