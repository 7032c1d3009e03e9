/**
 * Facts about processes read from /proc, through sys/file.ts: no koffi, so the commands that only
 * look at a container (state, list, kill, delete) never load it.
 */
import { nodeFs } from './builtins.js';
import { readText } from './file.js';

export interface ProcStat {
  pid: number;
  /** Single-letter state: R S D Z T t X ... */
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot: with the pid, identifies a process across pid reuse. */
  starttime: number;
}

/** Parses /proc/PID/stat text. The command name may hold spaces and parentheses: split at the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); starttime is field 22.
  return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), starttime: Number(fields[19]) };
}

/** Reads /proc/PID/stat, or undefined when the process does not exist. */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  try {
    return parseProcStat(readText(`${procRoot}/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/**
 * True when pid is alive (not a zombie) and is the very process that started at `starttime`.
 * This is what keeps `kill` and `state` from acting on a recycled pid.
 */
export function isSameLiveProcess(pid: number, starttime: number, procRoot = '/proc'): boolean {
  if (!(pid > 0)) return false;
  const st = readProcStat(pid, procRoot);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.starttime === starttime;
}

/** The fields of /proc/PID/status as a map (Name, State, Uid, CapEff, ...). */
export function readProcStatus(pid: number | 'self'): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readText(`/proc/${pid}/status`).split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/** The /proc/PID/ns entry of each namespace type. */
export const NS_PROC_NAME: Record<string, string> = {
  user: 'user',
  ipc: 'ipc',
  uts: 'uts',
  network: 'net',
  pid: 'pid',
  cgroup: 'cgroup',
  time: 'time',
  mount: 'mnt',
};


/** Namespace types in which the container's init differs from tsrun: exec joins exactly these. */
export function namespacesToJoin(initPid: number): Set<string> {
  const join = new Set<string>();
  const { statSync } = nodeFs();
  for (const [type, name] of Object.entries(NS_PROC_NAME)) {
    try {
      if (statSync(`/proc/${initPid}/ns/${name}`).ino !== statSync(`/proc/self/ns/${name}`).ino) join.add(type);
    } catch {
      /* a namespace type this kernel lacks */
    }
  }
  return join;
}

