import { pauseContainer } from '../lifecycle/pause.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';

export default {
  command: 'pause [id]',
  describe: 'freeze every process of a container (cgroup freezer)',
  builder: idPositional,
  async run(a, ctx) {
    await pauseContainer(ctx.store, checkContainerId(a.id));
  },
} satisfies TsrunCommand<{ id?: string }>;
