/**
 * tsrun's own command-line parser, for speed: yargs costs tens of milliseconds to load, and a
 * manager runs tsrun several times per container. Command modules still declare their flags
 * with yargs' `option`/`positional` calls; `recordBuilder` replays those calls into plain data
 * that `parseCommandLine` uses, and yargs itself is loaded only to print --help.
 */
import { UsageError } from '../errors.js';

export interface OptionSpec {
  type?: 'string' | 'boolean' | 'number';
  alias?: string | readonly string[];
  default?: unknown;
  array?: boolean;
  describe?: string;
}

export interface CommandSpec {
  options: Map<string, OptionSpec>;
  /** alias (and name) → option name */
  names: Map<string, string>;
  /** Positional names, from the command string ("create [id]", "exec [args..]"). */
  positionals: Array<{ name: string; variadic: boolean }>;
}

/** Records a yargs-style builder's declarations. */
export function recordBuilder(command: string, builder?: (y: any) => any): CommandSpec {
  const spec: CommandSpec = { options: new Map(), names: new Map(), positionals: [] };
  const positional = /[[<]([\w-]+)(\.\.)?[\]>]/g;
  for (let m; (m = positional.exec(command)); ) spec.positionals.push({ name: m[1]!, variadic: m[2] !== undefined });
  const recorder: any = {
    option(name: string, o: OptionSpec = {}) {
      spec.options.set(name, o);
      spec.names.set(name, name);
      // Loops, not flat()/flatMap(): JavaScriptCore implements those in JavaScript, and every
      // command parses its flags before the interpreter has warmed them up.
      for (const a of typeof o.alias === 'string' ? [o.alias] : (o.alias ?? [])) spec.names.set(a, name);
      return recorder;
    },
    positional() {
      return recorder;
    },
    strict() {
      return recorder;
    },
    // Text for --help only.
    usage() {
      return recorder;
    },
    epilog() {
      return recorder;
    },
  };
  builder?.(recorder);
  return spec;
}

function coerce(name: string, o: OptionSpec, raw: string): unknown {
  if (o.type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`invalid value "${raw}" for flag --${name}: must be a number`);
    return n;
  }
  if (o.type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new UsageError(`invalid value "${raw}" for flag --${name}: must be true or false`);
    return raw === 'true';
  }
  return raw;
}

/**
 * Parses args (the command name removed) against the global and the command's options.
 * Flags may come before or after positionals; `--` ends them. Unknown flags are errors, with
 * the words urfave/cli (runc) uses.
 */
export function parseCommandLine(args: readonly string[], ...specs: CommandSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = { _: [] as string[] };
  const positionals: string[] = [];
  const lookup = (flag: string): [string, OptionSpec] | undefined => {
    for (const s of specs) {
      const name = s.names.get(flag);
      if (name) return [name, s.options.get(name)!];
    }
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const found = lookup(m[1]!);
    if (!found) throw new UsageError(`flag provided but not defined: ${arg.replace(/=.*$/s, '')}`);
    const [name, o] = found;
    let value: unknown;
    if (m[2] !== undefined) value = coerce(name, o, m[2]);
    else if (o.type === 'boolean') value = true;
    else if (i + 1 < args.length) value = coerce(name, o, args[++i]!);
    else throw new UsageError(`flag needs an argument: ${arg}`);
    if (o.array) out[name] = [...((out[name] as unknown[]) ?? []), value];
    else out[name] = value;
  }
  for (const s of specs) for (const [name, o] of s.options) if (out[name] === undefined && o.default !== undefined) out[name] = o.default;
  let p = 0;
  for (const s of specs) {
    for (const { name, variadic } of s.positionals) {
      if (variadic) {
        out[name] = positionals.slice(p);
        p = positionals.length;
      } else if (p < positionals.length) out[name] = positionals[p++];
    }
  }
  if (p < positionals.length) throw new UsageError(`unexpected argument "${positionals[p]}"`);
  return out;
}
