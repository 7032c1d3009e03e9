/**
 * tsrun's installed entry point (dist/cjs/main.cjs): a small CommonJS bundle that loads one
 * bundle per command (dist/cjs/cmd-NAME.cjs) and nothing else. CommonJS starts faster than ES
 * modules in Node, and one file per command path loads only that command's code. Each command
 * bundle is compiled with a V8 code cache kept beside it (NAME.cjs.V8VERSION.v8cache, one per V8
 * version, as Node 20 and 22 may share dist/ and V8 rejects another version's cache; written on
 * first use where the folder is writable), so later runs skip most of the parsing and compiling.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import type { TsrunCommand } from './command.js';
import { runCli, type CommandLoader } from './cli.js';
import { writeErr } from '../sys/fdio.js';
import { exitProcess } from '../sys/exit.js';

declare const __dirname: string;

/** Node's CommonJS wrapper, as Module.wrap makes it. */
const WRAP = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];

function requireWithCodeCache(filename: string): { default: TsrunCommand<any> } {
  const source = readFileSync(filename, 'utf8');
  const cacheFile = `${filename}.${process.versions.v8}.v8cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first run */
  }
  const script = new Script(WRAP[0] + source + WRAP[1], { filename, cachedData });
  const module = { exports: {} as { default: TsrunCommand<any> } };
  script.runInThisContext()(module.exports, createRequire(filename), module, filename, dirname(filename));
  if (!cachedData || script.cachedDataRejected) {
    // Written as the process exits, not now: the cache then holds every function this run
    // compiled (the validators, the planner: V8 compiles them lazily, on first call), not only
    // the top level. Measured: create's validation went from 6 ms to 1 ms on later runs.
    process.once('exit', () => {
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

declare const require: (id: string) => { default: TsrunCommand<any> };

/** Bun has its own fast loader and no V8 code cache: it loads the bundle directly. */
const load: CommandLoader = async (name) => {
  const file = join(__dirname, `cmd-${name}.cjs`);
  return (process.versions.bun ? require(file) : requireWithCodeCache(file)).default;
};

runCli(process.argv.slice(2), load).then(
  (code) => exitProcess(code),
  (e) => {
    writeErr(`tsrun: ${e instanceof Error ? e.message : String(e)}\n`);
    exitProcess(1);
  },
);
