/**
 * The CLI bundle (dist/cjs/cli.cjs), loaded by boot.ts: a small CommonJS bundle that loads one
 * bundle per command (dist/cjs/cmd-NAME.cjs) and nothing else. CommonJS starts faster than ES
 * modules in Node, and one file per command path loads only that command's code; each is compiled
 * with its V8 code cache (code-cache.ts).
 */
import { join } from 'node:path';
import type { TsrunCommand } from './command.js';
import { runMain, type CommandLoader } from './cli.js';
import { loadBundle } from './code-cache.js';

declare const __dirname: string;

const load: CommandLoader = async (name) => loadBundle<{ default: TsrunCommand<any> }>(join(__dirname, `cmd-${name}.cjs`)).default;

runMain(load);
