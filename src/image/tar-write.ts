/**
 * Tar entries for a layer, encoded with npm tar's Header (ustar), and a pax extended header in
 * front when a field does not fit (long path or link) or the entry has xattrs (SCHILY.xattr.*,
 * which node-tar's Pax does not write).
 */
import { Header } from 'tar';

export type EntryType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';

export interface TarEntry {
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  mtime: Date;
  linkpath?: string;
  devmaj?: number;
  devmin?: number;
  xattrs?: Record<string, Buffer>;
}

const BLOCK = 512;

/** One pax record: "<len> <key>=<value>\n", its length counting its own digits. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The header block(s) of an entry (its data and padding follow, written by the caller). */
export function entryHeader(e: TarEntry): Buffer {
  const fields = {
    path: e.type === 'Directory' && !e.path.endsWith('/') ? `${e.path}/` : e.path,
    mode: e.mode & 0o7777,
    uid: e.uid,
    gid: e.gid,
    size: e.size ?? 0,
    mtime: new Date(Math.floor(e.mtime.getTime() / 1000) * 1000),
    type: e.type,
    linkpath: e.linkpath,
    devmaj: e.devmaj ?? 0,
    devmin: e.devmin ?? 0,
  };
  const header = new Header(fields);
  header.encode();
  const records: Buffer[] = [];
  if (header.needPax) {
    records.push(paxRecord('path', Buffer.from(fields.path)));
    if (e.linkpath) records.push(paxRecord('linkpath', Buffer.from(e.linkpath)));
  }
  for (const [k, v] of Object.entries(e.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  if (records.length === 0) return header.block!;
  const body = Buffer.concat(records);
  const pax = new Header({ path: `PaxHeaders/${fields.path.slice(0, 80)}`, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: fields.mtime, type: 'ExtendedHeader' });
  pax.encode();
  return Buffer.concat([pax.block!, body, padding(body.length), header.block!]);
}

/** The end of an archive: two zero blocks. */
export const TAR_END = Buffer.alloc(BLOCK * 2);
