/**
 * seccomp: OCI `linux.seccomp` -> classic BPF (compiled in the parent with libseccomp), the
 * default profile `tsrun spec` writes, and the compiled-program cache. Loading the program is
 * the executor's job (plan op SECCOMP: `flags` + `program`).
 */
export {
  compileSeccomp,
  SUPPORTED_ACTIONS,
  type CompileOptions,
  type CompiledSeccomp,
  type LinuxSeccomp,
  type LinuxSyscall,
  type LinuxSeccompArg,
} from './compile.js';
export { defaultSeccompProfile, RUNC_DEFAULT_CAPABILITIES, type DefaultProfileOptions } from './default-profile.js';
export { SeccompCache, defaultSeccompCacheDir } from './cache.js';
export { seccompFeatures, type SeccompFeatures } from './features.js';
export { ACTIONS, ARCHES, OPERATORS, FLAGS, describeAction, describeFlags } from './names.js';
