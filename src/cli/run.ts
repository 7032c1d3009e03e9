import { runContainer } from '../lifecycle/run.js';
import { idPositional, type TsrunCommand } from './command.js';
import { createFlags, createOptionsFrom, type CreateFlags } from './create-flags.js';

export default {
  command: 'run [id]',
  describe: 'create and start a container; in the foreground, wait for it and exit with its status',
  failureNamesContainer: true,
  builder: (y) =>
    createFlags(idPositional(y))
      .option('keep', { type: 'boolean', describe: 'do not delete the container after it exits' })
      .option('no-subreaper', { type: 'boolean', describe: 'accepted for runc compatibility' }),
  async run(a, ctx) {
    return runContainer(ctx.store, { ...createOptionsFrom(a, ctx), detach: a.detach === true, keep: a.keep }, (w) => ctx.logger.log('warning', w));
  },
} satisfies TsrunCommand<CreateFlags & { id?: string; keep?: boolean }>;
