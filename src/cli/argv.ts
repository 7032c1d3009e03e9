/**
 * Argument preprocessing that yargs cannot express: single-dash long flags (go-runc sends
 * `-no-subreaper`), and commands whose flags end at the first positional (exec, kill, ps), so
 * that `tsrun exec ID sh -c 'ls -l'` hands `-c` to the container, not to tsrun.
 */

/** Long flags that may arrive with a single dash. */
const LONG_FLAGS = new Set([
  'root', 'log', 'log-format', 'debug', 'systemd-cgroup', 'rootless', 'criu', 'bundle', 'pid-file', 'console-socket',
  'pidfd-socket', 'no-pivot', 'no-new-keyring', 'preserve-fds', 'detach', 'force', 'all', 'format', 'quiet', 'process',
  'tty', 'cwd', 'env', 'user', 'cap', 'no-subreaper', 'keep', 'resources', 'interval', 'stats', 'ignore-paused',
  'additional-gids', 'no-new-privs', 'apparmor', 'process-label', 'cgroup', 'version', 'help',
]);

const STOP_AT_POSITIONAL = new Set(['exec', 'kill', 'ps']);

/** Flags (of any command) that take a value as the next argument. */
const VALUE_FLAGS = new Set([
  'root', 'log', 'log-format', 'rootless', 'bundle', 'b', 'pid-file', 'console-socket', 'pidfd-socket', 'preserve-fds',
  'format', 'f', 'process', 'p', 'cwd', 'env', 'e', 'user', 'u', 'cap', 'c', 'resources', 'r', 'interval',
  'additional-gids', 'g', 'apparmor', 'process-label', 'cgroup',
]);

function normaliseFlag(arg: string): string {
  const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(arg);
  return m && LONG_FLAGS.has(m[1]!) ? `-${arg}` : arg;
}

function flagName(arg: string): string | undefined {
  const m = /^--?([^=]+)(=.*)?$/.exec(arg);
  return m && !m[2] ? m[1] : undefined;
}

export interface SplitArgv {
  /** What yargs parses. */
  args: string[];
  /** For exec/kill/ps: what follows the container id, untouched. */
  rest: string[];
}

export function splitArgv(argv: readonly string[]): SplitArgv {
  const args: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === '--') {
      args.push(...argv.slice(i));
      return { args, rest: [] };
    }
    const arg = normaliseFlag(raw);
    args.push(arg);
    if (arg.startsWith('-') && arg !== '-') {
      const name = flagName(arg);
      if (name && VALUE_FLAGS.has(name) && i + 1 < argv.length) args.push(argv[++i]!);
      continue;
    }
    if (command === undefined) {
      command = arg;
      continue;
    }
    if (STOP_AT_POSITIONAL.has(command)) return { args, rest: argv.slice(i + 1) as string[] };
  }
  return { args, rest: [] };
}
