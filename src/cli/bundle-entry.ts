/**
 * tsrun's installed entry point (dist/cjs/main.cjs): a small CommonJS bundle that loads one
 * bundle per command (dist/cjs/cmd-NAME.cjs) and nothing else. CommonJS starts faster than ES
 * modules in Node, and one file per command path loads only that command's code.
 */
import type { TsrunCommand } from './command.js';
import { runCli, type CommandLoader } from './cli.js';

declare const require: (id: string) => { default: TsrunCommand<any> };

const load: CommandLoader = async (name) => {
  // A computed path: the bundler must not pull every command into this file.
  const file = './cmd-' + name + '.cjs';
  return require(file).default;
};

runCli(process.argv.slice(2), load).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`tsrun: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
