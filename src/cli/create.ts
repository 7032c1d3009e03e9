import { createContainer } from '../lifecycle/create.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';
import { createFlags, type CreateFlags } from './create-flags.js';

export default {
  command: 'create [id]',
  describe: 'create a container, blocked before the user program until `start`',
  builder: (y) => createFlags(idPositional(y)),
  async run(a, ctx) {
    await createContainer(ctx.store, {
      id: checkContainerId(a.id),
      bundle: a.bundle,
      pidFile: a['pid-file'],
      consoleSocket: a['console-socket'],
      noPivot: a['no-pivot'],
      noNewKeyring: a['no-new-keyring'],
      preserveFds: a['preserve-fds'],
      detached: true,
      debug: (m) => ctx.logger.log('debug', m),
        systemdCgroup: ctx.systemdCgroup,
    });
  },
} satisfies TsrunCommand<CreateFlags & { id?: string }>;
