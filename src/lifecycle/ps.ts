/**
 * ps: the host pids of a container's cgroup (what containerd's shim parses from
 * `ps --format json`), and runc's table mode: run the host `ps` with the caller's arguments
 * (default -ef) and keep the header plus the lines whose PID column is one of the container's.
 */
import { childProcess } from '../sys/builtins.js';
import { TsrunError } from '../errors.js';
import type { StateStore } from '../state/store.js';
import { cgroupOf } from './cgroup.js';
import { loadContainer } from './container.js';

/** Every pid in the container's cgroup (and its sub-cgroups), sorted; [] when it has none. */
export function containerPids(store: StateStore, id: string): number[] {
  const c = loadContainer(store, id);
  const cg = cgroupOf(c.rec);
  if (!cg) return c.status === 'stopped' ? [] : [c.rec.pid];
  if (!cg.exists()) return [];
  return cg.pids().sort((a, b) => a - b);
}

/** The index of the PID column in a ps header (runc's getPidIndex). */
export function pidIndex(header: string): number {
  const i = header.trim().split(/\s+/).indexOf('PID');
  if (i < 0) throw new TsrunError("couldn't find PID field in ps output");
  return i;
}

/** runc's filtering of `ps` output: the header, then each non-empty line whose PID is in pids. */
export function filterPsTable(output: string, pids: Iterable<number>): string {
  const lines = output.split('\n');
  const header = lines[0] ?? '';
  const idx = pidIndex(header);
  const want = new Set(pids);
  const out = [header];
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue;
    const field = line.trim().split(/\s+/)[idx];
    const pid = Number(field);
    if (field === undefined || !/^\d+$/.test(field)) throw new TsrunError(`unable to parse pid: ${JSON.stringify(field ?? '')} in ps line ${JSON.stringify(line)}`);
    if (want.has(pid)) out.push(line);
  }
  return out.join('\n') + '\n';
}

/** Runs the host ps (stdin and stderr not inherited: nothing may hold the caller's pipes). */
export function runHostPs(args: string[]): string {
  const r = childProcess().spawnSync('ps', args.length > 0 ? args : ['-ef'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new TsrunError(`ps: ${r.error.message}`);
  if (r.status !== 0) throw new TsrunError(`ps ${args.join(' ')}: exit status ${r.status ?? r.signal}: ${(r.stdout + r.stderr).trim()}`);
  return r.stdout;
}
