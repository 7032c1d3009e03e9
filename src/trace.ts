/**
 * Phase timings for performance work: with TSRUN_TRACE=1 every command prints, on stderr as it
 * exits, one line of milliseconds since the process started at each mark ("trace: cli 4.1 spec
 * 6.0 ..."). Off, a mark costs one comparison. `make bench` measures totals; this says where a
 * command's time goes between them.
 */
import { writeSync } from 'node:fs';

const enabled = process.env.TSRUN_TRACE === '1';
const marks: string[] = [];

export function mark(name: string): void {
  if (!enabled) return;
  if (marks.length === 0) process.once('exit', () => writeSync(2, `trace: ${marks.join(' ')}\n`));
  marks.push(`${name} ${performance.now().toFixed(1)}`);
}
