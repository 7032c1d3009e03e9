/**
 * Applies one layer tar to a directory (image-spec layer.md), read with npm tar's Parser. Two
 * forms of whiteout:
 *   - 'delete' (copy mode, a rootfs): `.wh.NAME` removes NAME, `.wh..wh..opq` empties the
 *     directory of what lower layers put there;
 *   - 'overlay' (the layer store): they become what overlayfs reads, a 0:0 character device
 *     and the `trusted.overlay.opaque` xattr.
 * A tar is untrusted: an absolute path, a `..` component or a parent that is a symlink is
 * refused (every parent is checked with lstat inside the root, never followed), and so are more
 * entries than `maxEntries`. Errors name the layer and the tar entry.
 */
import { createHash } from 'node:crypto';
import {
  closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync,
  openSync, readdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeSync, chmodSync, constants,
} from 'node:fs';
import { once } from 'node:events';
import { Parser, type ReadEntry } from 'tar';
import { ConfigError, isTsrunError } from '../errors.js';
import { mknod, setXattr } from '../sys/nodes.js';
import { layerChunks } from './compression.js';

export type WhiteoutForm = 'delete' | 'overlay';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
export const DEFAULT_MAX_ENTRIES = 1_000_000;

export interface ApplyOptions {
  whiteouts: WhiteoutForm;
  /** Names the layer in errors, e.g. `layer 2 (sha256:...)`. */
  what: string;
  maxEntries?: number;
  /** Called after each entry with the running count. */
  progress?: (entries: number) => void;
}

export interface ApplyResult {
  entries: number;
  /** sha256 of the uncompressed tar: the layer's diff id. */
  diffId: string;
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const NODE_TYPES: Record<string, number> = { CharacterDevice: S_IFCHR, BlockDevice: S_IFBLK, FIFO: S_IFIFO };

/** The components of a tar entry's path, relative to the root; hostile forms throw. */
export function entryComponents(raw: string, field = 'path'): string[] {
  if (raw.startsWith('/')) throw new Error(`${field} "${raw}" is absolute`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`${field} "${raw}" climbs out with ".."`);
  return parts;
}

/** A layer blob applied to `root`: decompressed by its media type, verified against `diffId` when given. */
export async function applyLayerBlob(root: string, blob: string, mediaType: string, opts: ApplyOptions & { diffId?: string }): Promise<ApplyResult> {
  const result = await applyTarStream(root, layerChunks(blob, mediaType, opts.what), opts);
  if (opts.diffId && result.diffId !== opts.diffId) {
    throw new ConfigError(`${opts.what}: uncompressed content ${result.diffId} does not match the config's diff id ${opts.diffId}`);
  }
  return result;
}

/** Applies a tar given as chunks to `root`. */
export async function applyTarStream(root: string, chunks: AsyncIterable<Buffer>, opts: ApplyOptions): Promise<ApplyResult> {
  const applier = new LayerApplier(root, opts);
  const parser = new Parser({});
  const hash = createHash('sha256');
  let pendingXattrs: Record<string, Buffer> = {};
  parser.on('meta', (meta: string) => {
    pendingXattrs = { ...pendingXattrs, ...paxXattrs(meta) };
  });
  parser.on('entry', (entry: ReadEntry) => {
    const xattrs = pendingXattrs;
    pendingXattrs = {};
    applier.entry(entry, xattrs);
  });
  parser.on('warn', (code: string, message: string | Error) => {
    if (code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ENTRY_INVALID' || code === 'TAR_ABORT' || code === 'TAR_ENTRY_UNSUPPORTED') {
      applier.fail(new ConfigError(`${opts.what}: not a valid tar: ${typeof message === 'string' ? message : message.message}`));
    }
  });
  for await (const chunk of chunks) {
    hash.update(chunk);
    if (applier.failed) break;
    if (!parser.write(chunk)) await once(parser, 'drain');
  }
  if (!applier.failed) {
    const ended = once(parser, 'end');
    parser.end();
    await ended;
  }
  if (applier.failed) throw applier.failed;
  applier.finish();
  return { entries: applier.count, diffId: `sha256:${hash.digest('hex')}` };
}

/** SCHILY.xattr.NAME=value records of a pax extended header (node-tar keeps none of them). */
export function paxXattrs(meta: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const line of meta.split('\n')) {
    const m = /^\d+ SCHILY\.xattr\.([^=]+)=(.*)$/s.exec(line);
    if (m) out[m[1]!] = Buffer.from(m[2]!, 'utf8');
  }
  return out;
}

