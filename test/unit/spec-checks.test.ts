/**
 * Each semantic check (src/spec/checks.ts): a config that passes it and one that fails it with
 * the exact one-line message naming the field. Configs go through validateSpec, so they also
 * pass the schema.
 */
import test from 'ava';
import { ConfigError } from '../../src/errors.js';
import { processChecks, specChecks, validateProcess, validateSpec, type Spec } from '../../src/spec/index.js';

/** A config that passes the schema and every check, with a process (for start). */
function base(): any {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    hostname: 'box',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
    },
  };
}

function spec(patch: (s: any) => void): any {
  const s = base();
  patch(s);
  return s;
}

function message(s: unknown, forStart = true): string | undefined {
  try {
    validateSpec(s, 'config.json', { forStart });
    return undefined;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message;
  }
}

/** Per check: a passing variant and [failing variant, exact message]. */
const cases: Record<string, { pass: (s: any) => void; fail: Array<[(s: any) => void, string]> }> = {
  ociVersion: {
    pass: (s) => (s.ociVersion = '1.0.2-dev'),
    fail: [
      [(s) => (s.ociVersion = '0.5.0-dev'), 'config.json: /ociVersion: version "0.5.0-dev" is not supported (tsrun reads 1.x)'],
      [(s) => (s.ociVersion = '1.0'), 'config.json: /ociVersion: must be a SemVer version such as 1.2.0 (got "1.0")'],
    ],
  },
  root: {
    pass: (s) => (s.root = { path: '/abs/rootfs', readonly: true }),
    fail: [
      [(s) => delete s.root, 'config.json: /root: is required on Linux'],
      [(s) => (s.root.path = ''), 'config.json: /root/path: must not be empty'],
    ],
  },
  process: {
    pass: (s) => (s.process.env = ['A=1']),
    fail: [[(s) => delete s.process, 'config.json: /process: is required to start a container']],
  },
  nulBytes: {
    pass: (s) => {
      s.process.env = ['A=1', 'B=\n'];
      s.annotations = { 'x\u0000': 'opaque \u0000 data' };
      s.linux.futureField = 'ignored\u0000';
    },
    fail: [
      [(s) => (s.process.args = ['sh', '-c\u0000']), 'config.json: /process/args/1: must not contain a NUL byte'],
      [(s) => (s.process.cwd = '/\u0000'), 'config.json: /process/cwd: must not contain a NUL byte'],
      [(s) => (s.mounts[0].options = ['ro', 'x\u0000']), 'config.json: /mounts/0/options/1: must not contain a NUL byte'],
      [(s) => (s.hooks = { poststop: [{ path: '/h', env: ['A=\u0000'] }] }), 'config.json: /hooks/poststop/0/env/0: must not contain a NUL byte'],
      [(s) => (s.linux.sysctl = { 'net.ipv4.ip_\u0000forward': '1' }), 'config.json: /linux/sysctl/net.ipv4.ip_\\u0000forward: the name must not contain a NUL byte'],
      [(s) => (s.linux.resources = { unified: { 'pids.max': '1\u0000' } }), 'config.json: /linux/resources/unified/pids.max: must not contain a NUL byte'],
    ],
  },
  consoleSize: {
    pass: (s) => (s.process.consoleSize = { height: 65535, width: 80 }),
    fail: [[(s) => (s.process.consoleSize = { height: 24, width: 65536 }), 'config.json: /process/consoleSize/width: must be at most 65535 (got 65536)']],
  },
  args: {
    pass: (s) => (s.process.args = ['/bin/true']),
    fail: [
      [(s) => (s.process.args = []), 'config.json: /process/args: must name the program to run (at least one entry)'],
      [(s) => delete s.process.args, 'config.json: /process/args: must name the program to run (at least one entry)'],
    ],
  },
  cwd: {
    pass: (s) => (s.process.cwd = '/home'),
    fail: [[(s) => (s.process.cwd = 'home'), 'config.json: /process/cwd: must be an absolute path (got "home")']],
  },
  capabilities: {
    pass: (s) => (s.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_CHECKPOINT_RESTORE'], ambient: [] }),
    fail: [
      [
        (s) => (s.process.capabilities = { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN', 'CAP_FOO'] }),
        'config.json: /process/capabilities/effective/1: unknown capability "CAP_FOO"',
      ],
      [(s) => (s.process.capabilities = { ambient: ['chown'] }), 'config.json: /process/capabilities/ambient/0: unknown capability "chown"'],
    ],
  },
  rlimits: {
    pass: (s) =>
      (s.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      ]),
    fail: [
      [
        (s) =>
          (s.process.rlimits = [
            { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 },
            { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 },
          ]),
        'config.json: /process/rlimits/1/type: RLIMIT_NOFILE is set more than once',
      ],
      [(s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 2, hard: 1 }]), 'config.json: /process/rlimits/0: soft limit 2 is above the hard limit 1'],
    ],
  },
  scheduler: {
    pass: (s) => (s.process.scheduler = { policy: 'SCHED_FIFO', priority: 10 }),
    fail: [
      [(s) => (s.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 }), 'config.json: /process/scheduler/nice: must be between -20 and 19 (got 20)'],
      [(s) => (s.process.scheduler = { policy: 'SCHED_RR' }), 'config.json: /process/scheduler/priority: SCHED_RR needs a priority between 1 and 99'],
      [(s) => (s.process.scheduler = { policy: 'SCHED_BATCH', priority: 3 }), 'config.json: /process/scheduler/priority: only SCHED_FIFO and SCHED_RR take a priority'],
      [(s) => (s.process.scheduler = { policy: 'SCHED_OTHER', runtime: 5 }), 'config.json: /process/scheduler/runtime: only SCHED_DEADLINE takes runtime'],
    ],
  },
  namespaces: {
    pass: (s) => s.linux.namespaces.push({ type: 'cgroup' }, { type: 'network', path: '/proc/1/ns/net' }) && s.linux.namespaces.splice(4, 1),
    fail: [
      [(s) => s.linux.namespaces.push({ type: 'pid' }), 'config.json: /linux/namespaces/5/type: namespace "pid" is listed more than once'],
      [(s) => s.linux.namespaces.push({ type: 'cgroup', path: 'ns/cgroup' }), 'config.json: /linux/namespaces/5/path: must be an absolute path (got "ns/cgroup")'],
    ],
  },
  userns: {
    pass: (s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    },
    fail: [
      [(s) => s.linux.namespaces.push({ type: 'user' }), 'config.json: /linux/uidMappings: a new user namespace needs uid mappings'],
      [
        (s) => {
          s.linux.namespaces.push({ type: 'user' });
          s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
        },
        'config.json: /linux/gidMappings: a new user namespace needs gid mappings',
      ],
      [(s) => (s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), 'config.json: /linux/uidMappings: needs a user namespace in /linux/namespaces'],
      [
        (s) => {
          s.linux.namespaces.push({ type: 'user' });
          s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 0 }];
          s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
        },
        'config.json: /linux/uidMappings/0/size: must be at least 1',
      ],
    ],
  },
  usernsByPath: {
    pass: (s) => s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }),
    fail: [],
  },
  uts: {
    pass: (s) => (s.domainname = 'example.org'),
    fail: [
      [(s) => (s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'uts')), 'config.json: /hostname: needs a uts namespace in /linux/namespaces'],
      [
        (s) => {
          delete s.hostname;
          s.domainname = 'example.org';
          s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'uts');
        },
        'config.json: /domainname: needs a uts namespace in /linux/namespaces',
      ],
    ],
  },
  timens: {
    pass: (s) => {
      s.linux.namespaces.push({ type: 'time' });
      s.linux.timeOffsets = { monotonic: { secs: 10, nanosecs: 0 } };
    },
    fail: [
      [(s) => (s.linux.timeOffsets = { boottime: { secs: 1 } }), 'config.json: /linux/timeOffsets: needs a time namespace in /linux/namespaces'],
      [
        (s) => {
          s.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
          s.linux.timeOffsets = { boottime: { secs: 1 } };
        },
        'config.json: /linux/timeOffsets: cannot be set when joining a time namespace by path',
      ],
    ],
  },
  sysctl: {
    pass: (s) => (s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'x' }),
    fail: [
      [
        (s) => {
          s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'network');
          s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
        },
        "config.json: /linux/sysctl/net.ipv4.ip_forward: not allowed in the host's network namespace (add a network namespace)",
      ],
      [
        (s) => {
          s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'ipc');
          s.linux.sysctl = { 'kernel.msgmax': '1' };
        },
        "config.json: /linux/sysctl/kernel.msgmax: not allowed in the host's ipc namespace (add an ipc namespace)",
      ],
      [(s) => (s.linux.sysctl = { 'kernel.hostname': 'x' }), 'config.json: /linux/sysctl/kernel.hostname: not allowed, use /hostname'],
      [
        (s) => (s.linux.sysctl = { 'vm.swappiness': '1' }),
        "config.json: /linux/sysctl/vm.swappiness: not a namespaced sysctl (tsrun only sets those of the container's own namespaces)",
      ],
    ],
  },
  netDevices: {
    pass: (s) => (s.linux.netDevices = { eth1: { name: 'ctr0' }, ens4: {} }),
    fail: [
      [
        (s) => {
          s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'network');
          s.linux.netDevices = { eth1: {} };
        },
        'config.json: /linux/netDevices: needs a network namespace in /linux/namespaces',
      ],
      [(s) => (s.linux.netDevices = { eth1: { name: 'a/b' } }), 'config.json: /linux/netDevices/eth1/name: "a/b" is not a valid interface name'],
      [(s) => (s.linux.netDevices = { eth1: { name: 'x' }, eth2: { name: 'x' } }), 'config.json: /linux/netDevices/eth2/name: interface name "x" is used twice'],
    ],
  },
  mounts: {
    pass: (s) => s.mounts.push({ destination: '/data', source: '/srv', options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }),
    fail: [
      [(s) => (s.mounts = [{ destination: '/x', type: 'tm\npfs' }]), 'config.json: /mounts/0/type: "tm\\npfs" is not a file system type'],
      [(s) => s.mounts.push({ destination: 'tmp', type: 'tmpfs' }), 'config.json: /mounts/1/destination: must be an absolute path (got "tmp")'],
      [(s) => s.mounts.push({ destination: '/a/../../etc', type: 'tmpfs' }), 'config.json: /mounts/1/destination: must not contain ".." (got "/a/../../etc")'],
      [
        (s) => s.mounts.push({ destination: '/d', source: '/s', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }),
        'config.json: /mounts/1/gidMappings: an id-mapped mount needs both uidMappings and gidMappings',
      ],
    ],
  },
  maskedPaths: {
    pass: (s) => {
      s.linux.maskedPaths = ['/proc/kcore'];
      s.linux.readonlyPaths = ['/proc/sys'];
    },
    fail: [
      [(s) => (s.linux.maskedPaths = ['proc/kcore']), 'config.json: /linux/maskedPaths/0: must be an absolute path without ".." (got "proc/kcore")'],
      [(s) => (s.linux.readonlyPaths = ['/proc/../etc']), 'config.json: /linux/readonlyPaths/0: must be an absolute path without ".." (got "/proc/../etc")'],
    ],
  },
  devices: {
    pass: (s) => (s.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }, { path: '/dev/fifo', type: 'p' }]),
    fail: [
      [(s) => (s.linux.devices = [{ path: '/dev/fuse', type: 'c', minor: 229 }]), 'config.json: /linux/devices/0/major: is required for a device of type c'],
      [(s) => (s.linux.devices = [{ path: '/dev/sda', type: 'b', major: 8 }]), 'config.json: /linux/devices/0/minor: is required for a device of type b'],
      [(s) => (s.linux.devices = [{ path: 'dev/null', type: 'c', major: 1, minor: 3 }]), 'config.json: /linux/devices/0/path: must be an absolute path without ".." (got "dev/null")'],
      [(s) => (s.linux.devices = [{ path: '/d\nev/null', type: 'c', major: 1, minor: 3 }]), 'config.json: /linux/devices/0/path: must be under /dev (got "/d\\nev/null")'],
      [(s) => (s.linux.devices = [{ path: '/dev/x', type: 'c', major: -1, minor: 3 }]), 'config.json: /linux/devices/0/major: must be between 0 and 4294967295 (got -1)'],
      [(s) => (s.linux.devices = [{ path: '/dev/x', type: 'b', major: 1, minor: 4294967296 }]), 'config.json: /linux/devices/0/minor: must be between 0 and 4294967295 (got 4294967296)'],
    ],
  },
  resources: {
    pass: (s) => (s.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 1 }], unified: { 'memory.high': 'max' }, rdma: { mlx5_1: { hcaHandles: 1 } }, network: { priorities: [{ name: 'eth0', priority: 1 }] } }),
    fail: [
      [(s) => (s.linux.resources = { hugepageLimits: [{ pageSize: `${'1'.repeat(30)}MB`, limit: 1 }] }), `config.json: /linux/resources/hugepageLimits/0/pageSize: "${'1'.repeat(30)}MB" is not a huge page size`],
      [(s) => (s.linux.resources = { unified: { '..': '1' } }), 'config.json: /linux/resources/unified/..: not a cgroup file name'],
      [(s) => (s.linux.resources = { unified: { 'cpu.max\n': '1' } }), 'config.json: /linux/resources/unified/cpu.max\\u000a: not a cgroup file name'],
      [(s) => (s.linux.resources = { unified: { ['a'.repeat(256)]: '1' } }), `config.json: /linux/resources/unified/${'a'.repeat(256)}: not a cgroup file name`],
      [(s) => (s.linux.resources = { rdma: { 'mlx5 hca_handle=9': {} } }), 'config.json: /linux/resources/rdma/mlx5 hca_handle=9: "mlx5 hca_handle=9" is not an RDMA device name'],
      [(s) => (s.linux.resources = { network: { priorities: [{ name: 'eth0 1\nlo', priority: 1 }] } }), 'config.json: /linux/resources/network/priorities/0/name: "eth0 1\\nlo" is not a valid interface name'],
    ],
  },
  cgroupsPath: {
    pass: (s) => (s.linux.cgroupsPath = 'system.slice:tsrun:abc'),
    fail: [
      [(s) => (s.linux.cgroupsPath = '/a/../../b'), 'config.json: /linux/cgroupsPath: must not contain ".." (got "/a/../../b")'],
      [(s) => (s.linux.cgroupsPath = 'a:b'), 'config.json: /linux/cgroupsPath: must be a cgroup path or slice:prefix:name (got "a:b")'],
      [(s) => (s.linux.cgroupsPath = 'user:tsrun:abc'), 'config.json: /linux/cgroupsPath: systemd slice "user" must end in .slice'],
      [(s) => (s.linux.cgroupsPath = `/a/${'b'.repeat(256)}`), 'config.json: /linux/cgroupsPath: a name in the path is longer than 255 bytes'],
      [(s) => (s.linux.cgroupsPath = '/ab'.repeat(1025)), 'config.json: /linux/cgroupsPath: longer than 3072 bytes'],
    ],
  },
  cgroupsPathPlain: {
    pass: (s) => (s.linux.cgroupsPath = '/tsrun/abc'),
    fail: [],
  },
  seccomp: {
    pass: (s) =>
      (s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        listenerPath: '/run/notify.sock',
        syscalls: [
          { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
          { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' },
          { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        ],
      }),
    fail: [
      [
        (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read', ''], action: 'SCMP_ACT_ERRNO' }] }),
        'config.json: /linux/seccomp/syscalls/0/names/1: syscall name must not be empty',
      ],
      [(s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x' }), 'config.json: /linux/seccomp/defaultAction: SCMP_ACT_NOTIFY cannot be the default action'],
      [
        (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }),
        'config.json: /linux/seccomp/listenerPath: is required when a syscall uses SCMP_ACT_NOTIFY (/linux/seccomp/syscalls/0)',
      ],
      [
        (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x', syscalls: [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }] }),
        'config.json: /linux/seccomp/syscalls/0/names/0: SCMP_ACT_NOTIFY cannot be used for write',
      ],
      [
        (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }),
        'config.json: /linux/seccomp/defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (defaultAction is SCMP_ACT_ALLOW)',
      ],
      [
        (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }),
        'config.json: /linux/seccomp/syscalls/0/errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is SCMP_ACT_KILL)',
      ],
    ],
  },
  memoryPolicy: {
    pass: (s) => (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-1,3', flags: ['MPOL_F_STATIC_NODES'] }),
    fail: [
      [(s) => (s.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE' }), 'config.json: /linux/memoryPolicy/nodes: is required for MPOL_INTERLEAVE'],
      [(s) => (s.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '0' }), 'config.json: /linux/memoryPolicy/nodes: must be empty for MPOL_LOCAL'],
      [(s) => (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: 'all' }), 'config.json: /linux/memoryPolicy/nodes: must be a node list such as 0-3,7 (got "all")'],
      [
        (s) => (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] }),
        'config.json: /linux/memoryPolicy/flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other',
      ],
    ],
  },
  intelRdt: {
    pass: (s) => (s.linux.intelRdt = { closID: 'guaranteed', l3CacheSchema: 'L3:0=ff' }),
    fail: [[(s) => (s.linux.intelRdt = { closID: '../x' }), 'config.json: /linux/intelRdt/closID: "../x" is not a valid resctrl group name']],
  },
  hooks: {
    pass: (s) => (s.hooks = { createRuntime: [{ path: '/usr/bin/hook', args: ['hook'], timeout: 5 }], poststop: [] }),
    fail: [[(s) => (s.hooks = { poststart: [{ path: 'hook' }] }), 'config.json: /hooks/poststart/0/path: must be an absolute path (got "hook")']],
  },
};

test('the base config passes every check', (t) => {
  t.is(message(base()), undefined);
});

test('every named check has cases here', (t) => {
  const covered = new Set(Object.keys(cases));
  for (const c of specChecks) if (c.name !== 'process') t.true(covered.has(c.name), `no cases for spec check ${c.name}`);
  for (const c of processChecks) t.true(covered.has(c.name), `no cases for process check ${c.name}`);
});

test('checks are named and ordered like runc: version and root first', (t) => {
  t.deepEqual(specChecks.slice(0, 3).map((c) => c.name), ['ociVersion', 'root', 'process']);
  t.is(new Set(specChecks.map((c) => c.name)).size, specChecks.length);
});

for (const [name, c] of Object.entries(cases)) {
  test(`check ${name}: passes`, (t) => {
    t.is(message(spec(c.pass)), undefined);
  });
  for (const [i, [patch, expected]] of c.fail.entries()) {
    test(`check ${name}: fails (${i + 1})`, (t) => {
      t.is(message(spec(patch)), expected);
    });
  }
}

test('process is optional unless the container is to be started', (t) => {
  const s = spec((x) => delete x.process);
  t.is(message(s, false), undefined);
  t.is(message(s, true), 'config.json: /process: is required to start a container');
});

test('checks can be skipped (schema only)', (t) => {
  const s: Spec = validateSpec(spec((x) => (x.ociVersion = '0.1.0')), 'config.json', { checks: false });
  t.is(s.ociVersion, '0.1.0');
});

test('the source name prefixes the message', (t) => {
  const err = t.throws(() => validateSpec(spec((x) => (x.process.cwd = 'x')), '/b/config.json'), { instanceOf: ConfigError });
  t.is(err!.message, '/b/config.json: /process/cwd: must be an absolute path (got "x")');
});

test('an exec --process file gets the process checks, with pointers relative to it', (t) => {
  t.notThrows(() => validateProcess({ cwd: '', args: ['sh'], user: { uid: 0, gid: 0 } }));
  const err = t.throws(() => validateProcess({ cwd: '/', args: ['sh'], capabilities: { bounding: ['CAP_NOPE'] } }), { instanceOf: ConfigError });
  t.is(err!.message, 'process.json: /capabilities/bounding/0: unknown capability "CAP_NOPE"');
  const err2 = t.throws(() => validateProcess({ cwd: '/', args: [] }, '/tmp/p.json'), { instanceOf: ConfigError });
  t.is(err2!.message, '/tmp/p.json: /args: must name the program to run (at least one entry)');
  const err3 = t.throws(() => validateProcess({ args: ['sh'] }), { instanceOf: ConfigError });
  t.is(err3!.message, 'process.json: /cwd: is required');
});
