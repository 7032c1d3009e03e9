/** list: every container under the root, as runc prints them (table, json, or ids only). */
import { readText } from '../sys/file.js';
import type { StateStore } from '../state/store.js';
import { loadContainer, ociState } from './container.js';

export interface ListEntry {
  state: Record<string, unknown>;
  owner: string;
}

function userNames(): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readText('/etc/passwd').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid) names.set(Number(uid), name);
    }
  } catch {
    /* no passwd: owners print as #uid */
  }
  return names;
}

/** Errors of a folder that is not a tsrun container. By name: a command's bundle chunk may carry its own copy of the classes. */
const NOT_TSRUNS = new Set(['ContainerNotExistError', 'ForeignStateError']);

/**
 * Loads every container; one that cannot be loaded is reported through warn and skipped. A folder
 * with no state.json or another runtime's is skipped quietly: managers share one root between runtimes.
 */
export function listContainers(store: StateStore, warn: (msg: string) => void): ListEntry[] {
  const names = userNames();
  const out: ListEntry[] = [];
  for (const id of store.ids()) {
    try {
      const c = loadContainer(store, id);
      const owner = names.get(c.rec.uid) ?? `#${c.rec.uid}`;
      out.push({ state: { ...ociState(c), owner }, owner });
    } catch (e) {
      if (NOT_TSRUNS.has((e as Error).name)) continue;
      warn(`list: skipping ${id}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** runc's tabwriter layout: columns padded to the widest cell plus one space. */
export function renderTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 1))).join('').trimEnd() + '\n').join('');
}
