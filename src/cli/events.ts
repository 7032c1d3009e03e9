/** `events`' command line: the --interval duration (Go's syntax, as runc takes it) and --stats. */
import { UsageError } from '../errors.js';
import { containerEvents } from '../lifecycle/events.js';
import { checkContainerId } from '../state/store.js';
import { idPositional, type TsrunCommand } from './command.js';
import { writeOut } from '../sys/fdio.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration ("5s", "1m30s", "250ms", "1.5h") into milliseconds, as time.ParseDuration. */
export function parseGoDuration(text: string): number {
  const invalid = () => new UsageError(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  const re = /^(\d+\.?\d*|\.\d+)([^\d.]*)/;
  while (s !== '') {
    const m = re.exec(s);
    if (!m) throw invalid();
    if (m[2] === '') throw new UsageError(`time: missing unit in duration ${JSON.stringify(text)}`);
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) throw new UsageError(`time: unknown unit ${JSON.stringify(m[2])} in duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * unit;
    s = s.slice(m[0].length);
  }
  return sign * total;
}


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