const isFileEntry = (e: ReadEntry) => e.type === 'File' || e.type === 'OldFile' || e.type === 'ContiguousFile';

class LayerApplier {
  count = 0;
  failed: Error | undefined;
  /** Paths this layer made: an opaque whiteout keeps them. */
  private readonly written = new Set<string>();
  /** Parents known to be real directories inside the root. */
  private readonly checkedDirs = new Set<string>();
  private readonly dirTimes: Array<[string, Date, Date]> = [];
  private readonly max: number;

  constructor(
    private readonly root: string,
    private readonly opts: ApplyOptions,
  ) {
    this.max = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  fail(e: Error): void {
    this.failed ??= e;
  }

  entry(entry: ReadEntry, xattrs: Record<string, Buffer>): void {
    if (this.failed) return void entry.resume();
    try {
      if (++this.count > this.max) throw new Error(`more than ${this.max} entries (--max-entries)`);
      this.apply(entry, xattrs);
      // An entry ends (and the parser goes on) only once it is read: files are, by file().
      if (!isFileEntry(entry)) entry.resume();
      this.opts.progress?.(this.count);
    } catch (e) {
      entry.resume();
      this.fail(isTsrunError(e) ? e : new ConfigError(`${this.opts.what}: tar entry "${entry.path}": ${(e as Error).message}`));
    }
  }

  /** Directory times last, deepest first: entries written into a directory change its mtime. */
  finish(): void {
    for (const [path, atime, mtime] of this.dirTimes.reverse()) utimesSync(path, atime, mtime);
  }

  private abs(parts: string[]): string {
    return parts.length ? `${this.root}/${parts.join('/')}` : this.root;
  }

  private apply(entry: ReadEntry, xattrs: Record<string, Buffer>): void {
    const parts = entryComponents(entry.path);
    // overlayfs's own marks (opaque, redirect, origin) would be obeyed in the store: a layer must not forge them.
    const forged = Object.keys(xattrs).find((k) => k.startsWith('trusted.overlay.'));
    if (forged) throw new Error(`xattr ${forged} is overlayfs's own (a layer says whiteouts with .wh. names)`);
    const name = parts[parts.length - 1] ?? '';
    if (name.startsWith(WHITEOUT_PREFIX)) return this.whiteout(parts, entry);
    if (parts.length === 0 && entry.type !== 'Directory') throw new Error('only a directory may name the root');
    this.parents(parts, true);
    const path = this.abs(parts);
    switch (entry.type) {
      case 'Directory':
        this.directory(path, entry);
        break;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        this.replace(path);
        // Its xattrs once it is owned: chown(2) drops security.capability.
        this.file(path, entry, xattrs);
        this.markWritten(parts);
        return;
      case 'SymbolicLink':
        this.replace(path);
        symlinkSync(String(entry.linkpath), path);
        this.owner(path, entry, true);
        break;
      case 'Link': {
        const target = entryComponents(String(entry.linkpath), 'linkpath');
        this.parents(target, false);
        const st = lstatSync(this.abs(target), { throwIfNoEntry: false });
        if (!st) throw new Error(`hard link to "${entry.linkpath}", which the layers do not hold`);
        if (st.isDirectory()) throw new Error(`hard link to the directory "${entry.linkpath}"`);
        this.replace(path);
        linkSync(this.abs(target), path);
        break;
      }
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        this.replace(path);
        mknod(path, NODE_TYPES[entry.type]! | ((entry.mode ?? 0o644) & 0o7777), entry.header.devmaj ?? 0, entry.header.devmin ?? 0);
        this.owner(path, entry, false);
        chmodSync(path, (entry.mode ?? 0o644) & 0o7777);
        break;
      default:
        throw new Error(`entry type ${entry.type} is not supported`);
    }
    for (const [key, value] of Object.entries(xattrs)) setXattr(path, key, value);
    this.markWritten(parts);
  }

  /** The path and its parents: an opaque whiteout later in this layer keeps them. */
  private markWritten(parts: string[]): void {
    for (let i = 1; i <= parts.length; i++) this.written.add(parts.slice(0, i).join('/'));
  }

  /**
   * Makes sure every parent of `parts` is a real directory inside the root: a symlink is
   * refused, never followed; a missing one is made (0755) when `create`.
   */
  private parents(parts: string[], create: boolean): void {
    let rel = '';
    for (const p of parts.slice(0, -1)) {
      rel = rel ? `${rel}/${p}` : p;
      if (this.checkedDirs.has(rel)) continue;
      const path = `${this.root}/${rel}`;
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st) {
        if (!create) throw new Error(`"${rel}" does not exist`);
        mkdirSync(path, 0o755);
      } else if (st.isSymbolicLink()) {
        throw new Error(`its parent "${rel}" is a symlink (an entry must not be written through one)`);
      } else if (!st.isDirectory()) {
        throw new Error(`its parent "${rel}" is not a directory`);
      }
      this.checkedDirs.add(rel);
    }
  }

