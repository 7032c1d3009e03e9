import { containerEvents, parseGoDuration } from '../lifecycle/events.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';
import { writeOut } from '../sys/fdio.js';

export default {
  command: 'events [id]',
  describe: 'print container events (stats every interval, oom) until it stops; --stats prints the stats once',
  builder: (y) =>
    idPositional(y)
      .option('interval', { type: 'string', default: '5s', describe: 'stats interval (a Go duration: 5s, 500ms, 1m)' })
      .option('stats', { type: 'boolean', describe: "print the container's stats once and exit" }),
  async run(a, ctx) {
    const id = checkContainerId(a.id);
    const intervalMs = parseGoDuration(String(a.interval ?? '5s'));
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await containerEvents(ctx.store, id, {
        statsOnly: a.stats === true,
        intervalMs,
        write: writeOut,
        warn: (m) => ctx.logger.log('warning', m),
        signal: abort.signal,
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
} satisfies TsrunCommand<{ id?: string; interval?: string; stats?: boolean }>;
