/**
 * The CLI bundle (dist/cjs/cli.cjs), loaded by boot.ts: a small CommonJS bundle that loads one
 * bundle per command (dist/cjs/cmd-NAME.cjs) and nothing else. CommonJS starts faster than ES
 * modules in Node, and one file per command path loads only that command's code; each is compiled
 * with its V8 code cache (code-cache.ts).
 */
import { join } from 'node:path';
import type { TsrunCommand } from './command.js';
import { runCli, type CommandLoader } from './cli.js';
import { loadBundle } from './code-cache.js';
import { writeErr } from '../sys/fdio.js';
import { exitProcess } from '../sys/exit.js';

declare const __dirname: string;

const load: CommandLoader = async (name) => loadBundle<{ default: TsrunCommand<any> }>(join(__dirname, `cmd-${name}.cjs`)).default;

runCli(process.argv.slice(2), load).then(
  (code) => exitProcess(code),
  (e) => {
    writeErr(`tsrun: ${e instanceof Error ? e.message : String(e)}\n`);
    exitProcess(1);
  },
);
