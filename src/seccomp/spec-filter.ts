/**
 * A container's seccomp filter as the commands need it: compiled from config.json (the compiler,
 * in ./index.ts, loaded only for a config with seccomp), and the state its notify listener gets.
 * Small on purpose: create, exec and start import it on every call.
 */
import type { CompiledFilter } from '../plan/types.js';
import type { Spec } from '../spec/index.js';

/** Compiles linux.seccomp in the parent (cached by profile); the executor only loads the bytes. */
export async function compileSpecSeccomp(spec: Spec, debug?: (m: string) => void): Promise<CompiledFilter | undefined> {
  const profile = spec.linux?.seccomp;
  if (!profile) return undefined;
  // Loaded for a config with seccomp only: syscall tables, the default profile and the compiler
  // are a sixth of create's code, which a compiled Bun program loads as a whole otherwise.
  const { compileSeccomp } = await import('./index.js');
  const compiled = compileSeccomp(profile);
  for (const w of compiled.warnings) debug?.(w);
  return { program: compiled.program, flags: compiled.flags, ...(compiled.notify ? { listenerPath: profile.listenerPath } : {}) };
}

/**
 * What a seccomp listener receives with the notify fd (runtime-spec config-linux.md,
 * "ContainerProcessState"): the fd's name, the process, the profile's metadata, the state.
 */
export function listenerState(spec: Spec, state: Record<string, unknown>, pid: number): Uint8Array | undefined {
  if (!spec.linux?.seccomp?.listenerPath) return undefined;
  return Buffer.from(
    JSON.stringify({
      ociVersion: spec.ociVersion,
      fds: ['seccompFd'],
      pid,
      ...(spec.linux.seccomp.listenerMetadata ? { metadata: spec.linux.seccomp.listenerMetadata } : {}),
      state,
    }),
  );
}

