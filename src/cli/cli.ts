/**
 * The command line: runc's global flags and commands, each command in its own module, loaded
 * only when it runs (a `state` never loads what `create` needs). Parsing is parse.ts; yargs is
 * loaded for --help only. Errors become one line on stderr (and in --log) and exit status 1
 * (exec: 255). That of a failed create, run or exec reads as one sentence, the command and the
 * container first, then the cause: `tsrun: create c1: mount "/x" on "/y": ...` (runc's reads
 * "runc create failed: ...", which containerd shows after "OCI runtime create failed: ").
 * Two entry points use it: main.ts (tsc's output, modules) and bundle-entry.ts (the bundles).
 */
import { isTsrunError, UsageError } from '../errors.js';
import { splitArgv } from './argv.js';
import { COMMAND_NAMES, isCommandName, type CommandName } from './commands.js';
import type { TsrunCommand } from './command.js';
import { makeContext, type GlobalArgs } from './context.js';
import { writeErr, writeOut } from '../sys/fdio.js';
import { makeLogger, type Logger } from './log.js';
import { setLogSink } from '../log.js';
import { BUILD_COMMIT } from './build-info.js';
import { parseCommandLine, recordBuilder, type CommandSpec } from './parse.js';
import { mark } from '../trace.js';
import { keepCodeCaches } from './cache-policy.js';
import { exitProcess } from '../sys/exit.js';

export const VERSION = '0.1.0';
const SPEC_VERSION = '1.3.0';

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

/** Loads a command's module by name (commands.ts lists them). */
export type CommandLoader = (name: CommandName) => Promise<TsrunCommand<any> | undefined>;

export async function runCli(argv: readonly string[], load: CommandLoader): Promise<number> {
  mark('cli');
  const { args, rest } = splitArgv(argv);
  let globals: GlobalArgs = {};
  let cmd: TsrunCommand<any> | undefined;
  let logger: Logger | undefined;
  let id: unknown;
  try {
    const at = findCommand(args);
    const name = at >= 0 ? args[at]! : undefined;
    const wantsHelp = args.includes('--help') || args.includes('-h') || name === 'help';
    if (!wantsHelp && (args.includes('--version') || args.includes('-v')) && (at < 0 || args.indexOf('--version') < at || args.indexOf('-v') < at)) {
      writeOut(versionText());
      return 0;
    }
    // Help on a command that is not one is an error, as runc's "No help topic" is.
    const topic = name === 'help' ? args.slice(at + 1).find((a) => !a.startsWith('-')) : name;
    if (topic !== undefined && !isCommandName(topic)) throw new UsageError(`'${topic}' is not a tsrun command: see tsrun --help`);
    if (wantsHelp || name === undefined) return await showHelp(argv, topic, load);
    cmd = await load(topic!);
    mark('loaded');
    // The command's own flags first: `spec --rootless` (a boolean) is not the global --rootless (a string).
    const parsed = parseCommandLine([...args.slice(0, at), ...args.slice(at + 1)], recordBuilder(cmd!.command, cmd!.builder), GLOBAL);
    globals = parsed as GlobalArgs;
    id = (parsed as { id?: unknown }).id;
    logger = makeLogger({ log: globals.log, logFormat: globals['log-format'], debug: globals.debug });
    setLogSink(logger);
    if (logger.debug) logger.log('debug', `tsrun ${argv.join(' ')}`);
    const code = await cmd!.run(parsed as never, makeContext(globals, rest, logger));
    mark('done');
    keepCodeCaches();
    return typeof code === 'number' ? code : 0;
  } catch (failure) {
    const msg = failure instanceof Error ? failure.message : String(failure);
    (logger ?? safeLogger(globals)).log('error', isUsageError(failure) || !cmd?.failureNamesContainer || typeof id !== 'string' ? msg : `tsrun: ${cmd.command.split(' ')[0]} ${id}: ${msg}`);
    // A failure that is not a TsrunError is a bug: its stack helps whoever reports it.
    if (!isTsrunError(failure) && failure instanceof Error) writeErr(`${failure.stack}\n`);
    return failureStatus(cmd, failure);
  } finally {
    setLogSink(undefined);
  }
}

