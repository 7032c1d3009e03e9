/**
 * tsrun's entry point as compiled by tsc (one module per file): commands are imported on demand.
 * The installed entry point is the bundle built from bundle-entry.ts (see scripts/bundle.mjs).
 */
import type { TsrunCommand } from './command.js';
import { runCli, type CommandLoader } from './cli.js';

const MODULES: Record<string, () => Promise<{ default: TsrunCommand<any> }>> = {
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
  checkpoint: () => import('./checkpoint.js'),
  restore: () => import('./restore.js'),
};

const load: CommandLoader = async (name) => (await MODULES[name]?.())?.default;

runCli(process.argv.slice(2), load).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`tsrun: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
