/**
 * tsrun's entry point: runc's global flags and commands, each command in its own module.
 * Errors become one line on stderr (and in --log) and exit status 1.
 */
import yargs, { type Argv } from 'yargs';
import { TsrunError } from '../errors.js';
import { OCI_VERSION } from '../lifecycle/default-spec.js';
import { splitArgv } from './argv.js';
import type { TsrunCommand } from './command.js';
import { makeContext, writeOut, type GlobalArgs } from './context.js';
import { makeLogger } from './log.js';
import create from './create.js';
import start from './start.js';
import state from './state.js';
import kill from './kill.js';
import del from './delete.js';
import run from './run.js';
import list from './list.js';
import spec from './spec.js';
import featuresCmd from './features.js';
import plan from './plan.js';
import exec from './exec.js';
import pause from './pause.js';
import resume from './resume.js';
import ps from './ps.js';
import update from './update.js';
import events from './events.js';
import { unsupported } from './unsupported.js';

export const VERSION = '0.1.0';

const COMMANDS: TsrunCommand<any>[] = [create, start, state, kill, del, run, list, spec, featuresCmd, plan, exec, pause, resume, ps, update, events, ...unsupported];

function versionText(): string {
  return `tsrun version ${VERSION}\nspec: ${OCI_VERSION}\n`;
}

function globalFlags(y: Argv): Argv {
  return y
    .option('root', { type: 'string', describe: 'state directory (default /run/tsrun)' })
    .option('log', { type: 'string', describe: 'log file' })
    .option('log-format', { type: 'string', describe: 'text or json' })
    .option('debug', { type: 'boolean', describe: 'debug output' })
    .option('systemd-cgroup', { type: 'boolean', describe: 'use the systemd cgroup driver' })
    .option('rootless', { type: 'string', describe: 'accepted for runc compatibility (true|false|auto)' })
    .option('criu', { type: 'string', describe: 'accepted for runc compatibility; ignored' });
}

export async function main(argv: readonly string[]): Promise<number> {
  const { args, rest } = splitArgv(argv);
  if (args.includes('--version') || args.includes('-v')) {
    writeOut(versionText());
    return 0;
  }
  let exitCode = 0;
  let failure: unknown;
  let logOpts: GlobalArgs = {};
  let parser = globalFlags(yargs(args as string[]))
    .scriptName('tsrun')
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false, 'boolean-negation': false, 'greedy-arrays': false })
    .strict()
    .demandCommand(1, 'a command is required: see tsrun --help')
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      failure = err ?? new TsrunError(msg);
    });
  for (const c of COMMANDS) {
    parser = parser.command(c.command, c.describe, c.builder ?? ((y) => y), async (a) => {
      logOpts = a as GlobalArgs;
      try {
        const code = await c.run(a as never, makeContext(a as GlobalArgs, rest));
        exitCode = typeof code === 'number' ? code : 0;
      } catch (e) {
        failure = e;
      }
    });
  }
  try {
    await parser.parseAsync();
  } catch (e) {
    failure ??= e;
  }
  if (failure !== undefined) {
    const msg = failure instanceof Error ? failure.message : String(failure);
    const logger = safeLogger(logOpts);
    logger.log('error', msg);
    if (!(failure instanceof TsrunError) && logger.debug && failure instanceof Error) process.stderr.write(`${failure.stack}\n`);
    return 1;
  }
  return exitCode;
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
