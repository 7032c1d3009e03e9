import { resumeContainer } from '../lifecycle/pause.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';

export default {
  command: 'resume [id]',
  describe: 'thaw a paused container',
  builder: idPositional,
  async run(a, ctx) {
    await resumeContainer(ctx.store, checkContainerId(a.id));
  },
} satisfies TsrunCommand<{ id?: string }>;
