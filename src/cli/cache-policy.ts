/**
 * When the code caches (code-cache.ts) may be written: once this process ran a command to its
 * end. Not after --help (which loads every command's bundle and runs none) nor after a failure
 * (an error's path is not the usual one): a cache is written once, by the first run that lacks
 * it, so one written then would leave the usual path to be compiled on every later run. Apart
 * from code-cache.ts, and importing nothing: cli.ts sets it, and a compiled Bun program's first
 * chunk (which holds cli.ts) must not load node:fs for it.
 */

/** On the global: the boot file and the CLI bundle each hold a copy of this module. */
const KEEP = Symbol.for('tsrun.keep-code-caches');

/** This process ran a command to its end: the caches it lacks may be written as it exits. */
export function keepCodeCaches(): void {
  (globalThis as { [KEEP]?: boolean })[KEEP] = true;
}

export function codeCachesWanted(): boolean {
  return (globalThis as { [KEEP]?: boolean })[KEEP] === true;
}
