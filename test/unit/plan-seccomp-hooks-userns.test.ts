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

test('a startContainer hook loads the container filter last, with no_new_privs when the process has it', (t) => {
  const hook = { path: '/bin/sh', args: ['sh', '-c', 'true'] };
  const { ops } = buildHookPlan(hook, 42, new Set(['mount']), undefined, { filter, noNewPrivileges: true });
  t.is(ops[1]!.op, Op.SECCOMP_LISTENER_CONNECT, 'the listener is reached before the namespaces');
  t.deepEqual(names(ops.slice(-4)), ['NO_NEW_PRIVS', 'SECCOMP', 'SECCOMP_NOTIFY_SEND', 'EXECVE']);
  const plain = buildHookPlan(hook, 42, new Set(['mount'])).ops;
  t.false(plain.some((o) => o.op === Op.SECCOMP || o.op === Op.SECCOMP_LISTENER_CONNECT));
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
