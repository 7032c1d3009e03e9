/**
 * Phase timings for performance work: with TSRUN_TRACE=1 every command prints, on stderr as it
 * exits, one line of milliseconds since the process started at each mark ("trace: cli … spec
 * …"; docs/engines.md). Off, a mark costs one comparison. `make bench` measures totals; this says where a
 * command's time goes between them. The marks live on a global, so the Node dispatcher and the
 * command bundle it loads (each with its own copy of this module) print one line together.
 */
import { writeAll } from './sys/file.js';

const enabled = process.env.TSRUN_TRACE === '1';
const KEY = Symbol.for('tsrun.trace');

export function mark(name: string): void {
  if (!enabled) return;
  const g = globalThis as { [KEY]?: string[] };
  let marks = g[KEY];
  if (!marks) {
    marks = g[KEY] = [];
    process.once('exit', () => writeAll(2, `trace: ${marks!.join(' ')}\n`));
  }
  marks.push(`${name} ${performance.now().toFixed(1)}`);
}
