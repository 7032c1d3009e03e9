/**
 * A layer blob's tar bytes, by its media type: plain, gzip (Node's zlib) or zstd (fzstd: Node
 * 20's zlib has no zstd). Unknown media types are refused, naming the layer.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { UnsupportedError } from '../errors.js';

export type Compression = 'none' | 'gzip' | 'zstd';

/** The compression a layer media type says (the non-distributable and Docker forms too). */
export function layerCompression(mediaType: string, what: string): Compression {
  if (/[+.]gzip$/.test(mediaType)) return 'gzip';
  if (/\+zstd$/.test(mediaType)) return 'zstd';
  if (/(\.|\/)tar$|\.tar\.|layer\.v1\.tar$|rootfs\.diff\.tar$/.test(mediaType)) return 'none';
  throw new UnsupportedError(`${what}: media type "${mediaType}" is not a layer tsrun can read (tar, tar+gzip, tar+zstd)`);
}

export async function* layerChunks(path: string, mediaType: string, what: string): AsyncGenerator<Buffer> {
  const kind = layerCompression(mediaType, what);
  if (kind === 'none') {
    for await (const c of createReadStream(path)) yield c as Buffer;
  } else if (kind === 'gzip') {
    const gunzip = createReadStream(path).pipe(createGunzip());
    for await (const c of gunzip) yield c as Buffer;
  } else {
    yield* zstdChunks(path);
  }
}

async function* zstdChunks(path: string): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  const d = new Decompress((chunk) => out.push(Buffer.from(chunk)));
  for await (const c of createReadStream(path)) {
    d.push(c as Buffer);
    yield* out.splice(0);
  }
  d.push(new Uint8Array(0), true);
  yield* out.splice(0);
}
