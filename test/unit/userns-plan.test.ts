/** Plans of containers with user namespaces and id-mapped mounts, as data (no root needed). */
import test from 'ava';
import { Op, PathFlag, TreeFlag, type PlanOp } from '../../src/executor/protocol.js';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import { buildCreatePlan, describePlan, joinOps, parseMountOptions, type PlanContext } from '../../src/plan/index.js';
import { CLONE, MS } from '../../src/plan/linux-constants.js';
import { supportedMountOptions } from '../../src/plan/mount-options.js';
import { isMapped } from '../../src/plan/namespaces.js';
import type { Spec } from '../../src/spec/index.js';

const ctx: PlanContext = { rootfs: '/b/rootfs', bundle: '/b', fifoPath: '/run/tsrun/x/exec.fifo', extraFds: 0 };
const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];
const userSpec = (patch: (s: any) => void = () => undefined): Spec => {
  const s = defaultSpec({ hardened: true }) as any;
  s.process.terminal = false;
  delete s.linux.seccomp;
  s.linux.namespaces.push({ type: 'user' });
  s.linux.uidMappings = MAP;
  s.linux.gidMappings = MAP;
  patch(s);
  return s as Spec;
};
const names = (ops: PlanOp[]) => ops.map((o) => Op[o.op]);
const index = (ops: PlanOp[], pred: (o: PlanOp) => boolean) => ops.findIndex(pred);

test('several ranges are written as one map each, one line per range', (t) => {
  const plan = buildCreatePlan(
    userSpec((s) => {
      s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
    }),
    ctx,
  );
  t.deepEqual(plan.idmap, { uidMap: '0 1000 1\n1 100000 65536\n', gidMap: '0 1000 1\n1 100000 65536\n' });
});

