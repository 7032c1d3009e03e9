/**
 * What the CRI tests and the pods bench both send: the pause image (built from test/cri/pause.c),
 * pod and container configs in CRI v1 terms, and the containerd settings of a CRI plugin with
 * one runc-v2 handler per runtime. No ava here: the bench imports it too.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_REF, buildImageArchive } from '../integration/managers/image.js';
import { type CriSettings, loopbackCniConfList } from '../support/containerd-config.js';

export { IMAGE_REF };
const REPO = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
export const PAUSE_BIN = join(REPO, 'build', 'tsrun-pause');
export const PAUSE_IMAGE = 'localhost/tsrun-pause:latest';
/** The containerd namespace of the CRI plugin's containers and images. */
export const CRI_NS = 'k8s.io';
export const CNI_BIN_DIR = '/usr/lib/cni';

/** The pause image's rootfs (the one static binary) as an image archive in `dir`. */
export function pauseArchive(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  copyFileSync(PAUSE_BIN, join(rootfs, 'pause'));
  return buildImageArchive(rootfs, dir, PAUSE_IMAGE, ['/pause']);
}

/**
 * The CRI settings of a private containerd in `dir`: a handler per runtime (name → binary, its
 * --root under `dir`), the loopback network (its config written to `<dir>/cni`), the pause image.
 */
export function criSettings(dir: string, runtimes: Array<{ name: string; bin: string }>, systemdCgroup = false): CriSettings {
  const cniConfDir = join(dir, 'cni');
  mkdirSync(cniConfDir, { recursive: true });
  writeFileSync(join(cniConfDir, '10-tsrun-loopback.conflist'), loopbackCniConfList('tsrun-cri-loopback'));
  return {
    sandboxImage: PAUSE_IMAGE,
    handlers: Object.fromEntries(runtimes.map((rt) => [rt.name, { binary: rt.bin, root: join(dir, `runc-root-${rt.name}`) }])),
    defaultHandler: runtimes[0].name,
    cniConfDir,
    cniBinDir: CNI_BIN_DIR,
    systemdCgroup,
  };
}

export interface PodOptions {
  hostname?: string;
  dns?: { servers?: string[]; searches?: string[]; options?: string[] };
  labels?: Record<string, string>;
  /** NamespaceOption of the pod (network, pid, ipc: 'POD' | 'CONTAINER' | 'NODE'). */
  namespaces?: Record<string, string>;
  sysctls?: Record<string, string>;
  privileged?: boolean;
}

/** A PodSandboxConfig: its name (unique), logs in `logDir`, its cgroups below `cgroupParent`. */
export function podConfig(name: string, logDir: string, cgroupParent: string, opts: PodOptions = {}) {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: 'tsrun-cri', attempt: 0 },
    hostname: opts.hostname ?? '',
    log_directory: logDir,
    dns_config: opts.dns,
    labels: opts.labels ?? {},
    linux: {
      cgroup_parent: cgroupParent,
      sysctls: opts.sysctls ?? {},
      security_context: { namespace_options: { network: 'POD', pid: 'POD', ipc: 'POD', ...opts.namespaces }, privileged: opts.privileged ?? false },
    },
  };
}

export interface ContainerOptions {
  command: string[];
  /** NamespaceOption of the container; pid defaults to CONTAINER, as the kubelet sends for v1 pods. */
  namespaces?: Record<string, string>;
  resources?: Record<string, unknown>;
  security?: Record<string, unknown>;
  mounts?: Array<Record<string, unknown>>;
  attempt?: number;
}

/** A busybox ContainerConfig; its log is `<name>-<attempt>.log` in the pod's log directory. */
export function containerConfig(name: string, o: ContainerOptions) {
  return {
    metadata: { name, attempt: o.attempt ?? 0 },
    image: { image: IMAGE_REF },
    command: o.command,
    log_path: `${name}-${o.attempt ?? 0}.log`,
    mounts: o.mounts ?? [],
    linux: {
      resources: o.resources,
      security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD', ...o.namespaces }, ...o.security },
    },
  };
}