  /** Removes what is at path so an entry can take its place (a directory with all it holds). */
  private replace(path: string): void {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      rmSync(path, { recursive: true, force: true });
      this.checkedDirs.clear();
    } else unlinkSync(path);
  }

  private directory(path: string, entry: ReadEntry): void {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) this.replace(path);
    if (!st || !st.isDirectory()) mkdirSync(path);
    this.owner(path, entry, false);
    chmodSync(path, (entry.mode ?? 0o755) & 0o7777);
    const mtime = entry.mtime ?? new Date();
    this.dirTimes.push([path, entry.atime ?? mtime, mtime]);
  }

  /** A regular file: created (O_EXCL, O_NOFOLLOW), filled as the tar streams, then its owner, mode and times. */
  private file(path: string, entry: ReadEntry, xattrs: Record<string, Buffer>): void {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    entry.on('data', (chunk: Buffer) => {
      if (!this.failed) writeSync(fd, chunk);
    });
    entry.on('end', () => {
      try {
        fchownSync(fd, entry.uid ?? 0, entry.gid ?? 0);
        fchmodSync(fd, (entry.mode ?? 0o644) & 0o7777);
        const mtime = entry.mtime ?? new Date();
        futimesSync(fd, entry.atime ?? mtime, mtime);
        for (const [key, value] of Object.entries(xattrs)) setXattr(path, key, value);
      } catch (e) {
        this.fail(new ConfigError(`${this.opts.what}: tar entry "${entry.path}": ${(e as Error).message}`));
      } finally {
        closeSync(fd);
      }
    });
  }

  private owner(path: string, entry: ReadEntry, symlink: boolean): void {
    lchownSync(path, entry.uid ?? 0, entry.gid ?? 0);
    if (symlink) {
      const mtime = entry.mtime ?? new Date();
      lutimesSync(path, entry.atime ?? mtime, mtime);
    }
  }

  private whiteout(parts: string[], entry: ReadEntry): void {
    const name = parts[parts.length - 1]!;
    const dir = parts.slice(0, -1);
    entry.resume();
    if (name === OPAQUE_WHITEOUT) return this.opaque(dir);
    const victim = name.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..' || victim.startsWith(WHITEOUT_PREFIX)) throw new Error(`whiteout of "${victim}" is not a name`);
    const target = [...dir, victim];
    if (this.opts.whiteouts === 'overlay') {
      this.parents(target, true);
      this.replace(this.abs(target));
      mknod(this.abs(target), S_IFCHR, 0, 0);
      this.markWritten(target);
      return;
    }
    // A whiteout under a parent the lower layers do not have removes nothing.
    try {
      this.parents(target, false);
    } catch (e) {
      if (/does not exist/.test((e as Error).message)) return;
      throw e;
    }
    this.replace(this.abs(target));
  }

  private opaque(dir: string[]): void {
    this.parents([...dir, OPAQUE_WHITEOUT], true);
    const path = this.abs(dir);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) mkdirSync(path, 0o755);
    else if (!st.isDirectory()) throw new Error(`opaque whiteout in "${dir.join('/')}", which is not a directory`);
    if (this.opts.whiteouts === 'overlay') return setXattr(path, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
    const prefix = dir.length ? `${dir.join('/')}/` : '';
    for (const child of readdirSync(path)) {
      if (!this.written.has(prefix + child)) rmSync(`${path}/${child}`, { recursive: true, force: true });
    }
    this.checkedDirs.clear();
  }
}
