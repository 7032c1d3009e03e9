/**
 * tsrun's entry point as compiled by tsc (one module per file): commands are imported on demand.
 * The installed entry point is the bundle built from bundle-entry.ts (see scripts/bundle.mjs).
 */
import type { TsrunCommand } from './command.js';
import type { CommandName } from './commands.js';
import { runMain, type CommandLoader } from './cli.js';
// state, which managers call most often, is part of the program's first chunk: a dynamic import
// costs a compiled Bun program more than a static one.
import state from './state.js';

// One loader per name of commands.ts (the type checks that every name has one, and only those),
// each a literal import(): Bun's bundler makes a command's chunk only from a literal path.
const MODULES = {
  create: () => import('./create.js'),
  start: () => import('./start.js'),
  state: async () => ({ default: state }),
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
  checkpoint: () => import('./checkpoint.js'),
  restore: () => import('./restore.js'),
  image: () => import('./image.js'),
} satisfies Record<CommandName, () => Promise<{ default: TsrunCommand<any> }>>;

const load: CommandLoader = async (name) => (await MODULES[name]()).default;

runMain(load);
