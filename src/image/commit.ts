/**
 * `tsrun image commit`: an overlay bundle's read-write layer (its upper dir) made a new layer on
 * top of the image it was unpacked from, written to a layout under a ref. The upper dir is in
 * overlayfs form and the layer in image-spec form: a 0:0 character device (a deleted file)
 * becomes `.wh.NAME`, a directory marked opaque (replaced) gets `.wh..wh..opq`. Left out: the
 * init layer's files and every mount destination (volumes and the runtime's own mounts), which
 * belong to the container, not to the image.
 */
import { once } from 'node:events';
import { closeSync, copyFileSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, renameSync, writeSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, posix, resolve } from 'node:path';
import { createGzip } from 'node:zlib';
import { ConfigError, SysError, UsageError } from '../errors.js';
import { overlayRoot } from '../plan/overlay.js';
import type { ImageConfig, ImageDescriptor, ImageIndex, ImageManifest } from '../spec/types.generated.js';
import { getXattr, listXattrs } from '../sys/nodes.js';
import { OPAQUE_WHITEOUT, OVERLAY_OPAQUE_XATTR, WHITEOUT_PREFIX } from './apply.js';
import { INIT_FILES } from './init-layer.js';
import { MEDIA, blobPath, ensureLayout, readJsonBlob, readLayoutIndex, writeAtomic, writeBlob } from './layout.js';
import type { Progress } from './progress.js';
import { REF_ANNOTATION, parseImageRef, readManifest } from './select.js';
import { TAR_END, entryHeader, padding, type TarEntry } from './tar-write.js';
import { IMAGE_ANNOTATIONS } from './unpack.js';

interface BundleConfig {
  annotations?: Record<string, string>;
  mounts?: Array<{ destination: string }>;
}

export interface CommitResult {
  manifest: ImageDescriptor;
  layer: ImageDescriptor;
  diffId: string;
  entries: number;
}

/** Paths (relative, no leading /) the layer leaves out, with all beneath them. */
export function excludedPaths(config: BundleConfig): Set<string> {
  const out = new Set<string>(INIT_FILES);
  for (const m of config.mounts ?? []) out.add(posix.normalize(m.destination).replace(/^\/+|\/+$/g, ''));
  out.delete('');
  return out;
}

function isExcluded(rel: string, excluded: Set<string>): boolean {
  for (let p = rel; p !== '.' && p !== ''; p = posix.dirname(p)) if (excluded.has(p)) return true;
  return false;
}

/** Extended attributes a layer carries: not overlayfs's own bookkeeping. */
function entryXattrs(path: string): Record<string, Buffer> | undefined {
  const out: Record<string, Buffer> = {};
  for (const name of listXattrs(path)) {
    if (name.startsWith('trusted.overlay.')) continue;
    const v = getXattr(path, name);
    if (v) out[name] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** A layer tar written through gzip to a file, hashing both the tar (diff id) and the blob (digest). */
class LayerWriter {
  private readonly gzip = createGzip();
  private readonly tarHash = createHash('sha256');
  private readonly blobHash = createHash('sha256');
  private readonly fd: number;
  size = 0;
  entries = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w', 0o644);
    this.gzip.on('data', (c: Buffer) => {
      this.blobHash.update(c);
      this.size += c.length;
      writeSync(this.fd, c);
    });
  }

  async write(buf: Buffer): Promise<void> {
    this.tarHash.update(buf);
    if (!this.gzip.write(buf)) await once(this.gzip, 'drain');
  }

  async entry(e: TarEntry, file?: string): Promise<void> {
    this.entries++;
    await this.write(entryHeader(e));
    if (!file || !e.size) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      let left = e.size;
      while (left > 0) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
        if (n === 0) throw new ConfigError(`${file}: shrank while it was committed`);
        await this.write(Buffer.from(buf.subarray(0, n)));
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
    await this.write(padding(e.size));
  }

  async finish(): Promise<{ digest: string; diffId: string; size: number }> {
    await this.write(TAR_END);
    const ended = once(this.gzip, 'end');
    this.gzip.end();
    await ended;
    closeSync(this.fd);
    return { digest: `sha256:${this.blobHash.digest('hex')}`, diffId: `sha256:${this.tarHash.digest('hex')}`, size: this.size };
  }
}

/** Walks the upper dir in sorted order (parents first), writing the layer's entries. */
async function writeUpperDir(upper: string, excluded: Set<string>, out: LayerWriter, progress?: Progress): Promise<void> {
  const links = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const dir = rel ? join(upper, rel) : upper;
    for (const name of readdirSync(dir).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (isExcluded(r, excluded)) continue;
      const path = join(upper, r);
      const st = lstatSync(path);
      await writeEntry(path, r, st, links, out);
      progress?.update('commit', out.entries);
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
}

async function writeEntry(path: string, rel: string, st: Stats, links: Map<string, string>, out: LayerWriter): Promise<void> {
  const base = { mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime };
  if (st.isCharacterDevice() && st.rdev === 0) {
    // overlayfs's whiteout: the file was deleted in the container.
    return out.entry({ ...base, path: posix.join(posix.dirname(rel), WHITEOUT_PREFIX + posix.basename(rel)), type: 'File', mode: 0o644, size: 0 });
  }
  const xattrs = entryXattrs(path);
  if (st.isDirectory()) {
    await out.entry({ ...base, path: rel, type: 'Directory', xattrs });
    if (getXattr(path, OVERLAY_OPAQUE_XATTR)?.toString() === 'y') {
      await out.entry({ ...base, path: `${rel}/${OPAQUE_WHITEOUT}`, type: 'File', mode: 0o644, size: 0 });
    }
    return;
  }
  if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first) return out.entry({ ...base, path: rel, type: 'Link', linkpath: first, size: 0 });
    if (st.nlink > 1) links.set(key, rel);
    return out.entry({ ...base, path: rel, type: 'File', size: st.size, xattrs }, path);
  }
  if (st.isSymbolicLink()) return out.entry({ ...base, path: rel, type: 'SymbolicLink', linkpath: readlinkSync(path), xattrs });
  if (st.isFIFO()) return out.entry({ ...base, path: rel, type: 'FIFO', xattrs });
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const devmaj = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
    const devmin = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & ~0xffn));
    return out.entry({ ...base, path: rel, type: st.isCharacterDevice() ? 'CharacterDevice' : 'BlockDevice', devmaj, devmin, xattrs });
  }
  // Sockets are not part of an image (as in Docker's commit).
}

