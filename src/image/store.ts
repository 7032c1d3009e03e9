/**
 * The shared layer store of overlay bundles: each layer extracted once, in overlayfs form,
 * under `<store>/sha256/<diff id hex>`, and used read-only as a lower dir by every bundle made
 * from it. Layout:
 *   sha256/<hex>/   a complete layer (only ever appears whole: extracted in tmp/, then renamed)
 *   tmp/            extractions in progress (a crashed one is removed by the next gc)
 *   locks/<hex>     held while one process extracts that layer; others wait for it, then use it
 *   locks/store     held while refs change and while gc runs
 *   refs/<hash>.json  one per bundle: its path and the layers it uses
 * A bundle's ref is written before its layers are extracted, so gc (which removes only layers
 * no live ref names) never takes a layer an unpack is about to use.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TsrunError } from '../errors.js';
import { withLockFile } from '../state/store.js';
import { sha256hex } from '../sys/builtins.js';
import { parseDigest, writeAtomic } from './layout.js';

/** Where layers go: TSRUN_LAYER_STORE, else /var/lib/tsrun/layers for root, else the XDG data dir. */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.TSRUN_LAYER_STORE) return resolve(env.TSRUN_LAYER_STORE);
  if (uid === 0) return '/var/lib/tsrun/layers';
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'tsrun', 'layers');
}

/** An extraction may take minutes: a waiter gives up only after this long. */
const EXTRACT_WAIT_MS = 60 * 60 * 1000;

export interface StoreRef {
  bundle: string;
  layers: string[];
}

export class LayerStore {
  constructor(readonly dir: string) {}

  layerDir(diffId: string): string {
    return join(this.dir, 'sha256', parseDigest(diffId, 'diff id').encoded);
  }

  has(diffId: string): boolean {
    return existsSync(this.layerDir(diffId));
  }

  private init(): void {
    for (const d of ['sha256', 'tmp', 'locks', 'refs']) mkdirSync(join(this.dir, d), { recursive: true, mode: 0o700 });
  }

  private lock<T>(name: string, fn: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
    const lock = join(this.dir, 'locks', name);
    return withLockFile(
      lock,
      { missing: () => new TsrunError(`layer store ${this.dir}: no locks folder`), busy: (holder) => new TsrunError(`layer store ${this.dir}: ${name} is locked by ${holder}`) },
      fn,
      timeoutMs,
    );
  }

  /**
   * The layer's directory, extracting it with `extract(tmpDir)` when the store does not hold it.
   * Two processes wanting one layer: the first extracts, the second waits on the layer's lock and
   * then finds it there. Readers never see a half-extracted layer (rename of a finished one).
   */
  async ensureLayer(diffId: string, extract: (tmpDir: string) => Promise<void>): Promise<{ dir: string; extracted: boolean }> {
    this.init();
    const dir = this.layerDir(diffId);
    if (existsSync(dir)) return { dir, extracted: false };
    const hex = parseDigest(diffId, 'diff id').encoded;
    return this.lock(
      hex,
      async () => {
        if (existsSync(dir)) return { dir, extracted: false };
        const tmp = join(this.dir, 'tmp', `${hex}-${process.pid}-${randomBytes(4).toString('hex')}`);
        mkdirSync(tmp, { mode: 0o755 });
        try {
          await extract(tmp);
          renameSync(tmp, dir);
        } catch (e) {
          rmSync(tmp, { recursive: true, force: true });
          throw e;
        }
        return { dir, extracted: true };
      },
      EXTRACT_WAIT_MS,
    );
  }

  private refFile(bundle: string): string {
    return join(this.dir, 'refs', `${sha256hex(bundle).slice(0, 32)}.json`);
  }

  /** Records that `bundle` uses `layers` (before they are extracted: gc keeps them from then on). */
  async addRef(bundle: string, layers: string[]): Promise<void> {
    this.init();
    await this.lock('store', () => writeAtomic(this.refFile(bundle), JSON.stringify({ bundle, layers } satisfies StoreRef)));
  }

  refs(): StoreRef[] {
    const dir = join(this.dir, 'refs');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => {
        try {
          return [JSON.parse(readFileSync(join(dir, f), 'utf8')) as StoreRef];
        } catch {
          return [];
        }
      });
  }

  /**
   * Removes the refs of bundles that are gone (or no longer use the store), then every layer no
   * ref names, and leftovers of crashed extractions. `inUse(ref)` says whether a bundle still
   * uses its layers. Returns the diff ids removed.
   */
  async gc(inUse: (ref: StoreRef) => boolean): Promise<string[]> {
    if (!existsSync(join(this.dir, 'sha256'))) return [];
    this.init();
    return this.lock('store', async () => {
      const keep = new Set<string>();
      for (const ref of this.refs()) {
        if (inUse(ref)) ref.layers.forEach((l) => keep.add(l));
        else rmSync(this.refFile(ref.bundle), { force: true });
      }
      const removed: string[] = [];
      for (const hex of readdirSync(join(this.dir, 'sha256'))) {
        const diffId = `sha256:${hex}`;
        if (keep.has(diffId)) continue;
        // Never one being extracted (its lock is held): skip it when busy.
        await this.lock(hex, () => {
          const trash = join(this.dir, 'tmp', `gc-${hex}-${process.pid}`);
          renameSync(join(this.dir, 'sha256', hex), trash);
          rmSync(trash, { recursive: true, force: true });
          removed.push(diffId);
        }, 0).catch(() => undefined);
      }
      for (const t of readdirSync(join(this.dir, 'tmp'))) {
        const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(t)?.[1]);
        if (!pid || !existsSync(`/proc/${pid}`)) rmSync(join(this.dir, 'tmp', t), { recursive: true, force: true });
      }
      return removed;
    });
  }
}
