/**
 * Semantic checks that a schema cannot express, run in order after schema validation, as
 * runc's libcontainer/configs/validate does. Each check is named and returns one line,
 * `<JSON pointer>: <reason>`, or undefined when the config passes it; the caller prefixes the
 * source file name. Checks may assume the document passed the schema.
 */
import { ConfigError } from '../errors.js';
import { oneLine } from './text.js';
import type { LinuxNamespaceType, Process, Spec } from './types.generated.js';

export interface CheckOptions {
  /** The container is going to be started (create/run): `process` is then required. */
  forStart?: boolean;
  /**
   * The JSON text had no `\u0000` escape, the only way JSON can hold a NUL: the NUL walk over
   * every string is skipped (it was a third of the checks' time on a cold start).
   */
  noNulInText?: boolean;
}

export interface SpecCheck {
  name: string;
  check(spec: Spec, opts?: CheckOptions): string | undefined;
}

export interface ProcessCheckOptions {
  /** JSON pointer of the process object: '/process' in config.json, '' in a --process file. */
  at: string;
  /** An exec --process file may leave cwd empty (the container's cwd is used). */
  allowEmptyCwd?: boolean;
  /** As CheckOptions.noNulInText. */
  noNulInText?: boolean;
}

export interface ProcessCheck {
  name: string;
  check(proc: Process, opts: ProcessCheckOptions): string | undefined;
}

/** Linux capabilities by name, with their numbers (linux/capability.h), up to CAP_LAST_CAP 40. */
export const CAPABILITIES: Readonly<Record<string, number>> = Object.freeze({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
});

const CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

/** The hook phases, in the order they run. */
export const HOOK_PHASES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

// ---- helpers ----

function isAbs(p: string): boolean {
  return p.startsWith('/');
}

function hasDotDot(p: string): boolean {
  return p.split('/').includes('..');
}