function readBundleConfig(bundle: string): BundleConfig {
  const file = join(bundle, 'config.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BundleConfig;
  } catch (e) {
    throw SysError.fromNode('read', file, e);
  }
}

/** Copies the blobs of the base image into the target layout when it is another one. */
function copyBlobs(from: string, to: string, descs: ImageDescriptor[]): void {
  if (resolve(from) === resolve(to)) return;
  for (const d of descs) {
    const dst = blobPath(to, d.digest);
    if (!existsSync(dst)) copyFileSync(blobPath(from, d.digest), dst);
  }
}

/** index.json with `desc` under `ref`, replacing what had that ref. */
function tagInIndex(layout: string, desc: ImageDescriptor, ref: string): void {
  const index: ImageIndex = readLayoutIndex(layout);
  const manifests = index.manifests.filter((m) => m.annotations?.[REF_ANNOTATION] !== ref);
  manifests.push({ ...desc, annotations: { [REF_ANNOTATION]: ref } });
  writeAtomic(join(layout, 'index.json'), JSON.stringify({ ...index, manifests }));
}

export async function commitBundle(bundleArg: string, target: string, opts: { progress?: Progress; comment?: string } = {}): Promise<CommitResult> {
  const bundle = resolve(bundleArg);
  const { layout: rel, ref } = parseImageRef(target);
  if (!ref) throw new UsageError(`commit needs LAYOUT:REF, got "${target}"`);
  const config = readBundleConfig(bundle);
  const overlay = overlayRoot(config.annotations, bundle);
  if (!overlay) throw new UsageError(`${bundle}: not an overlay bundle (tsrun image unpack --overlay): a copied rootfs keeps no record of what changed`);
  const sourceLayout = config.annotations?.[IMAGE_ANNOTATIONS.layout];
  const manifestDigest = config.annotations?.[IMAGE_ANNOTATIONS.manifest];
  if (!sourceLayout || !manifestDigest) throw new ConfigError(`${bundle}/config.json: /annotations: ${IMAGE_ANNOTATIONS.layout} and ${IMAGE_ANNOTATIONS.manifest} name the base image and are required`);
  const layout = resolve(rel);
  ensureLayout(layout);

  const baseDesc = findNestedManifest(sourceLayout, manifestDigest);
  const baseManifest = readManifest(sourceLayout, baseDesc);
  const baseConfig = readJsonBlob<ImageConfig>(sourceLayout, baseManifest.config, 'validateImageConfig', 'config');

  const tmp = join(layout, 'blobs', 'sha256', `.commit-${process.pid}`);
  const writer = new LayerWriter(tmp);
  await writeUpperDir(overlay.upper, excludedPaths(config), writer, opts.progress);
  const { digest, diffId, size } = await writer.finish();
  opts.progress?.done();
  renameSync(tmp, blobPath(layout, digest));
  const layer: ImageDescriptor = { mediaType: MEDIA.layerGzip, digest, size };

  const created = new Date().toISOString();
  const newConfig: ImageConfig = {
    ...baseConfig,
    created,
    rootfs: { type: 'layers', diff_ids: [...baseConfig.rootfs.diff_ids, diffId] },
    history: [...(baseConfig.history ?? []), { created, created_by: 'tsrun image commit', ...(opts.comment ? { comment: opts.comment } : {}) }],
  };
  copyBlobs(sourceLayout, layout, baseManifest.layers);
  const configDesc = writeBlob(layout, JSON.stringify(newConfig), MEDIA.config);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MEDIA.manifest, config: configDesc, layers: [...baseManifest.layers, layer] };
  const manifestDesc = writeBlob(layout, JSON.stringify(manifest), MEDIA.manifest);
  tagInIndex(layout, manifestDesc, ref);
  return { manifest: manifestDesc, layer, diffId, entries: writer.entries };
}

/** The manifest with `digest` anywhere under the layout's index (nested indexes too). */
function findNestedManifest(layout: string, digest: string): ImageDescriptor {
  const visit = (index: ImageIndex, depth: number): ImageDescriptor | undefined => {
    for (const d of index.manifests) {
      if (d.digest === digest) return d;
      if (d.mediaType === MEDIA.index && depth < 8) {
        const found = visit(readJsonBlob<ImageIndex>(layout, d, 'validateImageIndex', 'index'), depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  };
  const found = visit(readLayoutIndex(layout), 0);
  if (!found) throw new ConfigError(`${layout}: the bundle's base image ${digest} is no longer in the layout`);
  return found;
}
