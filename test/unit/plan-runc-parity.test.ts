/** Plans for behaviours runc has and tsrun matches: a read-only /dev, r* mount attributes, stdio ownership, cwd. */
import test from 'ava';
import { Op, type PlanOp } from '../../src/executor/protocol.js';
import { features } from '../../src/cli/features.js';
import { buildCreatePlan, buildExecPlan, describePlan, parseMountOptions } from '../../src/plan/index.js';
import { MOUNT_ATTR, MS } from '../../src/plan/linux-constants.js';
import { ctx, spec } from './plan-fixtures.js';

const mountsOn = (ops: PlanOp[], target: string) => ops.filter((o) => o.op === Op.MOUNT && o.args.target === target);

test('a read-only /dev is mounted writable and made read-only after the console and before the masks', (t) => {
  const { ops } = buildCreatePlan(spec((s) => {
    s.mounts.find((m: any) => m.destination === '/dev').options.push('ro');
    s.process.terminal = true;
  }), { ...ctx, consoleSocket: '/c.sock' });
  const dev = mountsOn(ops, '/dev');
  t.is(dev.length, 2, describePlan({ ops, warnings: [] }));
  t.is(Number(dev[0]!.args.flags) & MS.RDONLY, 0);
  t.is(dev[1]!.args.flags, BigInt(MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.STRICTATIME));
  const remount = ops.indexOf(dev[1]!);
  t.true(remount > ops.findIndex((o) => o.op === Op.CONSOLE));
  t.true(remount < ops.findIndex((o) => o.op === Op.MASK_PATH));
});

test('a writable /dev, and a /dev written "/dev/", are not remounted', (t) => {
  t.is(mountsOn(buildCreatePlan(spec(), ctx).ops, '/dev').length, 1);
  const slash = buildCreatePlan(spec((s) => {
    const dev = s.mounts.find((m: any) => m.destination === '/dev');
    dev.destination = '/dev/';
    dev.options.push('ro');
  }), ctx).ops;
  const dev = mountsOn(slash, '/dev/');
  t.is(dev.length, 2);
  t.is(Number(dev[0]!.args.flags) & MS.RDONLY, 0);
});

test('recursive attribute options become one mount_setattr after the mount, its remount and propagation', (t) => {
  const { ops } = buildCreatePlan(spec((s) => s.mounts.push({ destination: '/data', type: 'bind', source: '/src', options: ['rbind', 'ro', 'rro', 'rnosuid', 'rexec', 'rprivate'] })), ctx);
  const at = ops.findIndex((o) => o.op === Op.MOUNT_SETATTR);
  t.deepEqual(ops[at]!.args, { how: 1, attrSet: BigInt(MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID), attrClr: BigInt(MOUNT_ATTR.NOEXEC), target: '/data', options: 'rro,rnosuid,rexec' });
  t.deepEqual(mountsOn(ops, '/data').map((o) => ops.indexOf(o) < at), [true, true, true]);
  t.false(buildCreatePlan(spec(), ctx).ops.some((o) => o.op === Op.MOUNT_SETATTR));
});

test('an atime option clears the whole atime field, which the kernel takes only whole', (t) => {
  const atime = (o: string) => parseMountOptions([o], 'x').recAttr;
  t.deepEqual(atime('rnoatime'), { set: MOUNT_ATTR.NOATIME, clear: MOUNT_ATTR.ATIME_MASK, options: ['rnoatime'] });
  t.deepEqual(atime('rstrictatime'), { set: MOUNT_ATTR.STRICTATIME, clear: MOUNT_ATTR.ATIME_MASK, options: ['rstrictatime'] });
  t.deepEqual(atime('ratime'), { set: MOUNT_ATTR.RELATIME, clear: MOUNT_ATTR.ATIME_MASK, options: ['ratime'] });
  t.is(parseMountOptions(['rro', 'rrw'], 'x').recAttr.clear, MOUNT_ATTR.RDONLY);
});

test('features lists every recursive attribute option, as runc does', (t) => {
  const opts = features().mountOptions as string[];
  for (const o of ['rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime', 'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow']) {
    t.true(opts.includes(o), o);
  }
  t.false(opts.includes('tmpcopyup'));
});

test('stdio is given to the process user before the user switch, in create and exec plans', (t) => {
  const s = spec((s) => (s.process.user = { uid: 1000, gid: 1000 }));
  const { ops } = buildCreatePlan(s, ctx);
  const at = ops.findIndex((o) => o.op === Op.STDIO_OWNER);
  t.deepEqual(ops[at]!.args, { uid: 1000 });
  t.true(at < ops.findIndex((o) => o.op === Op.SETRESUID));
  const exec = buildExecPlan(s.process!, { initPid: 1, joinTypes: new Set(), extraFds: 0 }).ops;
  t.true(exec.some((o) => o.op === Op.STDIO_OWNER));
});

test('the cwd is entered while privileged, and again as the user after the switch', (t) => {
  const { ops } = buildCreatePlan(spec((s) => {
    s.process.user = { uid: 1000, gid: 1000 };
    s.process.cwd = '/root';
  }), ctx);
  const early = ops.findIndex((o) => o.op === Op.CHDIR_PRIVILEGED);
  const late = ops.findIndex((o) => o.op === Op.CHDIR);
  const setuid = ops.findIndex((o) => o.op === Op.SETRESUID);
  t.deepEqual([ops[early]!.args.path, ops[late]!.args.path], ['/root', '/root']);
  t.true(early < setuid && setuid < late);
});
