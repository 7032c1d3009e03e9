/**
 * Valid (and a few deliberately invalid) config.json documents the mutator starts from: the
 * runtime-spec's own fixtures, what `tsrun spec` writes (with and without --rootless), and
 * configs built here that use every part of the spec the loader, the planner, the seccomp
 * compiler and the cgroup managers read.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSpec } from '../../src/lifecycle/default-spec.js';
import { defaultSeccompProfile } from '../../src/seccomp/index.js';
import type { Json, JsonObject } from './json.js';

export interface Seed {
  name: string;
  doc: Json;
}

/** ../shared/oci/runtime-spec/test/config next to the repository (dist/test/fuzz -> repo). */
export function fixtureDir(): string {
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  return join(repo, '..', 'shared', 'oci', 'runtime-spec', 'test', 'config');
}

function fixtures(verdict: 'good' | 'bad'): Seed[] {
  const dir = join(fixtureDir(), verdict);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      try {
        return [{ name: `runtime-spec ${verdict}/${f}`, doc: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json }];
      } catch {
        return []; // a bad fixture that is not even JSON: nothing to mutate
      }
    });
}

const ALL_NS = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'].map((type) => ({ type }));
const PROCESS: JsonObject = {
  terminal: false,
  user: { uid: 1000, gid: 1000, umask: 18, additionalGids: [5, 10, 4294967294] },
  args: ['/bin/echo', 'hello', ''],
  env: ['PATH=/usr/bin:/bin', 'HOME=/root', 'EMPTY='],
  cwd: '/home/user',
  capabilities: {
    bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN'],
    effective: ['CAP_KILL', 'CAP_CHOWN'],
    permitted: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_BIND_SERVICE'],
    inheritable: ['CAP_KILL'],
    ambient: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
  },
  rlimits: [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
    { type: 'RLIMIT_CORE', soft: 0, hard: 18446744073709551615 },
  ],
  noNewPrivileges: true,
  oomScoreAdj: -500,
  apparmorProfile: 'unconfined',
  selinuxLabel: 'system_u:system_r:container_t:s0',
  consoleSize: { height: 24, width: 80 },
  scheduler: { policy: 'SCHED_OTHER', nice: 5 },
  ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 },
  execCPUAffinity: { initial: '0-1', final: '0' },
};

const SMALL_SECCOMP: JsonObject = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
  syscalls: [
    { names: ['read', 'write', 'exit', 'exit_group', 'execve', 'brk', 'mmap', 'openat', 'close'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }] },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    { names: ['ptrace', 'not_a_syscall_at_all'], action: 'SCMP_ACT_KILL_PROCESS' },
    { names: ['getpid'], action: 'SCMP_ACT_TRACE', errnoRet: 1 },
    { names: ['getppid'], action: 'SCMP_ACT_LOG' },
  ],
};

const NOTIFY_SECCOMP: JsonObject = {
  defaultAction: 'SCMP_ACT_ALLOW',
  listenerPath: '/run/listener.sock',
  listenerMetadata: 'meta',
  flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
  syscalls: [
    { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' },
    { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }, { index: 5, value: 1, op: 'SCMP_CMP_GT' }] },
  ],
};

const RESOURCES_V2: JsonObject = {
  devices: [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
    { allow: true, type: 'b', major: 8, access: 'r' },
    { allow: true, type: 'a' },
  ],
  memory: { limit: 268435456, reservation: 134217728, swap: 536870912, useHierarchy: true, checkBeforeUpdate: true },
  cpu: { shares: 512, quota: 50000, burst: 10000, period: 100000, cpus: '0-1', mems: '0', idle: 0 },
  pids: { limit: 64 },
  blockIO: {
    weight: 500,
    weightDevice: [{ major: 8, minor: 0, weight: 300 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
  unified: { 'cpu.weight': '50', 'io.max': '8:16 rbps=1\n8:16 wbps=2', 'pids.max': '10' },
};

const RESOURCES_V1: JsonObject = {
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
  memory: { limit: -1, reservation: 1048576, swap: -1, kernel: -1, kernelTCP: 1048576, swappiness: 60, disableOOMKiller: false },
  cpu: { shares: 1024, quota: -1, period: 100000, realtimeRuntime: 0, realtimePeriod: 1000000, cpus: '0', mems: '0' },
  pids: { limit: -1 },
  blockIO: { weight: 10, leafWeight: 10, weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 300 }] },
  network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }, { name: 'lo', priority: 1000 }] },
};