/** A JSON pointer token for an object key. */
function tok(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function q(s: string): string {
  return JSON.stringify(s);
}

function namespace(spec: Spec, type: LinuxNamespaceType) {
  return spec.linux?.namespaces?.find((n) => n.type === type);
}

/** Linux interface names (IFNAMSIZ 16, as runc's isValidName). */
function validIfName(n: string): boolean {
  return n.length > 0 && n.length < 16 && n !== '.' && n !== '..' && !/[/:\s]/.test(n);
}

/**
 * The first string with a NUL byte among the fields `patterns` name, as a JSON pointer. A
 * pattern is a path of property names where `*` is every element (or every value of a map) and
 * a final `~` every key of a map. Only fields tsrun passes on are named: a C string ends at the
 * first NUL, so "sh\0x" would silently become "sh"; unknown fields stay ignored.
 */
function findNul(root: unknown, patterns: readonly string[], at: string): string | undefined {
  const walk = (v: unknown, parts: readonly string[], ptr: string): string | undefined => {
    if (parts.length === 0) return typeof v === 'string' && v.includes('\0') ? `${ptr}: must not contain a NUL byte` : undefined;
    if (v === null || typeof v !== 'object') return undefined;
    const [head, ...rest] = parts as [string, ...string[]];
    if (head === '~') {
      for (const k of Object.keys(v)) if (k.includes('\0')) return `${ptr}/${tok(k)}: the name must not contain a NUL byte`;
      return undefined;
    }
    if (head === '*') {
      const entries = Array.isArray(v) ? v.map((e, i) => [String(i), e] as const) : Object.entries(v);
      for (const [k, e] of entries) {
        const m = walk(e, rest, `${ptr}/${tok(k)}`);
        if (m) return m;
      }
      return undefined;
    }
    return Object.hasOwn(v, head) ? walk((v as Record<string, unknown>)[head], rest, `${ptr}/${head}`) : undefined;
  };
  for (const p of patterns) {
    const m = walk(root, p.split('/'), at);
    if (m) return m;
  }
  return undefined;
}

/** Strings of a process that reach execve, chdir or the LSM. */
const PROCESS_STRINGS = ['cwd', 'args/*', 'env/*', 'apparmorProfile', 'selinuxLabel', 'user/username'];

/** Strings of config.json (besides process) that reach a system call, a file name or a file. */
const SPEC_STRINGS = [
  'root/path', 'hostname', 'domainname',
  'mounts/*/destination', 'mounts/*/source', 'mounts/*/type', 'mounts/*/options/*',
  ...HOOK_PHASES.flatMap((p) => [`hooks/${p}/*/path`, `hooks/${p}/*/args/*`, `hooks/${p}/*/env/*`]),
  'linux/namespaces/*/path', 'linux/devices/*/path', 'linux/sysctl/~', 'linux/sysctl/*', 'linux/maskedPaths/*',
  'linux/readonlyPaths/*', 'linux/cgroupsPath', 'linux/mountLabel', 'linux/personality/flags/*',
  'linux/resources/cpu/cpus', 'linux/resources/cpu/mems', 'linux/resources/unified/~', 'linux/resources/unified/*',
  'linux/resources/rdma/~', 'linux/resources/network/priorities/*/name',
  'linux/seccomp/syscalls/*/names/*', 'linux/seccomp/listenerPath', 'linux/seccomp/listenerMetadata',
  'linux/netDevices/~', 'linux/netDevices/*/name', 'linux/intelRdt/closID', 'linux/intelRdt/schemata/*',
  'linux/intelRdt/l3CacheSchema', 'linux/intelRdt/memBwSchema',
];

/** One name in a directory (a cgroup file, a device): no slash, space or control character, NAME_MAX bytes. */
function validFileName(n: string): boolean {
  // eslint-disable-next-line no-control-regex
  return n !== '' && n !== '.' && n !== '..' && !/[/\s\u0000-\u001f\u007f]/.test(n) && Buffer.byteLength(n) <= 255;
}

const NODE_LIST = /^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/;

// ---- process checks (config.json's process and exec --process files) ----

export const processChecks: readonly ProcessCheck[] = [
  {
    name: 'args',
    check: (p, { at }) =>
      !p.args?.length ? `${at}/args: must name the program to run (at least one entry)` : undefined,
  },
  {
    name: 'cwd',
    check: (p, { at, allowEmptyCwd }) => {
      if (p.cwd === '' && allowEmptyCwd) return undefined;
      if (!isAbs(p.cwd)) return `${at}/cwd: must be an absolute path (got ${q(p.cwd)})`;
      return undefined;
    },
  },
  {
    name: 'capabilities',
    check: (p, { at }) => {
      for (const set of CAP_SETS) {
        const caps = p.capabilities?.[set] ?? [];
        for (let i = 0; i < caps.length; i++) {
          if (!Object.hasOwn(CAPABILITIES, caps[i]!)) {
            return `${at}/capabilities/${set}/${i}: unknown capability ${q(caps[i]!)}`;
          }
        }
      }
      return undefined;
    },
  },
  {
    name: 'rlimits',
    check: (p, { at }) => {
      const seen = new Set<string>();
      for (const [i, r] of (p.rlimits ?? []).entries()) {
        if (seen.has(r.type)) return `${at}/rlimits/${i}/type: ${r.type} is set more than once`;
        seen.add(r.type);
        if (r.soft > r.hard) return `${at}/rlimits/${i}: soft limit ${r.soft} is above the hard limit ${r.hard}`;
      }
      return undefined;
    },
  },
  {
    // struct winsize has 16-bit rows and columns.
    name: 'consoleSize',
    check: (p, { at }) => {
      for (const f of ['height', 'width'] as const) {
        const n = p.consoleSize?.[f];
        if (n !== undefined && n > 0xffff) return `${at}/consoleSize/${f}: must be at most 65535 (got ${n})`;
      }
      return undefined;
    },
  },
  {
    name: 'scheduler',
    check: (p, { at }) => {
      const s = p.scheduler;
      if (!s) return undefined;
      if (s.nice !== undefined && (s.nice < -20 || s.nice > 19)) {
        return `${at}/scheduler/nice: must be between -20 and 19 (got ${s.nice})`;
      }
      const realtime = s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR';
      if (realtime && !(s.priority !== undefined && s.priority >= 1 && s.priority <= 99)) {
        return `${at}/scheduler/priority: ${s.policy} needs a priority between 1 and 99`;
      }
      if (!realtime && s.priority) return `${at}/scheduler/priority: only SCHED_FIFO and SCHED_RR take a priority`;
      if (s.policy !== 'SCHED_DEADLINE') {
        for (const f of ['runtime', 'deadline', 'period'] as const) {
          if (s[f]) return `${at}/scheduler/${f}: only SCHED_DEADLINE takes ${f}`;
        }
      }
      return undefined;
    },
  },
  {
    // Last: the other checks' messages are more specific (and escape the NUL too).
    name: 'nulBytes',
    check: (p, { at, noNulInText }) => (noNulInText ? undefined : findNul(p, PROCESS_STRINGS, at)),
  },
];

function runProcessChecks(p: Process, opts: ProcessCheckOptions): string | undefined {
  for (const c of processChecks) {
    const msg = c.check(p, opts);
    if (msg) return msg;
  }
  return undefined;
}

// ---- config.json checks ----

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

export const specChecks: readonly SpecCheck[] = [
  {
    name: 'ociVersion',
    check: (spec) => {
      const m = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:[-+].*)?$/.exec(spec.ociVersion);
      if (!m) return `/ociVersion: must be a SemVer version such as 1.2.0 (got ${q(spec.ociVersion)})`;
      if (m[1] !== '1') return `/ociVersion: version ${q(spec.ociVersion)} is not supported (tsrun reads 1.x)`;
      return undefined;
    },
  },
  {
    name: 'root',
    check: (spec) => {
      if (!spec.root) return '/root: is required on Linux';
      if (spec.root.path === '') return '/root/path: must not be empty';
      return undefined;
    },
  },
  {
    name: 'process',
    check: (spec, opts) => {
      if (!spec.process) return opts?.forStart ? '/process: is required to start a container' : undefined;
      return runProcessChecks(spec.process, { at: '/process', noNulInText: opts?.noNulInText });
    },
  },
  {
    name: 'namespaces',
    check: (spec) => {
      const seen = new Set<string>();
      for (const [i, ns] of (spec.linux?.namespaces ?? []).entries()) {
        if (seen.has(ns.type)) return `/linux/namespaces/${i}/type: namespace ${q(ns.type)} is listed more than once`;
        seen.add(ns.type);
        if (ns.path !== undefined && !isAbs(ns.path)) {
          return `/linux/namespaces/${i}/path: must be an absolute path (got ${q(ns.path)})`;
        }
      }
      return undefined;
    },
  },
  {
    name: 'userns',
    check: (spec) => {
      const userns = namespace(spec, 'user');
      const uid = spec.linux?.uidMappings ?? [];
      const gid = spec.linux?.gidMappings ?? [];
      if (!userns) {
        if (uid.length) return '/linux/uidMappings: needs a user namespace in /linux/namespaces';
        if (gid.length) return '/linux/gidMappings: needs a user namespace in /linux/namespaces';
        return undefined;
      }
      if (userns.path === undefined) {
        if (!uid.length) return '/linux/uidMappings: a new user namespace needs uid mappings';
        if (!gid.length) return '/linux/gidMappings: a new user namespace needs gid mappings';
      }
      for (const [name, maps] of [['uidMappings', uid], ['gidMappings', gid]] as const) {
        for (const [i, m] of maps.entries()) {
          if (m.size === 0) return `/linux/${name}/${i}/size: must be at least 1`;
        }
      }
      return undefined;
    },
  },
  {
    name: 'uts',
    check: (spec) => {
      if (namespace(spec, 'uts')) return undefined;
      if (spec.hostname) return '/hostname: needs a uts namespace in /linux/namespaces';
      if (spec.domainname) return '/domainname: needs a uts namespace in /linux/namespaces';
      return undefined;
    },
  },
  {
    name: 'timens',
    check: (spec) => {
      if (!spec.linux?.timeOffsets) return undefined;
      const timens = namespace(spec, 'time');
      if (!timens) return '/linux/timeOffsets: needs a time namespace in /linux/namespaces';
      if (timens.path !== undefined) return '/linux/timeOffsets: cannot be set when joining a time namespace by path';
      return undefined;
    },
  },
  {
    // As runc: only namespaced sysctls, each with its namespace.
    name: 'sysctl',
    check: (spec) => {
      for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
        const s = key.includes('.') ? key : key.replace(/\//g, '.');
        const at = `/linux/sysctl/${tok(key)}`;
        if (IPC_SYSCTLS.has(s) || s.startsWith('fs.mqueue.')) {
          if (namespace(spec, 'ipc')) continue;
          return `${at}: not allowed in the host's ipc namespace (add an ipc namespace)`;
        }
        if (s.startsWith('net.')) {
          if (namespace(spec, 'network')) continue;
          return `${at}: not allowed in the host's network namespace (add a network namespace)`;
        }
        if (namespace(spec, 'uts')) {
          if (s === 'kernel.domainname') continue;
          if (s === 'kernel.hostname') return `${at}: not allowed, use /hostname`;
        }
        return `${at}: not a namespaced sysctl (tsrun only sets those of the container's own namespaces)`;
      }
      return undefined;
    },
  },
  {
    name: 'netDevices',
    check: (spec) => {
      const devs = spec.linux?.netDevices;
      if (!devs || !Object.keys(devs).length) return undefined;
      if (!namespace(spec, 'network')) return '/linux/netDevices: needs a network namespace in /linux/namespaces';
      const names = new Set<string>();
      for (const [host, dev] of Object.entries(devs)) {
        const at = `/linux/netDevices/${tok(host)}`;
        if (!validIfName(host)) return `${at}: ${q(host)} is not a valid interface name`;
        const name = dev?.name || host;
        if (!validIfName(name)) return `${at}/name: ${q(name)} is not a valid interface name`;
        if (names.has(name)) return `${at}/name: interface name ${q(name)} is used twice`;
        names.add(name);
      }
      return undefined;
    },
  },
  {
    name: 'mounts',
    check: (spec) => {
      for (const [i, m] of (spec.mounts ?? []).entries()) {
        if (!isAbs(m.destination)) return `/mounts/${i}/destination: must be an absolute path (got ${q(m.destination)})`;
        if (hasDotDot(m.destination)) return `/mounts/${i}/destination: must not contain ".." (got ${q(m.destination)})`;
        // A file system type is a short name ("tmpfs", "fuse.sshfs"); the planner quotes it in messages.
        if (m.type !== undefined && m.type !== '' && !validFileName(m.type)) return `/mounts/${i}/type: ${q(m.type)} is not a file system type`;
        if (!!m.uidMappings?.length !== !!m.gidMappings?.length) {
          return `/mounts/${i}/${m.uidMappings?.length ? 'gidMappings' : 'uidMappings'}: an id-mapped mount needs both uidMappings and gidMappings`;
        }
      }
      return undefined;
    },
  },
  {
    name: 'maskedPaths',
    check: (spec) => {
      for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
        for (const [i, p] of (spec.linux?.[key] ?? []).entries()) {
          if (!isAbs(p) || hasDotDot(p)) return `/linux/${key}/${i}: must be an absolute path without ".." (got ${q(p)})`;
        }
      }
      return undefined;
    },
  },
  {
    name: 'devices',
    check: (spec) => {
      for (const [i, d] of (spec.linux?.devices ?? []).entries()) {
        const at = `/linux/devices/${i}`;
        if (!['c', 'b', 'u', 'p'].includes(d.type)) return `${at}/type: must be one of c, b, u, p (got ${q(String(d.type))})`;
        if (d.type !== 'p') {
          if (d.major === undefined) return `${at}/major: is required for a device of type ${d.type}`;
          if (d.minor === undefined) return `${at}/minor: is required for a device of type ${d.type}`;
        }
        // mknod's makedev takes unsigned 32-bit numbers (the schema allows any int64).
        for (const f of ['major', 'minor'] as const) {
          const n = d[f];
          if (n !== undefined && (n < 0 || n > 0xffffffff)) return `${at}/${f}: must be between 0 and 4294967295 (got ${n})`;
        }
        if (!isAbs(d.path) || hasDotDot(d.path)) return `${at}/path: must be an absolute path without ".." (got ${q(d.path)})`;
        if (!d.path.startsWith('/dev/')) return `${at}/path: must be under /dev (got ${q(d.path)})`;
      }
      return undefined;
    },
  },
  {
    name: 'cgroupsPath',
    check: (spec) => {
      const p = spec.linux?.cgroupsPath;
      if (!p) return undefined;
      const at = '/linux/cgroupsPath';
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f]/.test(p)) return `${at}: must not contain control characters`;
      // NAME_MAX and PATH_MAX: the kernel would refuse the mkdir (ENAMETOOLONG).
      if (p.split(/[/:]/).some((c) => Buffer.byteLength(c) > 255)) return `${at}: a name in the path is longer than 255 bytes`;
      if (Buffer.byteLength(p) > 3072) return `${at}: longer than 3072 bytes`;
      if (p.includes(':')) {
        // systemd: slice:prefix:name (runc's form)
        const parts = p.split(':');
        const [slice, prefix, name] = parts as [string, string, string];
        if (parts.length !== 3 || !name || slice.includes('/') || prefix.includes('/') || name.includes('/')) {
          return `${at}: must be a cgroup path or slice:prefix:name (got ${q(p)})`;
        }
        if (slice && !slice.endsWith('.slice')) return `${at}: systemd slice ${q(slice)} must end in .slice`;
        return undefined;
      }
      if (hasDotDot(p)) return `${at}: must not contain ".." (got ${q(p)})`;
      return undefined;
    },
  },
  {
    // What the cgroup managers turn into file names and lines of cgroup files.
    name: 'resources',
    check: (spec) => {
      const r = spec.linux?.resources;
      if (!r) return undefined;
      const at = '/linux/resources';
      for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
        if (h.pageSize.length > 24) return `${at}/hugepageLimits/${i}/pageSize: ${q(h.pageSize)} is not a huge page size`;
      }
      for (const key of Object.keys(r.unified ?? {})) {
        if (!validFileName(key)) return `${at}/unified/${tok(key)}: not a cgroup file name`;
      }
      for (const name of Object.keys(r.rdma ?? {})) {
        if (!validFileName(name)) return `${at}/rdma/${tok(name)}: ${q(name)} is not an RDMA device name`;
      }
      for (const [i, p] of (r.network?.priorities ?? []).entries()) {
        if (!validIfName(p.name)) return `${at}/network/priorities/${i}/name: ${q(p.name)} is not a valid interface name`;
      }
      return undefined;
    },
  },
  {
    name: 'seccomp',
    check: (spec) => {
      const sc = spec.linux?.seccomp;
      if (!sc) return undefined;
      const at = '/linux/seccomp';
      const errnoActions = ['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'];
      if (sc.defaultAction === 'SCMP_ACT_NOTIFY') return `${at}/defaultAction: SCMP_ACT_NOTIFY cannot be the default action`;
      if (sc.defaultErrnoRet !== undefined && !errnoActions.includes(sc.defaultAction)) {
        return `${at}/defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (defaultAction is ${sc.defaultAction})`;
      }
      for (const [i, call] of (sc.syscalls ?? []).entries()) {
        for (const [j, name] of call.names.entries()) {
          if (!name) return `${at}/syscalls/${i}/names/${j}: syscall name must not be empty`;
          if (call.action === 'SCMP_ACT_NOTIFY' && name === 'write') {
            return `${at}/syscalls/${i}/names/${j}: SCMP_ACT_NOTIFY cannot be used for write`;
          }
        }
        if (call.errnoRet !== undefined && !errnoActions.includes(call.action)) {
          return `${at}/syscalls/${i}/errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is ${call.action})`;
        }
        if (call.action === 'SCMP_ACT_NOTIFY' && !sc.listenerPath) {
          return `${at}/listenerPath: is required when a syscall uses SCMP_ACT_NOTIFY (/linux/seccomp/syscalls/${i})`;
        }
      }
      return undefined;
    },
  },
  {
    name: 'memoryPolicy',
    check: (spec) => {
      const mp = spec.linux?.memoryPolicy;
      if (!mp) return undefined;
      const at = '/linux/memoryPolicy';
      if (mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL') {
        if (mp.nodes) return `${at}/nodes: must be empty for ${mp.mode}`;
      } else if (mp.mode !== 'MPOL_PREFERRED' && !mp.nodes) {
        return `${at}/nodes: is required for ${mp.mode}`;
      }
      if (mp.nodes && !NODE_LIST.test(mp.nodes)) return `${at}/nodes: must be a node list such as 0-3,7 (got ${q(mp.nodes)})`;
      const flags = mp.flags ?? [];
      if (flags.includes('MPOL_F_STATIC_NODES') && flags.includes('MPOL_F_RELATIVE_NODES')) {
        return `${at}/flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other`;
      }
      return undefined;
    },
  },
  {
    name: 'intelRdt',
    check: (spec) => {
      const id = spec.linux?.intelRdt?.closID;
      if (id === undefined) return undefined;
      if (!id || id === '.' || id === '..' || /[/\s]/.test(id)) return `/linux/intelRdt/closID: ${q(id)} is not a valid resctrl group name`;
      return undefined;
    },
  },
  {
    name: 'hooks',
    check: (spec) => {
      // Only the known phases: hooks is an open object, unknown members are ignored.
      for (const phase of HOOK_PHASES) {
        for (const [i, h] of (spec.hooks?.[phase] ?? []).entries()) {
          if (!isAbs(h.path)) return `/hooks/${phase}/${i}/path: must be an absolute path (got ${q(h.path)})`;
        }
      }
      return undefined;
    },
  },
  {
    // Last: the other checks' messages are more specific (and escape the NUL too).
    name: 'nulBytes',
    check: (spec, opts) => (opts?.noNulInText ? undefined : findNul(spec, SPEC_STRINGS, '')),
  },
];

/** A message for the ConfigError: source prefix, and never more than one line. */
function line(source: string, msg: string): string {
  return oneLine(`${source}: ${msg}`, 600);
}

/** Runs every spec check in order; throws ConfigError with the first failure. */
export function checkSpec(spec: Spec, source = 'config.json', opts: CheckOptions = {}): void {
  for (const c of specChecks) {
    const msg = c.check(spec, opts);
    if (msg) throw new ConfigError(line(source, msg));
  }
}

/** Runs the process checks on an exec --process object; throws ConfigError with the first failure. */
export function checkProcess(proc: Process, source = 'process.json', noNulInText = false): void {
  const msg = runProcessChecks(proc, { at: '', allowEmptyCwd: true, noNulInText });
  if (msg) throw new ConfigError(line(source, msg));
}
