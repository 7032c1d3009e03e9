/**
 * Host process and cgroup look-ups shared by the integration tests and the benchmarks: what a
 * test made must be found and removed, and only that.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every cgroup hierarchy root: each v1 controller and the unified one (or /sys/fs/cgroup itself on v2). */
export function cgroupBases(): string[] {
  const top = '/sys/fs/cgroup';
  if (existsSync(join(top, 'cgroup.controllers'))) return [top];
  let names: string[] = [];
  try { names = readdirSync(top); } catch { return []; }
  return names
    .map((n) => join(top, n))
    .filter((p) => { try { return statSync(p).isDirectory() && existsSync(join(p, 'cgroup.procs')); } catch { return false; } });
}

/** Host pids whose cgroup path (in any hierarchy) is `rel` or below it. */
export function pidsInCgroup(rel: string): number[] {
  const want = rel.replace(/\/+$/, '');
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try { text = readFileSync(`/proc/${name}/cgroup`, 'utf8'); } catch { continue; }
    for (const line of text.split('\n')) {
      const path = line.split(':').slice(2).join(':');
      if (path === want || path.startsWith(want + '/')) { pids.push(Number(name)); break; }
    }
  }
  return pids;
}

/** Host pids whose command line contains `needle` (ours: it names one of our temp dirs). */
export function pidsWithCmdline(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) pids.push(Number(name));
    } catch { /* gone */ }
  }
  return pids;
}

export function killPids(pids: number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) { try { process.kill(pid, signal); } catch { /* gone */ } }
}