/** Everything: seccomp, resources, devices, hooks, mounts of each kind, user namespace, time namespace. */
function kitchenSink(): JsonObject {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs', readonly: true },
    hostname: 'fuzz',
    domainname: 'example.org',
    annotations: { 'org.example.key': 'value', 'com.example/x': '' },
    process: structuredClone(PROCESS),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      { destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro', 'nosuid', 'rprivate'] },
      { destination: '/etc/resolv.conf', source: '/etc/resolv.conf', options: ['bind', 'ro'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'shared', 'noatime'] },
      { destination: '/mapped', type: 'bind', source: '/srv', options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] },
    ],
    hooks: {
      prestart: [{ path: '/usr/bin/hook', args: ['hook', 'prestart'], env: ['A=1'] }],
      createRuntime: [{ path: '/usr/bin/hook', args: ['hook', 'createRuntime'], timeout: 5 }],
      createContainer: [{ path: '/usr/bin/hook' }],
      startContainer: [{ path: '/bin/true' }],
      poststart: [{ path: '/usr/bin/hook', timeout: 2147483647 }],
      poststop: [{ path: '/usr/bin/hook', args: [] }],
    },
    linux: {
      namespaces: [...ALL_NS, { type: 'user' }, { type: 'time' }],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 4294967294, size: 1 }],
      timeOffsets: { monotonic: { secs: -3600, nanosecs: 5 }, boottime: { secs: 9223372036854775807 } },
      devices: [
        { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 },
        { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 432 },
        { path: '/dev/fifo', type: 'p' },
        { path: '/dev/null', type: 'u', major: 1, minor: 3, fileMode: 4095 },
      ],
      cgroupsPath: '/fuzz/c1',
      resources: structuredClone(RESOURCES_V2),
      sysctl: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '4096', 'kernel/domainname': 'x' },
      seccomp: structuredClone(SMALL_SECCOMP),
      rootfsPropagation: 'slave',
      maskedPaths: ['/proc/kcore', '/sys/firmware'],
      readonlyPaths: ['/proc/sys', '/proc/bus'],
      mountLabel: 'system_u:object_r:container_file_t:s0',
      personality: { domain: 'LINUX', flags: [] },
      memoryPolicy: { mode: 'MPOL_BIND', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] },
      intelRdt: { closID: 'guaranteed', l3CacheSchema: 'L3:0=ff', memBwSchema: 'MB:0=50', enableMonitoring: true },
      netDevices: { eth1: { name: 'net0' }, dummy0: {} },
    },
  };
}

function minimal(extra: (s: JsonObject & { linux: JsonObject; process: JsonObject }) => void): JsonObject {
  const s = {
    ociVersion: '1.0.2',
    root: { path: '/var/lib/rootfs' },
    process: { cwd: '/', args: ['sh'] } as JsonObject,
    linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }] } as JsonObject,
  };
  extra(s);
  return s;
}

