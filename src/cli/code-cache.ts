/**
 * Loading tsrun's CommonJS bundles (dist/cjs, scripts/bundle.mjs) with a V8 code cache: the
 * bundle is compiled through vm.Script with the cache kept beside it (NAME.cjs.V8VERSION.v8cache,
 * one per V8 version, as Node 20 and 22 may share dist/ and V8 rejects another version's cache;
 * written on first use where the folder is writable), so later runs skip most of the parsing and
 * compiling. Used by the boot file for the CLI bundle and by the CLI bundle for each command's:
 * everything but the few lines of boot.ts comes from a cache.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { codeCachesWanted } from './cache-policy.js';

/** Node's CommonJS wrapper, as Module.wrap makes it. */
const WRAP = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'] as const;

declare const require: (id: string) => unknown;

/** require() of a CommonJS bundle, compiled with its code cache on Node; Bun's own loader on Bun. */
export function loadBundle<T>(filename: string): T {
  if (process.versions.bun) return require(filename) as T;
  const source = readFileSync(filename, 'utf8');
  const cacheFile = `${filename}.${process.versions.v8}.v8cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first run */
  }
  // No import() in a bundle: a script compiled here has no dynamic-import hook (and one given
  // here is lost when the code comes from the cache). The CLI requires yargs (cli.ts).
  const script = new Script(WRAP[0] + source + WRAP[1], { filename, cachedData });
  const module = { exports: {} as T };
  script.runInThisContext()(module.exports, createRequire(filename), module, filename, dirname(filename));
  if (!cachedData || script.cachedDataRejected) {
    // Written as the process exits, not now: the cache then holds every function this run
    // compiled (the validators, the planner: V8 compiles them lazily, on first call), not only
    // the top level, so later runs skip compiling those too. Only after a command ran to its end
    // (cache-policy.ts).
    process.once('exit', () => {
      if (!codeCachesWanted()) return;
      try {
        writeFileSync(`${cacheFile}.${process.pid}`, script.createCachedData());
        renameSync(`${cacheFile}.${process.pid}`, cacheFile);
      } catch {
        /* a read-only install: no cache, only slower */
      }
    });
  }
  return module.exports;
}
