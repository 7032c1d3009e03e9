/**
 * runtime-spec `features.linux.seccomp` (what `tsrun features` reports): the actions, operators
 * and flags tsrun knows, the architectures this libseccomp supports, and the flags this kernel
 * accepts. Advertise only what works: without libseccomp, seccomp is reported disabled.
 */
import { loadLibseccomp, type Libseccomp } from '../sys/libseccomp.js';
import {
  ACTIONS,
  ARCHES,
  FLAGS,
  OPERATORS,
  SECCOMP_FILTER_FLAG_NEW_LISTENER,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
  type SeccompActionName,
  type SeccompArchName,
  type SeccompFlagName,
  type SeccompOperatorName,
} from './names.js';

export interface SeccompFeatures {
  enabled: boolean;
  actions?: SeccompActionName[];
  operators?: SeccompOperatorName[];
  archs?: SeccompArchName[];
  knownFlags?: SeccompFlagName[];
  supportedFlags?: SeccompFlagName[];
}

export function seccompFeatures(lib?: Libseccomp): SeccompFeatures {
  let l: Libseccomp;
  try {
    l = lib ?? loadLibseccomp();
    l.version();
  } catch {
    return { enabled: false };
  }
  const knownFlags = Object.keys(FLAGS) as SeccompFlagName[];
  return {
    enabled: true,
    actions: Object.keys(ACTIONS) as SeccompActionName[],
    operators: Object.keys(OPERATORS) as SeccompOperatorName[],
    archs: (Object.keys(ARCHES) as SeccompArchName[]).filter((a) => l.archResolveName(ARCHES[a].libName) !== 0),
    knownFlags,
    supportedFlags: knownFlags.filter((name) => {
      const bit = FLAGS[name];
      // The kernel takes WAIT_KILLABLE_RECV only together with NEW_LISTENER.
      const probe = bit === SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? bit | SECCOMP_FILTER_FLAG_NEW_LISTENER : bit;
      return l.kernelAcceptsFilterFlags(probe) === true;
    }),
  };
}
