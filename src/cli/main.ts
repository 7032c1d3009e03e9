/**
 * tsrun's entry point as compiled by tsc (one module per file): commands are imported on demand.
 * The installed entry point is the bundle built from bundle-entry.ts (see scripts/bundle.mjs).
 */
import type { TsrunCommand } from './command.js';
import { runMain, type CommandLoader } from './cli.js';
// state, which managers call most often, is part of the program's first chunk: a dynamic import
// costs a compiled Bun program 0.2 ms more than a static one.
import state from './state.js';

const MODULES: Record<string, () => Promise<{ default: TsrunCommand<any> }>> = {
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
};

const load: CommandLoader = async (name) => (await MODULES[name]?.())?.default;

runMain(load);
