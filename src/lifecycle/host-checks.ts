/**
 * What the spec asks of the host, checked before anything is made: Linux security modules that
 * must be enabled, and capabilities tsrun itself must hold to hand them on. Each refusal names
 * the field and the reason, instead of an EPERM from deep inside the container set-up. SELinux
 * labels on a host without SELinux are the exception: ignored, with a note.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ConfigError, UnsupportedError } from '../errors.js';
import { CAPABILITIES } from '../plan/linux-constants.js';
import { findNamespace } from '../plan/namespaces.js';
import type { Spec } from '../spec/index.js';
import { readProcStatus } from '../sys/proc.js';

export interface HostSecurity {
  apparmor: boolean;
  selinux: boolean;
  /** tsrun's own bounding set: no container can get a capability outside it. */
  bounding: bigint;
}

export function probeHostSecurity(): HostSecurity {
  let apparmor = false;
  try {
    apparmor = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    /* no AppArmor module */
  }
  return {
    apparmor,
    selinux: existsSync('/sys/fs/selinux/enforce'),
    bounding: BigInt(`0x${readProcStatus('self').get('CapBnd') ?? '0'}`),
  };
}

const CAP_SETS = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;

/**
 * Throws UnsupportedError for the first thing the host cannot give this spec. SELinux labels on a
 * host without SELinux are ignored instead, as crun does: removed from `spec` (so no plan writes
 * them) with a note. An AppArmor profile without AppArmor stays an error, as in runc and crun.
 */
export function checkHostSupport(spec: Spec, host: HostSecurity, source = 'config.json', prefix = '/process', note: (msg: string) => void = () => undefined): void {
  const proc = spec.process;
  if (proc?.apparmorProfile && !host.apparmor) {
    throw new UnsupportedError(`${source}: ${prefix}/apparmorProfile: AppArmor is not enabled on this host`);
  }
  if (!host.selinux) dropSelinuxLabels(spec, source, prefix, note);
  if (spec.linux?.mountLabel) {
    throw new UnsupportedError(`${source}: /linux/mountLabel: SELinux mount labels are not supported by tsrun yet`);
  }
  for (const set of CAP_SETS) {
    for (const name of proc?.capabilities?.[set] ?? []) {
      const bit = (CAPABILITIES as readonly string[]).indexOf(name);
      if (bit >= 0 && !(host.bounding & (1n << BigInt(bit)))) {
        throw new UnsupportedError(`${source}: ${prefix}/capabilities/${set}: ${name} is not available on this host (tsrun's own bounding set lacks it)`);
      }
    }
  }
}

/** Removes the SELinux labels of a spec meant for a host without SELinux, noting each. */
function dropSelinuxLabels(spec: Spec, source: string, prefix: string, note: (msg: string) => void): void {
  const ignored = (field: string) => note(`${source}: ${field}: ignored: SELinux is not enabled on this host`);
  if (spec.process?.selinuxLabel) {
    ignored(`${prefix}/selinuxLabel`);
    delete spec.process.selinuxLabel;
  }
  if (spec.linux?.mountLabel) {
    ignored('/linux/mountLabel');
    delete spec.linux.mountLabel;
  }
}

/**
 * A mount namespace joined by path that is tsrun's own: setting the rootfs up "inside" it would
 * pivot the root of every process in it. Leaving the namespace out of the config shares it safely
 * (plan/rootfs.ts, chroot). A path that cannot be read is left to the executor's setns to report.
 */
export function checkMountNsNotOwn(spec: Spec): void {
  const path = findNamespace(spec.linux, 'mount')?.path;
  if (!path) return;
  let same = false;
  try {
    const [a, b] = [statSync(path), statSync('/proc/self/ns/mnt')];
    same = a.ino === b.ino && a.dev === b.dev;
  } catch {
    return;
  }
  if (same) throw new ConfigError(`config.json: /linux/namespaces: the mount namespace at ${path} is the runtime's own: leave the mount namespace out of the config to share it`);
}
