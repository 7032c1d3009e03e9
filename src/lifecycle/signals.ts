/** Signal names and numbers as runc's parseSignal accepts them: "KILL", "SIGKILL", "kill", "9". */
import { UsageError } from '../errors.js';

/**
 * Linux's numbers (the same on x86-64 and arm64), as a table: node:os's would be one more module
 * for the compiled Bun program to load at every `kill`.
 */
export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16,
  SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24,
  SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

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
  const n = SIGNALS[name];
  if (n === undefined) throw new UsageError(`unknown signal "${s}"`);
  return n;
}