/** The exit status of a failure: 1, or the command's own (exec: 255) for one that is not a usage error. */
function failureStatus(cmd: TsrunCommand<any> | undefined, failure: unknown): number {
  return cmd?.failureStatus !== undefined && !isUsageError(failure) ? cmd.failureStatus : 1;
}

const isUsageError = (e: unknown): boolean => e instanceof Error && e.name === 'UsageError';

/**
 * What both entry points do: runs the command line of this process and exits with its status
 * (1, with the message on stderr, should runCli itself throw).
 */
export function runMain(load: CommandLoader): void {
  runCli(process.argv.slice(2), load).then(
    (code) => exitProcess(code),
    (e) => {
      writeErr(`tsrun: ${e instanceof Error ? e.message : String(e)}\n`);
      exitProcess(1);
    },
  );
}

/** --help through yargs, from the same declarations the parser uses; `topic`, the command asked about. */
async function showHelp(argv: readonly string[], topic: CommandName | undefined, load: CommandLoader): Promise<number> {
  // Bun's compiled program carries yargs as a chunk of its own, loaded only here. On Node,
  // require(): the CLI bundle runs without a dynamic-import hook (code-cache.ts), and yargs 18,
  // an ES module, exports itself to require() ('module.exports'). install-paths.ts is imported here
  // only: it loads node:fs, which the compiled Bun program's `state` must not pay for.
  const yargs = process.versions.bun
    ? (await import('yargs')).default
    : ((await import('../install-paths.js')).requireFromInstall('yargs') as typeof import('yargs').default);
  const wantsHelp = argv.some((a) => a === 'help' || a === '--help' || a === '-h');
  // `help`, -h and --help all as --help: yargs knows -h only as what alias() makes of it.
  const args = wantsHelp ? [...argv.filter((a) => a !== 'help' && a !== '-h' && a !== '--help'), '--help'] : [...argv];
  let y = globalFlags(yargs(args))
    .scriptName('tsrun')
    .version(false)
    .exitProcess(false)
    .strict(false);
  for (const name of COMMAND_NAMES) {
    const cmd = (await load(name))!;
    y = y.command(cmd.command, cmd.describe, cmd.builder ?? ((b) => b), () => undefined);
  }
  if (!wantsHelp) {
    y.showHelp((s: string) => writeErr(`${s}\n`));
    writeErr('a command is required\n');
    return 1;
  }
  // With a callback, yargs hands the text over instead of printing it through process.stdout.
  let failed = false;
  await y.help().parseAsync(args, {}, (err, _argv, output) => {
    failed = Boolean(err);
    (failed ? writeErr : writeOut)(`${output}\n`);
  });
  // A command tsrun does not do yet fails its --help too: podman takes a `checkpoint --help`
  // that succeeds for checkpoint support (checkpoint.ts).
  const cmd = topic ? await load(topic) : undefined;
  if (cmd?.supported === false) {
    writeErr(`${topic}: not supported by this version of tsrun\n`);
    return 1;
  }
  return failed ? 1 : 0;
}

/** `--version`: runc's lines, with the engine in place of go's; the commit stamped by the build. */
function versionText(): string {
  const engine = process.versions.bun ? `bun: ${process.versions.bun}` : `node: ${process.version}`;
  return `tsrun version ${VERSION}\ncommit: ${BUILD_COMMIT}\nspec: ${SPEC_VERSION}\n${engine}\n`;
}

function safeLogger(opts: GlobalArgs) {
  try {
    return makeLogger({ log: opts.log, logFormat: opts['log-format'], debug: opts.debug });
  } catch {
    return makeLogger({ log: opts.log });
  }
}
