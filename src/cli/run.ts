import { runContainer } from '../lifecycle/run.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';
import { createFlags, type CreateFlags } from './create-flags.js';

export default {
  command: 'run [id]',
  describe: 'create and start a container; in the foreground, wait for it and exit with its status',
  builder: (y) =>
    createFlags(idPositional(y))
      .option('keep', { type: 'boolean', describe: 'do not delete the container after it exits' })
      .option('no-subreaper', { type: 'boolean', describe: 'accepted for runc compatibility' }),
  async run(a, ctx) {
    return runContainer(
      ctx.store,
      {
        id: checkContainerId(a.id),
        bundle: a.bundle,
        pidFile: a['pid-file'],
        consoleSocket: a['console-socket'],
        noPivot: a['no-pivot'],
        noNewKeyring: a['no-new-keyring'],
        preserveFds: a['preserve-fds'],
        debug: (m) => ctx.logger.log('debug', m),
        systemdCgroup: ctx.systemdCgroup,
        detach: a.detach === true,
        keep: a.keep,
      },
      (w) => ctx.logger.log('warning', w),
    );
  },
} satisfies TsrunCommand<CreateFlags & { id?: string; keep?: boolean }>;
