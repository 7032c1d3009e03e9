import { listContainers, renderTable } from '../lifecycle/list.js';
import { UsageError } from '../errors.js';
import type { TsrunCommand } from './command.js';
import { writeOut } from '../sys/fdio.js';

export default {
  command: 'list',
  describe: 'list the containers under the root',
  builder: (y) =>
    y
      .option('format', { alias: 'f', type: 'string', default: 'table', describe: 'table or json' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'print the ids only' }),
  run(a, ctx) {
    if (a.format !== 'table' && a.format !== 'json') throw new UsageError(`invalid format option "${a.format}"`);
    const entries = listContainers(ctx.store, (m) => ctx.logger.log('warning', m));
    if (a.quiet) return writeOut(entries.map((e) => `${e.state.id}\n`).join(''));
    if (a.format === 'json') return writeOut(JSON.stringify(entries.length ? entries.map((e) => e.state) : null) + '\n');
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
    for (const { state: s, owner } of entries) rows.push([String(s.id), String(s.pid), String(s.status), String(s.bundle), String(s.created), owner]);
    writeOut(renderTable(rows));
  },
} satisfies TsrunCommand<{ format?: string; quiet?: boolean }>;
