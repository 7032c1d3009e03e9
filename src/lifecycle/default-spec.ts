/**
 * The config `tsrun spec` writes: runc's default (a `sh` in a busybox-style rootfs, the pid,
 * network, ipc, uts and mount namespaces, runc's capabilities, masked and read-only paths), so
 * that tools which append to runc's default (a namespace, a mount) get the same result. With
 * --hardened, tsrun's stricter default: a cgroup namespace too, no ambient capabilities, the
 * powercap files masked and the well-known default seccomp profile resolved for the
 * capabilities. With --rootless a user namespace mapping the caller's ids, no network
 * namespace, no devices rules and sysfs bound read-only.
 */
import { defaultSeccompProfile } from '../seccomp/default-profile.js';

export const OCI_VERSION = '1.3.0';

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];

/** Masked by --hardened too: RAPL energy counters are a side channel (CVE-2020-8694). */
const HARDENED_MASKED_PATHS = ['/sys/devices/virtual/powercap'];

const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface DefaultSpecOptions {
  rootless?: boolean;
  hardened?: boolean;
  uid?: number;
  gid?: number;
}

export function defaultSpec(opts: DefaultSpecOptions = {}): Record<string, unknown> {
  const mounts: Array<Record<string, unknown>> = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
  const namespaces = [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (opts.hardened) namespaces.push({ type: 'cgroup' });
  const linux: Record<string, unknown> = {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    namespaces,
    maskedPaths: opts.hardened ? [...MASKED_PATHS, ...HARDENED_MASKED_PATHS] : [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
  };
  if (opts.hardened) linux.seccomp = defaultSeccompProfile({ capabilities: DEFAULT_CAPS });
  const capabilities: Record<string, string[]> = { bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS] };
  if (!opts.hardened) capabilities.ambient = [...DEFAULT_CAPS];
  if (opts.rootless) {
    const uid = opts.uid ?? process.getuid?.() ?? 0;
    const gid = opts.gid ?? process.getgid?.() ?? 0;
    namespaces.splice(1, 1); // a rootless container cannot make a usable network namespace by itself
    namespaces.push({ type: 'user' });
    linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
    linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
    delete linux.resources;
    // No new sysfs outside a network namespace of one's own: bind the host's, read-only.
    mounts[5] = { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    mounts.splice(6, 1);
    // gid=5 does not exist in a one-id mapping.
    mounts[2]!.options = ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'];
  }
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities,
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'tsrun',
    mounts,
    linux,
  };
}