test('namespaces joined by path come before a new user namespace, new ones after it', (t) => {
  const { ops } = buildCreatePlan(
    userSpec((s) => {
      s.linux.namespaces = [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/x' }, { type: 'ipc', path: '/proc/9/ns/ipc' }, { type: 'mount' }, { type: 'user' }];
      s.mounts = s.mounts.filter((m: any) => m.type !== 'mqueue' && m.type !== 'cgroup');
    }),
    ctx,
  );
  const n = names(ops);
  const joinNet = index(ops, (o) => o.op === Op.SETNS && o.args.path === '/var/run/netns/x');
  const joinIpc = index(ops, (o) => o.op === Op.SETNS && o.args.path === '/proc/9/ns/ipc');
  const newUser = index(ops, (o) => o.op === Op.UNSHARE && o.args.flags === CLONE.NEWUSER);
  const newRest = index(ops, (o) => o.op === Op.UNSHARE && o.args.flags === (CLONE.NEWPID | CLONE.NEWNS));
  t.true(newRest > 0, 'the other namespaces are created');
  t.true(joinIpc >= 0 && joinNet > joinIpc, 'ipc then network, as JOIN_ORDER says');
  t.true(newUser > joinNet, describePlan({ ops, warnings: [] }));
  t.deepEqual(n.slice(newUser, newUser + 5), ['UNSHARE', 'IDMAP_SYNC', 'SETRESGID', 'SETRESUID', 'UNSHARE']);
  t.is(newRest, newUser + 4);
});

test('a user namespace joined by path is joined first, becomes root, and gets no maps', (t) => {
  const plan = buildCreatePlan(
    userSpec((s) => {
      s.linux.namespaces = [{ type: 'network', path: '/proc/7/ns/net' }, { type: 'user', path: '/proc/7/ns/user' }, { type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'cgroup' }];
      delete s.linux.uidMappings;
      delete s.linux.gidMappings;
    }),
    ctx,
  );
  const n = names(plan.ops);
  const u = index(plan.ops, (o) => o.op === Op.SETNS && o.args.nstype === CLONE.NEWUSER);
  t.deepEqual(n.slice(u, u + 4), ['SETNS', 'SETRESGID', 'SETRESUID', 'SETNS']);
  t.is(plan.ops[u + 3]!.args.path, '/proc/7/ns/net');
  t.false(n.includes('IDMAP_SYNC'));
  t.is(plan.idmap, undefined);
});

test('idmap and ridmap parse as id-mapped mount options and are advertised only when they work', (t) => {
  const o = parseMountOptions(['rbind', 'idmap', 'ro'], 'x');
  t.true(o.idmap);
  t.false(o.ridmap);
  t.is(o.flags, MS.BIND | MS.REC | MS.RDONLY);
  const r = parseMountOptions(['bind', 'ridmap'], 'x');
  t.true(r.idmap && r.ridmap);
  t.false(supportedMountOptions().includes('idmap'));
  t.true(supportedMountOptions({ idmap: true }).includes('idmap'));
  t.true(supportedMountOptions({ idmap: true }).includes('ridmap'));
});

test('an id-mapped mount is cloned before any namespace op and attached in its place among the mounts', (t) => {
  const { ops } = buildCreatePlan(
    userSpec((s) => {
      s.mounts.push({ destination: '/data', type: 'bind', source: 'vol', options: ['rbind', 'ro', 'idmap'] });
      s.mounts.push({ destination: '/other', type: 'bind', source: '/srv', options: ['bind'] });
    }),
    ctx,
  );
  const slot = 7; // the mount's index
  const tree = index(ops, (o) => o.op === Op.IDMAP_TREE);
  t.true(tree >= 0);
  t.deepEqual(ops[tree]!.args, { how: TreeFlag.RECURSIVE, slot, source: '/b/vol', usernsPath: '', uidMap: '0 100000 65536\n', gidMap: '0 100000 65536\n' });
  t.true(tree < index(ops, (o) => o.op === Op.UNSHARE), 'while still privileged in the host user namespace');
  const attach = index(ops, (o) => o.op === Op.ATTACH_TREE);
  t.deepEqual(ops[attach]!.args, { how: PathFlag.IN_ROOT | PathFlag.CREATE_LIKE_SOURCE, slot, target: '/data' });
  // After the mounts before it, before the one after it, then its flags by a remount.
  t.true(attach > index(ops, (o) => o.op === Op.MOUNT && o.args.target === '/sys'));
  t.true(attach < index(ops, (o) => o.op === Op.MOUNT && o.args.target === '/other'));
  t.like(ops[attach + 1], { op: Op.MOUNT, args: { target: '/data', flags: BigInt(MS.BIND | MS.REMOUNT | MS.RDONLY) } });
  t.false(ops.some((o) => o.op === Op.MOUNT && o.args.target === '/data' && o.args.source === '/b/vol'), 'no plain bind as well');
});

test('mount uidMappings/gidMappings make a mount id-mapped with exactly those maps, with or without a user namespace', (t) => {
  for (const withUser of [true, false]) {
    const patch = (s: any) => {
      s.mounts.push({
        destination: '/m',
        source: '/src',
        options: ['bind', 'ridmap'],
        uidMappings: [{ containerID: 100, hostID: 101000, size: 1 }, { containerID: 101, hostID: 102000, size: 1 }],
        gidMappings: [{ containerID: 210, hostID: 101100, size: 10 }],
      });
    };
    const s = withUser ? userSpec(patch) : (() => {
      const d = defaultSpec({ hardened: true }) as any;
      d.process.terminal = false;
      patch(d);
      return d as Spec;
    })();
    const { ops } = buildCreatePlan(s, ctx);
    const tree = ops.find((o) => o.op === Op.IDMAP_TREE)!;
    t.is(tree.args.how, TreeFlag.IDMAP_RECURSIVE);
    t.is(tree.args.uidMap, '100 101000 1\n101 102000 1\n');
    t.is(tree.args.gidMap, '210 101100 10\n');
  }
});

test('idmap without maps takes a joined user namespace itself', (t) => {
  const { ops } = buildCreatePlan(
    userSpec((s) => {
      s.linux.namespaces = [{ type: 'user', path: '/proc/5/ns/user' }, { type: 'pid' }, { type: 'mount' }, { type: 'network' }, { type: 'ipc' }, { type: 'cgroup' }];
      delete s.linux.uidMappings;
      delete s.linux.gidMappings;
      s.mounts.push({ destination: '/m', source: '/src', options: ['bind', 'idmap'] });
    }),
    ctx,
  );
  t.like(ops.find((o) => o.op === Op.IDMAP_TREE), { args: { usernsPath: '/proc/5/ns/user', uidMap: '', gidMap: '' } });
});

test('id-mapped mounts that cannot be made are refused with the field named', (t) => {
  const plain = defaultSpec({ hardened: true }) as any;
  plain.process.terminal = false;
  plain.mounts.push({ destination: '/m', source: '/src', options: ['bind', 'idmap'] });
  t.throws(() => buildCreatePlan(plain as Spec, ctx), { message: /\/mounts\/7\/options: "idmap" without uidMappings\/gidMappings .* no user namespace/ });
  t.throws(() => buildCreatePlan(userSpec((s) => s.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] })), ctx), {
    message: /\/mounts\/7: only bind mounts can be id-mapped/,
  });
});

