/**
 * Images for the image tests: built by Debian's umoci (the reference) on the busybox rootfs, or
 * written by hand (hostile layers) with the tar headers tsrun's commit uses; and a tree listing
 * (path, type, mode, owner, contents) to compare two rootfs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureLayout, MEDIA, sha256Digest, writeBlob } from '../../src/image/layout.js';
import { REF_ANNOTATION } from '../../src/image/select.js';
import { TAR_END, entryHeader, padding, type TarEntry } from '../../src/image/tar-write.js';
import { ROOTFS } from './helpers.js';

export const umoci = (...args: string[]) => execFileSync('umoci', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sh = (script: string, cwd: string) => execFileSync('sh', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * A three-layer image built by umoci in `dir`/oci under ref `base`: the busybox rootfs; then a
 * deleted file, a directory replaced by another, a hardlink, a symlink, a fifo, odd owners and
 * modes; then a changed file and a new tree. Returns the layout.
 */
export function buildUmociImage(dir: string): string {
  const layout = join(dir, 'oci');
  const work = join(dir, 'work');
  umoci('init', '--layout', layout);
  umoci('new', '--image', `${layout}:base`);
  umoci('unpack', '--image', `${layout}:base`, work);
  const rootfs = join(work, 'rootfs');
  sh(`cp -a ${ROOTFS}/. . && mkdir -p srv/replaced/sub etc/app && echo gone > etc/app/gone && echo a > srv/replaced/a && echo b > srv/replaced/sub/b`, rootfs);
  umoci('repack', '--refresh-bundle', '--image', `${layout}:base`, work);
  sh(
    [
      'rm etc/app/gone',
      'rm -rf srv/replaced && mkdir srv/replaced && echo new > srv/replaced/new',
      'echo data > srv/file && ln srv/file srv/hardlink',
      'ln -s ../srv/file etc/link && ln -s /nowhere etc/dangling',
      'mkfifo srv/fifo',
      'chown 1000:1001 srv/file && chmod 0751 srv/file',
      'mkdir -m 1777 srv/sticky && chown 7:8 srv/sticky',
    ].join(' && '),
    rootfs,
  );
  umoci('repack', '--refresh-bundle', '--image', `${layout}:base`, work);
  sh('echo changed > srv/file && mkdir -p opt/x/y && echo deep > opt/x/y/z', rootfs);
  umoci('repack', '--refresh-bundle', '--image', `${layout}:base`, work);
  umoci('config', '--image', `${layout}:base`, '--config.cmd', 'sh', '--config.env', 'IMAGE=1', '--config.volume', '/vol');
  return layout;
}

export interface TreeEntry {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  /** sha256 of a file's bytes, a symlink's target, a device's numbers. */
  content: string;
}

/** Every path under root with its type, mode, owner and contents (not times). */
export function listTree(root: string, skip: (rel: string) => boolean = () => false): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? join(root, rel) : root).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const p = join(root, r);
      const st = lstatSync(p);
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : 'other';
      const content = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16) : st.isSymbolicLink() ? readlinkSync(p) : st.rdev ? String(st.rdev) : '';
      out[r] = { type, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, content };
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

/** A layout holding one image of the given layer tars (uncompressed entries, gzip'd), under ref `bad`. */
export function writeImage(dir: string, layers: Buffer[], ref = 'bad'): string {
  ensureLayout(dir);
  const descs = layers.map((tar) => writeBlob(dir, gzipSync(tar), MEDIA.layerGzip));
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256Digest(l)) }, config: { Cmd: ['sh'] } };
  const configDesc = writeBlob(dir, JSON.stringify(config), MEDIA.config);
  const manifest = writeBlob(dir, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.manifest, config: configDesc, layers: descs }), MEDIA.manifest);
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { [REF_ANNOTATION]: ref } }] }));
  return dir;
}

type Item = Partial<TarEntry> & { path: string; body?: string | Buffer };

/** A tar of the given entries (files by default, mode 0644, owned by root). */
export function tarOf(items: Item[]): Buffer {
  const chunks: Buffer[] = [];
  for (const { body: raw, ...fields } of items) {
    const body = Buffer.isBuffer(raw) ? raw : Buffer.from(raw ?? '');
    chunks.push(entryHeader({ type: 'File', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), ...fields, size: fields.type && fields.type !== 'File' ? 0 : body.length }));
    if (body.length) chunks.push(body, padding(body.length));
  }
  chunks.push(TAR_END);
  return Buffer.concat(chunks);
}
