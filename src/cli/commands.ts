/**
 * Every tsrun command, in --help order: the one list the CLI (cli.ts: which names are commands,
 * --help), its entry point (main.ts: a loader per name) and the Node bundles (scripts/bundle.mjs,
 * which reads tsc's output of this file) go by. Command NAME lives in commandModule(NAME).
 * Plain data, importing nothing; names only, as it is part of every command's first chunk.
 */
export const COMMAND_NAMES = [
  'create', 'start', 'state', 'kill', 'delete', 'run', 'exec', 'list', 'ps', 'pause', 'resume', 'update', 'events',
  'spec', 'features', 'plan', 'checkpoint', 'restore', 'image',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

/** The source module (from the repository's root) whose default export is the command. */
export function commandModule(name: CommandName): string {
  return `src/cli/${name}.ts`;
}
