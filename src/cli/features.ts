import { OCI_VERSION } from '../lifecycle/default-spec.js';
import { CAPABILITIES } from '../plan/linux-constants.js';
import { supportedMountOptions } from '../plan/mount-options.js';
import { NAMESPACE_FLAGS } from '../plan/namespaces.js';
import type { TsrunCommand } from './command.js';
import { seccompFeatures } from '../seccomp/index.js';
import { writeOut } from '../sys/fdio.js';

/** What this build of tsrun really does: clients (containerd, CRI) enable features from this. */
export function features(opts: { idmap?: boolean } = {}): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'poststart', 'poststop'],
    mountOptions: supportedMountOptions({ idmap: opts.idmap === true }),
    linux: {
      namespaces: Object.keys(NAMESPACE_FLAGS).sort(),
      capabilities: [...CAPABILITIES],
      // systemd: the transient-scope driver (--systemd-cgroup), tested against systemd 252 in the VM;
      // systemdUser stays false until a rootless run against a user's systemd is tested.
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: false },
      seccomp: seccompFeatures(),
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      // Measured by run() (lifecycle/rootless.ts idmapMountsWork): root, mount_setattr, a filesystem that id-maps.
      mountExtensions: { idmap: { enabled: opts.idmap === true } },
    },
    annotations: {
      'org.opencontainers.runtime-spec.features.tsrun.version': '0.1.0',
    },
  };
}

export default {
  command: 'features',
  describe: 'print the features this tsrun supports (runtime-spec features.md)',
  async run() {
    const { idmapMountsWork } = await import('../lifecycle/rootless.js');
    writeOut(JSON.stringify(features({ idmap: await idmapMountsWork() }), null, 4) + '\n');
  },
} satisfies TsrunCommand;
