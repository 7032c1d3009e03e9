/**
 * koffi itself, loaded on first use by the bindings in this folder (libc, libseccomp, bpf): the
 * commands that merely read state (state, list, start, kill, delete) never load the FFI. Required
 * from the install (src/install.ts), so it resolves inside a compiled Bun program too.
 */
import { requireFromInstall } from '../install.js';

export type Koffi = typeof import('koffi');

let koffi: Koffi | undefined;

export function loadKoffi(): Koffi {
  koffi ??= requireFromInstall('koffi') as Koffi;
  return koffi;
}
