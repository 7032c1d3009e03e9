/** Signal names and numbers as runc's parseSignal accepts them: "KILL", "SIGKILL", "kill", "9". */
import { os } from '../sys/builtins.js';
import { UsageError } from '../errors.js';

export function parseSignal(raw: string | undefined): number {
  const s = (raw ?? 'SIGTERM').trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    // 0 probes without signalling, as kill(2) does; runc takes any number.
    if (n > 64) throw new UsageError(`invalid signal: ${s}`);
    return n;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const off = Number(rt[1] ?? 0);
    const n = name.startsWith('SIGRTMIN') ? 34 + off : 64 - off;
    if (n >= 34 && n <= 64) return n;
  }
  const n = (os().constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new UsageError(`unknown signal "${s}"`);
  return n;
}
