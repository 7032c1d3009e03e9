import { deleteContainer } from '../lifecycle/delete.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';

export default {
  command: 'delete [id]',
  describe: 'delete a stopped (or, with --force, any) container and what it holds',
  builder: (y) => idPositional(y).option('force', { alias: 'f', type: 'boolean', describe: 'kill the container first if it runs' }),
  async run(a, ctx) {
    for (const w of await deleteContainer(ctx.store, checkContainerId(a.id), a.force === true)) ctx.logger.log('warning', w);
  },
} satisfies TsrunCommand<{ id?: string; force?: boolean }>;