test('sysfs in a user namespace without a network namespace of its own is the host /sys, bound with its flags', (t) => {
  for (const net of [undefined, { type: 'network', path: '/var/run/netns/x' }]) {
    const { ops } = buildCreatePlan(
      userSpec((s) => {
        s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'network');
        if (net) s.linux.namespaces.push(net);
      }),
      ctx,
    );
    const sys = ops.filter((o) => o.op === Op.MOUNT && o.args.target === '/sys');
    t.is(sys.length, 2);
    t.like(sys[0], { args: { source: '/sys', fstype: '', flags: BigInt(MS.BIND | MS.REC) } });
    t.like(sys[1], { args: { flags: BigInt(MS.BIND | MS.REMOUNT | MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY) } });
  }
  // With its own network namespace, a real sysfs.
  const { ops } = buildCreatePlan(userSpec(), ctx);
  t.like(ops.find((o) => o.op === Op.MOUNT && o.args.target === '/sys'), { args: { fstype: 'sysfs' } });
});

test('proc and mqueue in a user namespace need pid and ipc namespaces it owns', (t) => {
  t.throws(() => buildCreatePlan(userSpec((s) => (s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'pid'))), ctx), {
    message: /\/mounts\/0: proc cannot be mounted in a user namespace without a new pid namespace/,
  });
  t.throws(() => buildCreatePlan(userSpec((s) => (s.linux.namespaces = s.linux.namespaces.map((n: any) => (n.type === 'ipc' ? { type: 'ipc', path: '/proc/1/ns/ipc' } : n)))), ctx), {
    message: /\/mounts\/4: mqueue cannot be mounted in a user namespace without a new ipc namespace/,
  });
  // Without a user namespace nothing changes.
  const s = defaultSpec({ hardened: true }) as any;
  s.process.terminal = false;
  s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'network');
  t.like(buildCreatePlan(s as Spec, ctx).ops.find((o) => o.op === Op.MOUNT && o.args.target === '/sys'), { args: { fstype: 'sysfs' } });
});

test('devpts gid= naming an unmapped group is dropped with a warning', (t) => {
  const single = (s: any) => {
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  };
  const plan = buildCreatePlan(userSpec(single), ctx);
  const pts = plan.ops.find((o) => o.op === Op.MOUNT && o.args.fstype === 'devpts')!;
  t.false(String(pts.args.data).includes('gid=5'));
  t.true(String(pts.args.data).includes('newinstance'));
  t.true(plan.warnings.some((w) => /\/mounts\/2\/options: "gid=5" dropped/.test(w)));
  const mapped = buildCreatePlan(userSpec(), ctx);
  t.true(String(mapped.ops.find((o) => o.op === Op.MOUNT && o.args.fstype === 'devpts')!.args.data).includes('gid=5'));
  t.deepEqual(mapped.warnings.filter((w) => w.includes('dropped')), []);
});

test('isMapped reads container ranges', (t) => {
  t.true(isMapped(MAP, 0));
  t.true(isMapped(MAP, 65535));
  t.false(isMapped(MAP, 65536));
  t.false(isMapped([{ containerID: 1, size: 2 }], 0));
  t.false(isMapped(undefined, 0));
});

test('exec joins as root every namespace but mount before the user namespace; a normal user joins the user namespace first', (t) => {
  const types = new Set(['user', 'network', 'ipc', 'mount', 'pid']);
  const order = (privileged: boolean) =>
    joinOps(42, types, privileged).map((o) => (o.op === Op.SETNS ? String(o.args.path).replace('/proc/42/ns/', '') : Op[o.op]));
  t.deepEqual(order(true), ['ipc', 'net', 'pid', 'user', 'SETRESGID', 'SETRESUID', 'mnt']);
  t.deepEqual(order(false), ['user', 'SETRESGID', 'SETRESUID', 'ipc', 'net', 'pid', 'mnt']);
});
