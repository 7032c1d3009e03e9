import { createContainer } from '../lifecycle/create.js';
import { idPositional, type TsrunCommand } from './command.js';
import { createFlags, createOptionsFrom, type CreateFlags } from './create-flags.js';

export default {
  command: 'create [id]',
  describe: 'create a container, blocked before the user program until `start`',
  failureNamesContainer: true,
  builder: (y) => createFlags(idPositional(y)),
  async run(a, ctx) {
    await createContainer(ctx.store, { ...createOptionsFrom(a, ctx), detached: true });
  },
} satisfies TsrunCommand<CreateFlags & { id?: string }>;
