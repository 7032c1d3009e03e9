/**
 * Where tsrun's own files are: the folder holding build/ (the executor, the console proxy),
 * schemas/ and node_modules/ (koffi). tsrun runs from three shapes of install:
 *   - tsc's modules (dist/src/...) and esbuild's bundles (dist/cjs/...): above this module's file;
 *   - one self-contained program made by `bun build --compile` (build/tsrun-bun, `make
 *     ENGINE=bun`): its modules live in Bun's virtual /$bunfs, so the search starts beside the
 *     program file itself.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nodeModule } from './sys/builtins.js';

// import.meta.dirname and .filename, not .url: no URL parsing (node:url) on the way to a path. The
// bundles (scripts/bundle.mjs) define them as CommonJS's __dirname and __filename.

/** Whether this code runs inside a `bun build --compile` program (modules in /$bunfs). */
export function isCompiledProgram(moduleDir: string = import.meta.dirname): boolean {
  return moduleDir === '/$bunfs' || moduleDir.startsWith('/$bunfs/');
}

/** The folder the search for build/ and node_modules/ starts from. */
export function searchStart(moduleDir: string = import.meta.dirname): string {
  return isCompiledProgram(moduleDir) ? dirname(process.execPath) : moduleDir;
}

/** The nearest `rel` (a file or folder) in `from` or a folder above it; undefined when none. */
export function findAbove(from: string, rel: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const path = join(dir, rel);
    if (existsSync(path)) return path;
    if (dirname(dir) === dir) return undefined;
  }
}

/** build/NAME in the nearest folder above the install that has one (`make` puts its binaries there). */
export function findBuilt(name: string): string | undefined {
  return findAbove(searchStart(), join('build', name));
}

/** require() for what tsrun keeps outside its bundles (koffi, a native addon), resolved from the install. */
export function requireFromInstall(id: string): unknown {
  const pkg = findAbove(searchStart(), 'package.json');
  return nodeModule().createRequire(pkg ?? import.meta.filename)(id);
}

