/** Shapes shared by the plan builders. */
import type { Spec } from '../spec/index.js';
import type { PlanOp } from '../executor/protocol.js';

export type { Spec };
export type SpecLinux = NonNullable<Spec['linux']>;
export type SpecProcess = NonNullable<Spec['process']>;
export type SpecMount = NonNullable<Spec['mounts']>[number];
export type SpecNamespace = NonNullable<SpecLinux['namespaces']>[number];
export type SpecDevice = NonNullable<SpecLinux['devices']>[number];

/** A cgroup v1 hierarchy as a container sees it: bound at <mount dest>/<name> from hostPath. */
export interface CgroupMountSource {
  name: string;
  hostPath: string;
}

/** Everything besides config.json that decides the plan. */
export interface PlanContext {
  /** Absolute real path of the rootfs (symlinks resolved by the caller). */
  rootfs: string;
  /** Absolute bundle dir: relative bind sources are resolved against it. */
  bundle: string;
  /** The exec fifo (create blocks on it until start); absent for exec. */
  fifoPath?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  /**
   * Where the rootfs is bound in tsrun's own mount namespace when the config has none (the init
   * chroots there; delete detaches it). Used by such a config only.
   */
  chrootMount?: string;
  /** Count of fds from 3 up that the container inherits (--preserve-fds plus LISTEN_FDS). */
  extraFds: number;
  /** Sources for `cgroup` type mounts on a v1 host; undefined on a pure v2 host. */
  cgroupV1Mounts?: CgroupMountSource[];
  /** Name of the new session keyring the init joins (runc: the container id); absent with --no-new-keyring. */
  sessionKeyring?: string;
  /** A compiled seccomp filter (see src/seccomp) when linux.seccomp is set. */
  seccomp?: CompiledFilter;
  /**
   * The container's cgroup as the executor joins it itself (Op.JOIN_CGROUP): v1 `tasks` files and
   * the cgroup2 directory. Absent: tsrun puts the executor in its cgroup before sending the plan.
   */
  cgroupJoin?: CgroupJoin;
  /**
   * tsrun runs as root in the host user namespace: bind sources of a container with a user
   * namespace are cloned by a helper that stays in the host one (Op.SOURCE_HELPER), so its root
   * needs no access to them.
   */
  privileged?: boolean;
}

/** What Op.JOIN_CGROUP needs (CgroupManager.joinTargets()). */
export interface CgroupJoin {
  tasks: string[];
  unified?: string;
}

/** A seccomp filter compiled for the executor, and where its notify fd goes (SCMP_ACT_NOTIFY). */
export interface CompiledFilter {
  program: Uint8Array;
  flags: number;
  /** linux.seccomp.listenerPath, when a rule notifies: the executor connects there early. */
  listenerPath?: string;
}

export interface Plan {
  ops: PlanOp[];
  /** The executor joins the cgroup itself (first op): tsrun must not write its pid anywhere. */
  joinsCgroup?: boolean;
  /** Things the spec asks for that the kernel would refuse and that runc skips (logged at debug). */
  warnings: string[];
  /** Id maps tsrun writes when the executor asks (IDMAP_SYNC), as /proc/PID/{uid,gid}_map text. */
  idmap?: { uidMap: string; gidMap: string };
}
