/**
 * tsrun's entry point: runc's global flags and commands, each command in its own module, loaded
 * only when it runs (a `state` never loads what `create` needs). Parsing is parse.ts; yargs is
 * loaded for --help only. Errors become one line on stderr (and in --log) and exit status 1.
 */
import { TsrunError, UsageError } from '../errors.js';
import { splitArgv } from './argv.js';
import type { TsrunCommand } from './command.js';
import { makeContext, writeOut, type GlobalArgs } from './context.js';
import { makeLogger } from './log.js';
import { parseCommandLine, recordBuilder, type CommandSpec } from './parse.js';

export const VERSION = '0.1.0';
const SPEC_VERSION = '1.3.0';

type Loader = () => Promise<{ default: TsrunCommand<any> }>;

/** Every command and where it lives. */
export const COMMANDS: Record<string, Loader> = {
  create: () => import('./create.js'),
  start: () => import('./start.js'),
  state: () => import('./state.js'),
  kill: () => import('./kill.js'),
  delete: () => import('./delete.js'),
  run: () => import('./run.js'),
  exec: () => import('./exec.js'),
  list: () => import('./list.js'),
  ps: () => import('./ps.js'),
  pause: () => import('./pause.js'),
  resume: () => import('./resume.js'),
  update: () => import('./update.js'),
  events: () => import('./events.js'),
  spec: () => import('./spec.js'),
  features: () => import('./features.js'),
  plan: () => import('./plan.js'),
  checkpoint: async () => ({ default: (await import('./unsupported.js')).unsupported.find((c) => c.command.startsWith('checkpoint'))! }),
  restore: async () => ({ default: (await import('./unsupported.js')).unsupported.find((c) => c.command.startsWith('restore'))! }),
};

/** Global flags (runc's main.go), declared once for the parser and for --help. */
export function globalFlags<Y extends { option(name: string, o: object): Y }>(y: Y): Y {
  return y
    .option('root', { type: 'string', describe: 'state directory (default /run/tsrun; $XDG_RUNTIME_DIR/tsrun when not root)' })
    .option('log', { type: 'string', describe: 'log file' })
    .option('log-format', { type: 'string', describe: 'text or json' })
    .option('debug', { type: 'boolean', describe: 'debug output' })
    .option('systemd-cgroup', { type: 'boolean', describe: 'use the systemd cgroup driver' })
    .option('rootless', { type: 'string', describe: 'accepted for runc compatibility (true|false|auto)' })
    .option('criu', { type: 'string', describe: 'accepted for runc compatibility; ignored' });
}

/** The parser's view adds --help and --version, which yargs declares by itself. */
const GLOBAL: CommandSpec = recordBuilder('', (y) =>
  globalFlags(y).option('help', { alias: 'h', type: 'boolean' }).option('version', { alias: 'v', type: 'boolean' }),
);

/** The command name: the first argument that is neither a global flag nor its value. */
function findCommand(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) return i;
    const name = GLOBAL.names.get(a.replace(/^--?/, '').replace(/=.*$/s, ''));
    if (name && !a.includes('=') && GLOBAL.options.get(name)!.type !== 'boolean') i++;
  }
  return -1;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { args, rest } = splitArgv(argv);
  let globals: GlobalArgs = {};
  try {
    const at = findCommand(args);
    const name = at >= 0 ? args[at]! : undefined;
    const wantsHelp = args.includes('--help') || args.includes('-h') || name === 'help';
    if (!wantsHelp && (args.includes('--version') || args.includes('-v')) && (at < 0 || args.indexOf('--version') < at || args.indexOf('-v') < at)) {
      writeOut(`tsrun version ${VERSION}\nspec: ${SPEC_VERSION}\n`);
      return 0;
    }
    if (wantsHelp || name === undefined) return await showHelp(argv, name === undefined && !wantsHelp);
    const load = COMMANDS[name];
    if (!load) throw new UsageError(`'${name}' is not a tsrun command: see tsrun --help`);
    const cmd = (await load()).default;
    // The command's own flags first: `spec --rootless` (a boolean) is not the global --rootless (a string).
    const parsed = parseCommandLine([...args.slice(0, at), ...args.slice(at + 1)], recordBuilder(cmd.command, cmd.builder), GLOBAL);
    globals = parsed as GlobalArgs;
    const code = await cmd.run(parsed as never, makeContext(globals, rest));
    return typeof code === 'number' ? code : 0;
  } catch (failure) {
    const msg = failure instanceof Error ? failure.message : String(failure);
    const logger = safeLogger(globals);
    logger.log('error', msg);
    if (!(failure instanceof TsrunError) && failure instanceof Error) process.stderr.write(`${failure.stack}\n`);
    return 1;
  }
}

/** --help through yargs, from the same declarations the parser uses. */
async function showHelp(argv: readonly string[], missingCommand: boolean): Promise<number> {
  const { default: yargs } = await import('yargs');
  let y = globalFlags(yargs(argv.filter((a) => a !== 'help') as string[]))
    .scriptName('tsrun')
    .version(false)
    .exitProcess(false)
    .strict(false);
  for (const [name, load] of Object.entries(COMMANDS)) {
    const cmd = (await load()).default;
    y = y.command(cmd.command, cmd.describe, cmd.builder ?? ((b) => b), () => undefined);
    void name;
  }
  if (missingCommand) {
    y.showHelp((s: string) => process.stderr.write(`${s}\n`));
    process.stderr.write('a command is required\n');
    return 1;
  }
  await y.help().parseAsync();
  return 0;
}

function safeLogger(opts: GlobalArgs) {
  try {
    return makeLogger({ log: opts.log, logFormat: opts['log-format'], debug: opts.debug });
  } catch {
    return makeLogger({ log: opts.log });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`tsrun: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
