/**
 * The init layer: the files that belong to one container rather than to its image
 * (/etc/hostname, /etc/hosts, /etc/resolv.conf), as Docker makes them. In an overlay bundle it
 * is a lower dir of its own above the image's layers; in a copy bundle they are written into the
 * rootfs. Commit leaves these paths out: they describe the container, not the image.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export const INIT_FILES = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'] as const;

function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

export function initFileContents(hostname: string): Record<(typeof INIT_FILES)[number], string> {
  return {
    'etc/hostname': `${hostname}\n`,
    'etc/hosts': `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`,
    'etc/resolv.conf': hostResolvConf(),
  };
}

/**
 * Writes the init files under `dir`. `etcLike`: the image's /etc (mode and owner), so that an
 * init layer's own etc does not change how the merged /etc looks.
 */
export function writeInitFiles(dir: string, hostname: string, etcLike?: { mode: number; uid: number; gid: number }): void {
  const etc = `${dir}/etc`;
  const st = lstatSync(etc, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new Error(`${etc} is not a directory`);
  if (!existsSync(etc)) {
    mkdirSync(etc, { mode: 0o755 });
    if (etcLike) {
      chmodSync(etc, etcLike.mode & 0o7777);
      chownSync(etc, etcLike.uid, etcLike.gid);
    }
  }
  for (const [rel, text] of Object.entries(initFileContents(hostname))) {
    const path = `${dir}/${rel}`;
    const cur = lstatSync(path, { throwIfNoEntry: false });
    // Never write through an image's symlink (e.g. resolv.conf -> /run/...): replace it.
    if (cur?.isDirectory()) throw new Error(`${path}: the image has a directory there`);
    if (cur) unlinkSync(path);
    writeFileSync(path, text, { mode: 0o644, flag: 'wx' });
  }
}