/** The seeds, each a document the mutator copies before changing it. */
export function seeds(): Seed[] {
  const out: Seed[] = [
    { name: 'tsrun spec', doc: defaultSpec({ hardened: true }) as Json },
    { name: 'tsrun spec --rootless', doc: defaultSpec({ rootless: true, hardened: true, uid: 1000, gid: 1000 }) as Json },
    { name: 'kitchen sink', doc: kitchenSink() },
    {
      name: 'tsrun spec + default seccomp profile',
      doc: (() => {
        const s = defaultSpec({ hardened: true }) as JsonObject & { linux: JsonObject };
        s.linux.seccomp = defaultSeccompProfile() as unknown as Json;
        return s;
      })(),
    },
    {
      name: 'resources v1',
      doc: minimal((s) => {
        s.linux.resources = structuredClone(RESOURCES_V1);
        s.linux.cgroupsPath = 'relative/path';
      }),
    },
    {
      name: 'resources v2',
      doc: minimal((s) => {
        s.linux.resources = structuredClone(RESOURCES_V2);
      }),
    },
    {
      name: 'seccomp notify',
      doc: minimal((s) => {
        s.linux.seccomp = structuredClone(NOTIFY_SECCOMP);
      }),
    },
    {
      name: 'seccomp small',
      doc: minimal((s) => {
        s.linux.seccomp = structuredClone(SMALL_SECCOMP);
        s.process.noNewPrivileges = false;
      }),
    },
    {
      name: 'joined namespaces',
      doc: minimal((s) => {
        s.linux.namespaces = [
          { type: 'user', path: '/proc/1/ns/user' },
          { type: 'network', path: '/var/run/netns/fuzz' },
          { type: 'ipc', path: '/proc/1/ns/ipc' },
          { type: 'mount' },
          { type: 'uts' },
          { type: 'cgroup', path: '/proc/1/ns/cgroup' },
        ];
        s.hostname = 'joined';
      }),
    },
    {
      name: 'user namespace, many mappings',
      doc: minimal((s) => {
        s.linux.namespaces = [{ type: 'user' }, { type: 'mount' }, { type: 'pid' }, { type: 'ipc' }];
        s.linux.uidMappings = [
          { containerID: 0, hostID: 1000, size: 1 },
          { containerID: 1, hostID: 100000, size: 65535 },
        ];
        s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
        s.process.user = { uid: 1, gid: 0, additionalGids: [] };
        s.linux.sysctl = { 'fs.mqueue.msg_max': '100' };
      }),
    },
    {
      name: 'devices and mounts',
      doc: minimal((s) => {
        s.mounts = [
          { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind', 'rslave'] },
          { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro', 'nosuid', 'nodev', 'noexec'] },
          { destination: '/mnt/x', source: 'relative/dir', options: ['bind', 'rw', 'runbindable'] },
          { destination: '/t', type: 'tmpfs' },
        ];
        s.linux.devices = [{ path: '/dev/kvm', type: 'c', major: 10, minor: 232 }, { path: '/dev/loop0', type: 'b', major: 7, minor: 0, uid: 1, gid: 2 }];
        s.linux.rootfsPropagation = 'private';
      }),
    },
    {
      name: 'devices made by mknod',
      doc: minimal((s) => {
        s.mounts = [{ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] }];
        s.linux.devices = [
          { path: '/dev/kvm', type: 'c', major: 10, minor: 232, fileMode: 432, uid: 0, gid: 36 },
          { path: '/dev/loop0', type: 'b', major: 7, minor: 0 },
          { path: '/dev/initctl', type: 'p' },
          { path: '/dev/null', type: 'u', major: 1, minor: 3, fileMode: 511 },
        ];
        s.linux.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 232, access: 'rwm' }] };
        s.linux.namespaces = [{ type: 'mount' }, { type: 'pid' }, { type: 'uts' }, { type: 'ipc' }];
        s.hostname = 'mknod';
      }),
    },
    {
      name: 'id-mapped mounts',
      doc: minimal((s) => {
        s.linux.namespaces = [{ type: 'user' }, { type: 'mount' }, { type: 'pid' }];
        s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.mounts = [
          { destination: '/a', type: 'bind', source: '/srv/a', options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] },
          { destination: '/b', source: 'b', options: ['bind', 'idmap'] },
          { destination: '/c', type: 'bind', source: '/srv/c', options: ['rbind', 'ridmap', 'ro'] },
          { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['newinstance', 'uid=0', 'gid=5', 'mode=620'] },
        ];
      }),
    },
    {
      name: 'hooks',
      doc: minimal((s) => {
        s.hooks = {
          createRuntime: [{ path: '/bin/hook-a', args: ['a', '--flag'], env: ['X=1'], timeout: 1 }, { path: '/bin/hook-b' }],
          startContainer: [{ path: '/bin/hook-c' }],
          poststop: [{ path: '/bin/hook-d' }],
          unknownPhase: [{ path: 'relative-is-ignored' }],
        };
      }),
    },
    {
      name: 'scheduler realtime, memory policy',
      doc: minimal((s) => {
        s.process.scheduler = { policy: 'SCHED_FIFO', priority: 50, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
        s.process.terminal = true;
        s.process.consoleSize = { height: 0, width: 18446744073709551615 };
        s.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0,2-3' };
      }),
    },
  ];
  for (const f of fixtures('good')) out.push(f);
  // The bad fixtures fail validation; mutations may even make them valid.
  for (const f of fixtures('bad')) out.push(f);
  return out;
}
