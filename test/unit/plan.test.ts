import test from 'ava';
import { Op, PathFlag, type PlanOp } from '../../src/executor/protocol.js';
import { buildCreatePlan, buildExecPlan, capabilityMask, describePlan, parseMountOptions } from '../../src/plan/index.js';
import { CLONE, MS } from '../../src/plan/linux-constants.js';
import { ctx, spec } from './plan-fixtures.js';

const names = (ops: PlanOp[]) => ops.map((o) => Op[o.op]);
const index = (ops: PlanOp[], op: Op) => ops.findIndex((o) => o.op === op);

test('the default spec plans namespaces, fork, rootfs, gate and exec in order', (t) => {
  const { ops } = buildCreatePlan(spec(), ctx);
  const n = names(ops);
  t.is(n[0], 'CLOEXEC_FROM');
  t.is(n[1], 'OPEN_FIFO');
  const order = [Op.UNSHARE, Op.FORK, Op.SET_ROOT, Op.PIVOT_ROOT, Op.SETHOSTNAME, Op.MASK_PATH, Op.CAPSET, Op.RESOLVE_EXEC, Op.READY, Op.CLOSE_SYNC, Op.WAIT_FIFO, Op.EXECVE];
  const at = order.map((o) => index(ops, o));
  t.deepEqual([...at].sort((a, b) => a - b), at, describePlan({ ops, warnings: [] }));
  t.false(at.includes(-1));
  const unshare = ops[index(ops, Op.UNSHARE)]!;
  t.is(unshare.args.flags, CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS | CLONE.NEWCGROUP);
  t.is(n.at(-1), 'EXECVE');
});

test('sysctls are written before read-only paths freeze /proc/sys', (t) => {
  const { ops } = buildCreatePlan(spec((s) => (s.linux.sysctl = { 'net.ipv4.ip_forward': '1' })), ctx);
  const write = ops.findIndex((o) => o.op === Op.WRITE_FILE && o.args.path === '/proc/sys/net/ipv4/ip_forward');
  const ro = ops.findIndex((o) => o.op === Op.MOUNT && o.args.target === '/proc/sys');
  t.true(write > 0 && ro > write);
});

test('a user namespace comes first, with id maps and a switch to its root', (t) => {
  const plan = buildCreatePlan(
    spec((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }),
    ctx,
  );
  const n = names(plan.ops);
  const u = n.indexOf('UNSHARE');
  t.deepEqual(n.slice(u, u + 5), ['UNSHARE', 'IDMAP_SYNC', 'SETRESGID', 'SETRESUID', 'UNSHARE']);
  t.is(plan.ops[u]!.args.flags, CLONE.NEWUSER);
  t.deepEqual(plan.idmap, { uidMap: '0 100000 65536\n', gidMap: '0 100000 65536\n' });
  // No mknod in a user namespace: devices are bind mounts of the host's.
  t.false(n.includes('MKNOD'));
  t.true(plan.ops.some((o) => o.op === Op.MOUNT && o.args.target === '/dev/null' && o.args.source === '/dev/null'));
});

test('joining namespaces by path orders user first and mount last', (t) => {
  const s = spec((s) => {
    s.linux.namespaces = [{ type: 'network', path: '/n' }, { type: 'user', path: '/u' }, { type: 'uts' }, { type: 'mount' }];
  });
  const { ops } = buildCreatePlan(s, ctx);
  const joins = ops.filter((o) => o.op === Op.SETNS).map((o) => o.args.path);
  t.deepEqual(joins, ['/u', '/n']);
  const unshare = ops.find((o) => o.op === Op.UNSHARE)!;
  t.is(unshare.args.flags, CLONE.NEWUTS | CLONE.NEWNS);
});

test('time offsets need a new time namespace and are written before the fork', (t) => {
  const s = spec((s) => {
    s.linux.namespaces.push({ type: 'time' });
    s.linux.timeOffsets = { monotonic: { secs: 10, nanosecs: 5 } };
  });
  const { ops } = buildCreatePlan(s, ctx);
  const i = index(ops, Op.TIMENS_OFFSETS);
  t.is(ops[i]!.args.data, 'monotonic 10 5\n');
  t.true(i < index(ops, Op.FORK));
});

