import { loadContainer, ociState } from '../lifecycle/container.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';
import { writeOut } from '../sys/fdio.js';

export default {
  command: 'state [id]',
  describe: 'print the OCI state of a container',
  builder: idPositional,
  run(a, ctx) {
    // Indented like runc, with no trailing newline: callers read it as runc's (docs/contract.md).
    writeOut(JSON.stringify(ociState(loadContainer(ctx.store, checkContainerId(a.id))), null, 2));
  },
} satisfies TsrunCommand<{ id?: string }>;
