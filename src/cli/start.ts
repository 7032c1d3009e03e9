import { startContainer } from '../lifecycle/start.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';

export default {
  command: 'start [id]',
  describe: 'start the user program of a created container',
  builder: idPositional,
  async run(a, ctx) {
    await startContainer(ctx.store, checkContainerId(a.id));
  },
} satisfies TsrunCommand<{ id?: string }>;
