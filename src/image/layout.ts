/**
 * An OCI image layout on disk (image-spec layout.md): `oci-layout`, `index.json` and
 * `blobs/<alg>/<encoded>`. Every blob is read through its descriptor: the digest names the file
 * and the bytes must match it and the size, so a damaged or substituted blob is refused before
 * tsrun uses it. JSON documents are validated against the project's image-spec schemas.
 */
import { createHash } from 'node:crypto';
import { sha256hex } from '../sys/builtins.js';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, SysError } from '../errors.js';
import type { ImageDescriptor, ImageIndex } from '../spec/types.generated.js';
import { validateImageDocument } from '../spec/validate.js';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** The hash algorithms image-spec registers, by their digest prefix, with the encoded length. */
const ALGORITHMS: Record<string, { hash: string; hexLength: number }> = {
  sha256: { hash: 'sha256', hexLength: 64 },
  sha512: { hash: 'sha512', hexLength: 128 },
};

/** The algorithm and the encoded part of a digest; a digest tsrun cannot verify is refused. */
export function parseDigest(digest: string, what: string): { algorithm: string; encoded: string } {
  const at = digest.indexOf(':');
  const algorithm = digest.slice(0, at);
  const encoded = digest.slice(at + 1);
  const alg = ALGORITHMS[algorithm];
  if (at < 0 || !alg) throw new ConfigError(`${what}: digest "${digest}": algorithm must be one of ${Object.keys(ALGORITHMS).join(', ')}`);
  if (encoded.length !== alg.hexLength || !/^[a-f0-9]+$/.test(encoded)) {
    throw new ConfigError(`${what}: digest "${digest}": must be ${alg.hexLength} lowercase hex digits after "${algorithm}:"`);
  }
  return { algorithm, encoded };
}

export function blobPath(layout: string, digest: string, what = digest): string {
  const { algorithm, encoded } = parseDigest(digest, what);
  return join(layout, 'blobs', algorithm, encoded);
}

/** A hash of the digest's algorithm, for a digest computed while streaming. */
export function digestHasher(digest: string): ReturnType<typeof createHash> {
  return createHash(ALGORITHMS[parseDigest(digest, digest).algorithm]!.hash);
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${sha256hex(data)}`;
}

/** Reads the layout's `oci-layout` and `index.json`, validated. */
export function readLayoutIndex(layout: string): ImageIndex {
  const marker = join(layout, 'oci-layout');
  if (!existsSync(marker)) throw new ConfigError(`${layout}: not an OCI image layout (no oci-layout file)`);
  validateImageDocument('validateImageLayout', parseJson(readFile(marker), marker), marker);
  const indexFile = join(layout, 'index.json');
  return validateImageDocument<ImageIndex>('validateImageIndex', parseJson(readFile(indexFile), indexFile), indexFile);
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw SysError.fromNode('read', path, e);
  }
}

function parseJson(data: Buffer, source: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new ConfigError(`${source}: not JSON: ${(e as Error).message}`);
  }
}

/** A blob read whole (a JSON document), its size and digest checked against the descriptor. */
export function readBlob(layout: string, desc: ImageDescriptor, what: string): Buffer {
  const path = blobPath(layout, desc.digest, what);
  const data = readFile(path);
  if (data.length !== desc.size) throw new ConfigError(`${what} ${desc.digest}: size ${data.length} bytes, the descriptor says ${desc.size}`);
  const got = digestHasher(desc.digest).update(data).digest('hex');
  if (`${desc.digest.split(':')[0]}:${got}` !== desc.digest) throw new ConfigError(`${what} ${desc.digest}: content does not match its digest (got ${got})`);
  return data;
}

/** A JSON blob, verified and validated by the image-spec schema `validator`. */
export function readJsonBlob<T>(
  layout: string,
  desc: ImageDescriptor,
  validator: 'validateImageIndex' | 'validateImageManifest' | 'validateImageConfig',
  what: string,
): T {
  const source = `${what} ${desc.digest}`;
  return validateImageDocument<T>(validator, parseJson(readBlob(layout, desc, what), source), source);
}

/**
 * Checks a (large) blob's size and digest by streaming it, before anything is extracted from it:
 * a layer that does not match its descriptor never reaches a rootfs.
 */
export async function verifyBlobFile(layout: string, desc: ImageDescriptor, what: string): Promise<string> {
  const path = blobPath(layout, desc.digest, what);
  const hash = digestHasher(desc.digest);
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      size += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
  } catch (e) {
    throw SysError.fromNode('read', path, e);
  }
  if (size !== desc.size) throw new ConfigError(`${what} ${desc.digest}: size ${size} bytes, the descriptor says ${desc.size}`);
  const got = `${desc.digest.split(':')[0]}:${hash.digest('hex')}`;
  if (got !== desc.digest) throw new ConfigError(`${what} ${desc.digest}: content does not match its digest (got ${got})`);
  return path;
}

/** Writes a blob into the layout (content addressed: an existing one is the same bytes). */
export function writeBlob(layout: string, data: Buffer | string, mediaType: string): ImageDescriptor {
  const digest = sha256Digest(data);
  const path = blobPath(layout, digest);
  if (!existsSync(path)) writeAtomic(path, data);
  return { mediaType, digest, size: Buffer.byteLength(data) };
}

/** Creates an empty layout at `layout` when there is none. */
export function ensureLayout(layout: string): void {
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  if (!existsSync(join(layout, 'oci-layout'))) writeAtomic(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  if (!existsSync(join(layout, 'index.json'))) writeAtomic(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: [] }));
}

export function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    throw SysError.fromNode('write', path, e);
  }
}
