import { UsageError } from '../errors.js';
import { containerPids, filterPsTable, runHostPs } from '../lifecycle/ps.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';
import { writeOut } from '../sys/fdio.js';

export default {
  command: 'ps [id]',
  describe: 'list the processes of a container: ps [--format table|json] ID [ps options (default -ef)]',
  builder: (y) => idPositional(y).option('format', { alias: 'f', type: 'string', default: 'table', describe: 'table or json' }),
  run(a, ctx) {
    const id = checkContainerId(a.id);
    if (a.format !== 'table' && a.format !== 'json') throw new UsageError(`invalid format option "${a.format}"`);
    const pids = containerPids(ctx.store, id);
    // Like runc (json.Encoder): one line; the shim json-decodes it into []int.
    if (a.format === 'json') return writeOut(JSON.stringify(pids) + '\n');
    writeOut(filterPsTable(runHostPs(ctx.rest), pids));
  },
} satisfies TsrunCommand<{ id?: string; format?: string }>;
