/**
 * The image config's `User` resolved to numeric ids against the image's own /etc/passwd and
 * /etc/group, as image-spec's conversion.md says: `user`, `uid`, `user:group`, `uid:gid` and
 * their mixes; without a group, the user's primary group and the groups listing the user.
 * The files are read from the image's layers (the rootfs, or the overlay's lower dirs top down)
 * without following a symlink: an image cannot make tsrun read a host file.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** A file of the image: from the first of `dirs` (uppermost layer first) that has it. */
export function readImageFile(dirs: string[], rel: string): string | undefined {
  const parts = rel.split('/').filter(Boolean);
  for (const dir of dirs) {
    let path = dir;
    for (const [i, p] of parts.entries()) {
      path = `${path}/${p}`;
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st) break;
      // An overlayfs whiteout (0:0 char device) hides the lower layers' file.
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      if (st.isSymbolicLink()) return undefined;
      if (i === parts.length - 1) return st.isFile() ? readFileSync(path, 'utf8') : undefined;
      if (!st.isDirectory()) return undefined;
    }
  }
  return undefined;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

function passwdEntries(text: string | undefined): PasswdEntry[] {
  return (text ?? '').split('\n').flatMap((line) => {
    const f = line.split(':');
    return f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!) ? [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }] : [];
  });
}

function groupEntries(text: string | undefined): Array<{ name: string; gid: number; members: string[] }> {
  return (text ?? '').split('\n').flatMap((line) => {
    const f = line.split(':');
    return f.length >= 3 && /^\d+$/.test(f[2]!) ? [{ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }] : [];
  });
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

const isId = (s: string) => /^\d+$/.test(s);

/** The process user for `User` (empty: root). */
export function resolveUser(user: string | undefined, readFile: (rel: string) => string | undefined): ResolvedUser {
  if (!user) return { uid: 0, gid: 0 };
  const where = `image config /config/User "${user}"`;
  const [u, g] = user.split(':', 2) as [string, string | undefined];
  const passwd = passwdEntries(readFile('etc/passwd'));
  const entry = isId(u) ? passwd.find((p) => p.uid === Number(u)) : passwd.find((p) => p.name === u);
  if (!entry && !isId(u)) throw new ConfigError(`${where}: no user "${u}" in the image's /etc/passwd`);
  const uid = entry?.uid ?? Number(u);
  const groups = groupEntries(readFile('etc/group'));
  if (g !== undefined) {
    if (isId(g)) return { uid, gid: Number(g) };
    const group = groups.find((x) => x.name === g);
    if (!group) throw new ConfigError(`${where}: no group "${g}" in the image's /etc/group`);
    return { uid, gid: group.gid };
  }
  const gid = entry?.gid ?? 0;
  const extra = entry ? groups.filter((x) => x.members.includes(entry.name) && x.gid !== gid).map((x) => x.gid) : [];
  return extra.length ? { uid, gid, additionalGids: [...new Set(extra)] } : { uid, gid };
}
