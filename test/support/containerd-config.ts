/**
 * The config.toml of a private containerd (tests and benchmarks): its own root, state, temp,
 * sockets and opt path under `dir`, unused plugins disabled; the CRI plugin too, unless `cri`
 * asks for it (criConfig says how it is set up).
 */
export function privateContainerdConfig(dir: string, address: string, logLevel: 'info' | 'debug', cri?: CriSettings): string {
  const disabled = [
    ...(cri ? [] : ['io.containerd.grpc.v1.cri']),
    'io.containerd.snapshotter.v1.aufs', 'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs',
    'io.containerd.snapshotter.v1.devmapper', 'io.containerd.tracing.processor.v1.otlp', 'io.containerd.internal.v1.tracing',
  ];
  return [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    `temp = "${dir}/tmp"`,
    `disabled_plugins = [${disabled.map((p) => `"${p}"`).join(', ')}]`,
    '[grpc]',
    `  address = "${address}"`,
    '[ttrpc]',
    `  address = "${address}.ttrpc"`,
    '[debug]',
    `  address = "${dir}/debug.sock"`,
    `  level = "${logLevel}"`,
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${dir}/opt"`,
    ...(cri ? criConfig(cri) : []),
    '',
  ].join('\n');
}

/** The CRI plugin's settings: one runtime handler per entry, named after it. */
export interface CriSettings {
  /** The pod sandbox image (already imported into the k8s.io namespace: nothing is pulled). */
  sandboxImage: string;
  /** Handler name → the runc-compatible binary the runc v2 shim runs, and its --root. */
  handlers: Record<string, { binary: string; root: string }>;
  /** The handler of a pod that names none. */
  defaultHandler: string;
  cniConfDir: string;
  cniBinDir: string;
  /** SystemdCgroup of every handler (cgroupfs when false). */
  systemdCgroup?: boolean;
}

/**
 * The CRI section. restrict_oom_score_adj: root without CAP_SYS_RESOURCE (a container host's
 * root often is) cannot give the pause process containerd's -998, and the pod would fail.
 */
function criConfig(c: CriSettings): string[] {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const handlers = Object.entries(c.handlers).flatMap(([name, h]) => [
    `[${cri}.containerd.runtimes.${name}]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.${name}.options]`,
    `  BinaryName = "${h.binary}"`,
    `  Root = "${h.root}"`,
    `  SystemdCgroup = ${c.systemdCgroup ? 'true' : 'false'}`,
  ]);
  return [
    `[${cri}]`,
    `  sandbox_image = "${c.sandboxImage}"`,
    '  restrict_oom_score_adj = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_selinux = false',
    `[${cri}.containerd]`,
    `  default_runtime_name = "${c.defaultHandler}"`,
    '  snapshotter = "overlayfs"',
    ...handlers,
    `[${cri}.cni]`,
    `  bin_dir = "${c.cniBinDir}"`,
    `  conf_dir = "${c.cniConfDir}"`,
    '  max_conf_num = 1',
  ];
}

/**
 * A CNI network that keeps a pod inside its own network namespace: `loopback` only. containerd
 * 1.6 wants an address on eth0 from the result ("failed to find network info for sandbox"), and
 * loopback passes a prevResult through unchanged, so the config carries one naming 127.0.0.1.
 * Pods get only `lo`.
 */
export function loopbackCniConfList(name: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name,
    plugins: [{
      type: 'loopback',
      prevResult: {
        cniVersion: '0.4.0',
        interfaces: [{ name: 'eth0' }],
        ips: [{ version: '4', address: '127.0.0.1/8', interface: 0 }],
      },
    }],
  }, null, 2);
}
