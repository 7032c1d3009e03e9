import { killContainer } from '../lifecycle/kill.js';
import { parseSignal } from '../lifecycle/signals.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';

export default {
  command: 'kill [id]',
  describe: 'send a signal (default SIGTERM) to the container init, or with --all to all its processes',
  builder: (y) => idPositional(y).option('all', { alias: 'a', type: 'boolean', describe: 'signal every process of the container' }),
  async run(a, ctx) {
    const signal = parseSignal(ctx.rest[0]);
    await killContainer(ctx.store, checkContainerId(a.id), signal, a.all === true);
  },
} satisfies TsrunCommand<{ id?: string; all?: boolean }>;
