/**
 * koffi itself, loaded on first use by the bindings in this folder (libc, libseccomp, bpf): the
 * commands that merely read state (state, list, start, delete) never load the FFI. Required
 * from the install (src/install-paths.ts), so it resolves inside a compiled Bun program too.
 *
 * koffi's own loader (`require('koffi')`) spends most of its time finding its native module (it
 * reads the engine's ELF file to tell glibc from musl, tries several folders, loads node:util for
 * deprecation shims), not loading it (docs/performance.md). tsrun loads
 * the glibc prebuilt from koffi's platform package directly (process.dlopen) when it is there and
 * is koffi's own version, and falls back to koffi's loader otherwise (musl, other layouts, a
 * mismatch).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findAbove, requireFromInstall, searchStart } from '../install-paths.js';
import { setFinalExit } from './exit.js';

export type Koffi = typeof import('koffi');

let koffi: Koffi | undefined;

/** The prebuilt for this platform in koffi's companion package, relative to node_modules. */
export function koffiPrebuiltPath(platform: string = process.platform, arch: string = process.arch): string {
  return `@koromix/koffi-${platform}-${arch}/${platform}_${arch}/koffi.node`;
}

function loadPrebuilt(): Koffi | undefined {
  // One walk up for node_modules/koffi; the prebuilt is looked for beside it only.
  const pkg = findAbove(searchStart(), 'node_modules/koffi/package.json');
  if (!pkg) return undefined;
  const file = join(dirname(dirname(pkg)), koffiPrebuiltPath());
  try {
    // koffi does not export its package.json: read the file.
    const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
    // process.dlopen, not require(): the same addon without the module resolution around it.
    // A missing file throws here too.
    const mod = { exports: {} as Koffi & { version?: string } };
    process.dlopen(mod, file);
    return mod.exports.version === version ? mod.exports : undefined;
  } catch {
    return undefined; // a musl host cannot load the glibc build: koffi's loader picks the right one
  }
}

export function loadKoffi(): Koffi {
  if (koffi) return koffi;
  koffi = loadPrebuilt() ?? (requireFromInstall('koffi') as Koffi);
  // The addon fsyncs stdout and stderr at exit: end with _exit instead (sys/exit.ts).
  const exit = koffi.load('libc.so.6').func('void _exit(int)') as (code: number) => void;
  setFinalExit((code) => exit(code));
  return koffi;
}
