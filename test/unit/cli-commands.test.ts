/**
 * The one list of commands (src/cli/commands.ts): each name's module is the command of that
 * name, and the Node bundles made from the list (scripts/bundle.mjs) are one per command.
 */
import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMAND_NAMES, commandModule, isCommandName } from '../../src/cli/commands.js';
import type { TsrunCommand } from '../../src/cli/command.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');

test('every listed module is the command of its name', async (t) => {
  for (const name of COMMAND_NAMES) {
    const module = commandModule(name);
    t.true(existsSync(join(REPO, module)), module);
    const compiled = join(REPO, 'dist', module.replace(/\.ts$/, '.js'));
    const cmd = ((await import(compiled)) as { default: TsrunCommand }).default;
    t.is(cmd.command.split(' ')[0], name, module);
  }
});

test('names are unique; anything else is not a command', (t) => {
  t.is(new Set(COMMAND_NAMES).size, COMMAND_NAMES.length);
  t.true(isCommandName('state'));
  t.false(isCommandName('help'));
  t.false(isCommandName('constructor'));
});

test('the Node bundles: the boot file, the CLI, and one per listed command', (t) => {
  const dir = join(REPO, 'dist', 'cjs');
  const made = readdirSync(dir).filter((f) => f.endsWith('.cjs')).sort();
  t.deepEqual(made, ['cli.cjs', 'main.cjs', ...COMMAND_NAMES.map((name) => `cmd-${name}.cjs`)].sort());
});
