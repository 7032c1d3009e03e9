/**
 * The config.toml of a private containerd (tests and benchmarks): its own root, state, temp,
 * sockets and opt path under `dir`, the CRI and unused plugins disabled.
 */
export function privateContainerdConfig(dir: string, address: string, logLevel: 'info' | 'debug'): string {
  return [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    `temp = "${dir}/tmp"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
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
    '',
  ].join('\n');
}