test('bind mounts are bound, then remounted with their flags, then given propagation', (t) => {
  const s = spec((s) => s.mounts.push({ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro', 'nosuid', 'rprivate'] }));
  const { ops } = buildCreatePlan(s, ctx);
  const m = ops.filter((o) => o.op === Op.MOUNT && o.args.target === '/data');
  t.is(m.length, 3);
  t.is(m[0]!.args.source, '/b/data');
  t.is(m[0]!.args.flags, BigInt(MS.BIND | MS.REC));
  t.is(m[0]!.args.how, PathFlag.IN_ROOT | PathFlag.CREATE_LIKE_SOURCE);
  t.is(m[1]!.args.flags, BigInt(MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID));
  t.is(m[2]!.args.flags, BigInt(MS.PRIVATE | MS.REC));
});

test('mount options map to flags and data', (t) => {
  const o = parseMountOptions(['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'ro', 'rw', 'shared'], 'x');
  t.is(o.flags, MS.NOSUID | MS.NOEXEC);
  t.is(o.data, 'newinstance,ptmxmode=0666');
  t.deepEqual(o.propagation, [MS.SHARED]);
  t.throws(() => parseMountOptions(['tmpcopyup'], 'config.json: /mounts/0/options'), { message: /mount option "tmpcopyup" is not supported/ });
});

test('capability names map to kernel bits; unknown ones are config errors', (t) => {
  t.is(capabilityMask(['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_CHECKPOINT_RESTORE'], '/c'), (1n << 0n) | (1n << 21n) | (1n << 40n));
  t.throws(() => capabilityMask(['CAP_NOPE'], '/process/capabilities/bounding'), { message: 'config.json: /process/capabilities/bounding/0: unknown capability "CAP_NOPE"' });
});

test('rlimits, user, groups, umask, no_new_privs and cwd are planned', (t) => {
  const s = spec((s) => {
    s.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 6], umask: 0o27 };
    s.process.cwd = '/tmp';
    s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }];
  });
  const { ops } = buildCreatePlan(s, ctx);
  const get = (op: Op) => ops.find((o) => o.op === op)!.args;
  t.deepEqual(get(Op.RLIMIT), { resource: 7, soft: 100n, hard: 200n });
  t.deepEqual(get(Op.SETGROUPS), { gids: [5, 6] });
  t.deepEqual(get(Op.SETRESGID), { gid: 1001 });
  t.deepEqual(get(Op.SETRESUID), { uid: 1000 });
  t.deepEqual(get(Op.UMASK), { mask: 0o27 });
  t.deepEqual(get(Op.CHDIR), { path: '/tmp' });
  t.true(index(ops, Op.NO_NEW_PRIVS) > 0);
});

test('the executable is looked up with the process PATH before the start gate', (t) => {
  const { ops } = buildCreatePlan(spec((s) => (s.process.env = ['PATH=/x:/y'])), ctx);
  const r = ops.find((o) => o.op === Op.RESOLVE_EXEC)!;
  t.deepEqual(r.args, { arg0: 'sh', path: '/x:/y' });
  t.true(index(ops, Op.RESOLVE_EXEC) < index(ops, Op.READY));
});

test('a terminal gets a console op after the pivot; --no-pivot moves the root', (t) => {
  const { ops } = buildCreatePlan(spec((s) => (s.process.terminal = true)), { ...ctx, consoleSocket: '/tmp/s', noPivot: true });
  t.true(index(ops, Op.CONSOLE_CONNECT) < index(ops, Op.UNSHARE));
  t.true(index(ops, Op.MOVE_ROOT) < index(ops, Op.CONSOLE));
  t.is(index(ops, Op.PIVOT_ROOT), -1);
});

test('destinations that are relative or climb out are refused', (t) => {
  t.throws(() => buildCreatePlan(spec((s) => s.mounts.push({ destination: 'rel', type: 'tmpfs', source: 'tmpfs' })), ctx), { message: /\/mounts\/7\/destination: must be an absolute path/ });
  t.throws(() => buildCreatePlan(spec((s) => s.mounts.push({ destination: '/a/../../etc', type: 'tmpfs', source: 'tmpfs' })), ctx), { message: /must not contain "\.\."/ });
});

test('preserved fds are inherited and no other', (t) => {
  const { ops } = buildCreatePlan(spec(), { ...ctx, extraFds: 2 });
  t.deepEqual(ops.slice(0, 3).map((o) => [Op[o.op], o.args.fd]), [['CLOEXEC_FROM', 3], ['INHERIT_FD', 3], ['INHERIT_FD', 4]]);
});

const noMountNs = (s: any) => (s.linux.namespaces = [{ type: 'pid' }]);
const chrootCtx = { ...ctx, chrootMount: '/run/tsrun/.chroot/x' };

test('no mount namespace: the rootfs is bound at the runtime\'s mount point for it, the init chroots there, "/" keeps its propagation', (t) => {
  const { ops } = buildCreatePlan(spec(noMountNs), chrootCtx);
  const bind = ops.find((o) => o.op === Op.MOUNT)!;
  t.is(ops[ops.indexOf(bind) + 2]!.op, Op.SET_ROOT);
  t.deepEqual([bind.args.source, bind.args.target, bind.args.flags], ['/b/rootfs', '/run/tsrun/.chroot/x', BigInt(MS.BIND | MS.REC)]);
  const made = ops[ops.indexOf(bind) + 1]!;
  t.deepEqual([made.args.target, made.args.flags], ['/run/tsrun/.chroot/x', BigInt(MS.PRIVATE | MS.REC)]);
  t.is(ops[ops.indexOf(bind) + 2]!.args.path, '/run/tsrun/.chroot/x');
  t.false(ops.slice(0, index(ops, Op.CHROOT)).some((o) => o.op === Op.MOUNT && o.args.target === '/'), 'nothing changes the caller\'s "/"');
  t.false(ops.some((o) => o.op === Op.PIVOT_ROOT || o.op === Op.MOVE_ROOT));
  t.true(index(ops, Op.CHROOT) > index(ops, Op.MKNOD));
  t.true(index(ops, Op.CHROOT) < index(ops, Op.MASK_PATH));
});

test('no mount namespace: a user namespace, rootfsPropagation, or no mount point for the rootfs is refused naming the field', (t) => {
  t.throws(() => buildCreatePlan(spec((s) => (noMountNs(s), s.linux.namespaces.push({ type: 'user' }))), chrootCtx), { message: /\/linux\/namespaces: a user namespace needs a mount namespace too/ });
  t.throws(() => buildCreatePlan(spec((s) => (noMountNs(s), (s.linux.rootfsPropagation = 'rslave'))), chrootCtx), { message: /\/linux\/rootfsPropagation: needs a mount namespace/ });
  t.throws(() => buildCreatePlan(spec(noMountNs), ctx), { message: /no mount point of the runtime's for the rootfs/ });
});

test('exec into a chrooted init: its root is opened before any join and chrooted into after the fork', (t) => {
  const { ops } = buildExecPlan(spec().process!, { initPid: 42, joinTypes: new Set(['pid', 'mount']), extraFds: 0, chrootRoot: true });
  const open = ops.findIndex((o) => o.op === Op.SET_ROOT && o.args.path === '/proc/42/root');
  t.true(open >= 0 && open < index(ops, Op.SETNS));
  t.true(index(ops, Op.CHROOT) > index(ops, Op.FORK));
  t.false(ops.some((o) => o.op === Op.SET_ROOT && o.args.path === '/'));
});

test('a mount namespace joined by path is set up inside it: setns, then the same rootfs ops and pivot_root', (t) => {
  const { ops } = buildCreatePlan(spec((s) => (s.linux.namespaces = [{ type: 'pid' }, { type: 'mount', path: '/proc/1/ns/mnt' }])), ctx);
  const names = ops.map((o) => Op[o.op]);
  const join = ops.findIndex((o) => o.op === Op.SETNS && o.args.path === '/proc/1/ns/mnt');
  t.true(join >= 0);
  t.true(join < names.indexOf('SET_ROOT'));
  t.true(names.includes('PIVOT_ROOT'));
});

test('describePlan prints one op a line', (t) => {
  const text = describePlan(buildCreatePlan(spec(), ctx));
  t.regex(text, /^ {2}0 CLOEXEC_FROM fd=3/);
  t.regex(text, /PIVOT_ROOT/);
});

test('ambient capabilities not also inheritable are skipped with a warning, as runc does', (t) => {
  const plan = buildCreatePlan(
    spec((s) => (s.process.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_CHOWN'], ambient: ['CAP_KILL', 'CAP_CHOWN'] })),
    ctx,
  );
  t.is(plan.ops.find((o) => o.op === Op.CAPS_AMBIENT)!.args.mask, 1n);
  t.deepEqual(plan.warnings, ['ambient capability CAP_KILL not raised: it is not both permitted and inheritable']);
});

test('rootfsPropagation: shared before and after pivot_root, unbindable after, private/slave before; the r-forms alike', (t) => {
  const cases = [['shared', true, true], ['unbindable', false, true], ['private', true, false], ['slave', true, false]] as const;
  for (const [bare, before, after] of cases) {
    for (const prop of [bare, `r${bare}`]) {
      const { ops } = buildCreatePlan(spec((s) => (s.linux.rootfsPropagation = prop)), ctx);
      const pivot = ops.findIndex((o) => o.op === Op.PIVOT_ROOT);
      const flag = { shared: MS.SHARED, unbindable: MS.UNBINDABLE, private: MS.PRIVATE, slave: MS.SLAVE }[bare] | MS.REC;
      const at = ops.flatMap((o, i) => (o.op === Op.MOUNT && o.args.target === '/' && BigInt(o.args.flags as bigint) === BigInt(flag) ? [i] : []));
      t.is(at.some((i) => i < pivot), before, `${prop} before pivot_root`);
      t.is(at.some((i) => i > pivot), after, `${prop} after pivot_root`);
    }
  }
});

test('rootfsPropagation shared: the mount holding the rootfs is made private before the rootfs bind; not otherwise', (t) => {
  const privateOp = (prop: string | undefined) => {
    const { ops } = buildCreatePlan(spec((s) => (s.linux.rootfsPropagation = prop)), ctx);
    const at = ops.findIndex((o) => o.op === Op.MOUNT && (Number(o.args.how) & PathFlag.ENCLOSING_MOUNT) !== 0);
    return { at, ops };
  };
  const { at, ops } = privateOp('rshared');
  t.true(at >= 0);
  t.is(ops[at]!.args.target, ctx.rootfs);
  t.is(BigInt(ops[at]!.args.flags as bigint), BigInt(MS.PRIVATE));
  t.true(at < ops.findIndex((o) => o.op === Op.MOUNT && (BigInt(o.args.flags as bigint) & BigInt(MS.BIND)) !== 0n));
  for (const prop of [undefined, 'rslave', 'private', 'unbindable']) t.is(privateOp(prop).at, -1, String(prop));
});

test('rootfsPropagation: an unknown value names the field', (t) => {
  t.throws(() => buildCreatePlan(spec((s) => (s.linux.rootfsPropagation = 'rmaster')), ctx), { message: /\/linux\/rootfsPropagation: must be one of/ });
});

test('cgroup join: the executor joins first, before any namespace; without a join nothing changes', (t) => {
  const join = { tasks: ['/sys/fs/cgroup/cpu/c/tasks', '/sys/fs/cgroup/memory/c/tasks'], unified: '/sys/fs/cgroup/unified/c' };
  const withJoin = buildCreatePlan(spec((s) => (s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'cgroup'))), { ...ctx, cgroupJoin: join });
  t.true(withJoin.joinsCgroup);
  t.is(withJoin.ops[0]!.op, Op.JOIN_CGROUP);
  t.deepEqual(withJoin.ops[0]!.args, { tasks: join.tasks, unified: join.unified });
  const without = buildCreatePlan(spec(), ctx);
  t.falsy(without.joinsCgroup);
  t.is(index(without.ops, Op.JOIN_CGROUP), -1);
});

test('cgroup join with a new cgroup namespace: the init unshares it after the fork into the cgroup2 directory', (t) => {
  const { ops, joinsCgroup } = buildCreatePlan(spec(), { ...ctx, cgroupJoin: { tasks: ['/x/tasks'], unified: '/u/c' } });
  t.true(joinsCgroup);
  const fork = index(ops, Op.FORK);
  const before = ops.slice(0, fork).filter((o) => o.op === Op.UNSHARE);
  t.true(before.every((o) => ((o.args.flags as number) & CLONE.NEWCGROUP) === 0), describePlan({ ops, warnings: [] }));
  t.deepEqual(ops[fork + 1], { op: Op.UNSHARE, args: { flags: CLONE.NEWCGROUP }, note: ops[fork + 1]!.note });
  // v1 only (no cgroup2 directory): the executor is in every cgroup before it unshares.
  const v1 = buildCreatePlan(spec(), { ...ctx, cgroupJoin: { tasks: ['/x/tasks'] } });
  t.true(((v1.ops[index(v1.ops, Op.UNSHARE)]!.args.flags as number) & CLONE.NEWCGROUP) !== 0);
  t.not(v1.ops[index(v1.ops, Op.FORK) + 1]!.op, Op.UNSHARE);
});

test('cgroup join into a cgroup namespace joined by path: tsrun moves the executor (no JOIN_CGROUP)', (t) => {
  const s = spec((x) => (x.linux.namespaces = x.linux.namespaces.map((n: any) => (n.type === 'cgroup' ? { type: 'cgroup', path: '/proc/1/ns/cgroup' } : n))));
  const { ops, joinsCgroup } = buildCreatePlan(s, { ...ctx, cgroupJoin: { tasks: ['/x/tasks'], unified: '/u/c' } });
  t.falsy(joinsCgroup);
  t.is(index(ops, Op.JOIN_CGROUP), -1);
});

test('cgroup join with a user namespace and a cgroup2 tree: tsrun moves the executor (the fork would be refused)', (t) => {
  const s = spec((x) => {
    x.linux.namespaces.push({ type: 'user' });
    x.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    x.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  t.falsy(buildCreatePlan(s, { ...ctx, cgroupJoin: { tasks: ['/x/tasks'], unified: '/u/c' } }).joinsCgroup);
  // v1 only: the tasks writes come before the user namespace, so the executor still joins.
  t.true(buildCreatePlan(s, { ...ctx, cgroupJoin: { tasks: ['/x/tasks'] } }).joinsCgroup);
});
