/**
 * The file calls node:fs lacks, for image layers (src/image): mknod(2) for device nodes, fifos and
 * overlayfs whiteouts, and the l*xattr(2) family for a layer's extended attributes and the
 * overlayfs opaque mark. koffi bindings of libc, loaded on first use: only the image commands
 * load them. Failures throw SysError naming the call and the path.
 */
import { SysError } from '../errors.js';
import { loadKoffi } from './koffi.js';

interface NodeCalls {
  mknod(path: string, mode: number, dev: bigint): number;
  lsetxattr(path: string, name: string, value: Buffer, size: number, flags: number): number;
  lgetxattr(path: string, name: string, value: Buffer | null, size: number): number;
  llistxattr(path: string, list: Buffer | null, size: number): number;
  errno(): number;
}

let calls: NodeCalls | undefined;

function libc(): NodeCalls {
  if (calls) return calls;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  calls = {
    mknod: lib.func('int mknod(const char *, uint32_t, uint64_t)') as NodeCalls['mknod'],
    lsetxattr: lib.func('int lsetxattr(const char *, const char *, const void *, size_t, int)') as NodeCalls['lsetxattr'],
    lgetxattr: lib.func('intptr_t lgetxattr(const char *, const char *, _Out_ void *, size_t)') as NodeCalls['lgetxattr'],
    llistxattr: lib.func('intptr_t llistxattr(const char *, _Out_ void *, size_t)') as NodeCalls['llistxattr'],
    errno: () => koffi.errno() as number,
  };
  return calls;
}

/** makedev(3), glibc's encoding. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** mknod(2): `mode` holds the file type (S_IFCHR, S_IFBLK, S_IFIFO) and the permission bits. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  const c = libc();
  if (c.mknod(path, mode, makedev(major, minor)) < 0) throw SysError.fromErrno('mknod', path, c.errno());
}

/** lsetxattr(2) of name on path (a symlink itself, not its target). */
export function setXattr(path: string, name: string, value: Buffer): void {
  const c = libc();
  if (c.lsetxattr(path, name, value, value.length, 0) < 0) throw SysError.fromErrno(`setxattr ${name}`, path, c.errno());
}

/** lgetxattr(2): the value, or undefined when path has no such attribute. */
export function getXattr(path: string, name: string): Buffer | undefined {
  const c = libc();
  const size = c.lgetxattr(path, name, null, 0);
  if (size < 0) {
    const errno = c.errno();
    if (errno === 61 /* ENODATA */ || errno === 95 /* EOPNOTSUPP */) return undefined;
    throw SysError.fromErrno(`getxattr ${name}`, path, errno);
  }
  const buf = Buffer.alloc(size);
  const got = size === 0 ? 0 : c.lgetxattr(path, name, buf, size);
  if (got < 0) throw SysError.fromErrno(`getxattr ${name}`, path, c.errno());
  return buf.subarray(0, got);
}

/** llistxattr(2): the names of path's extended attributes. */
export function listXattrs(path: string): string[] {
  const c = libc();
  const size = c.llistxattr(path, null, 0);
  if (size < 0) {
    const errno = c.errno();
    if (errno === 95 /* EOPNOTSUPP */) return [];
    throw SysError.fromErrno('listxattr', path, errno);
  }
  if (size === 0) return [];
  const buf = Buffer.alloc(size);
  const got = c.llistxattr(path, buf, size);
  if (got < 0) throw SysError.fromErrno('listxattr', path, c.errno());
  return buf.subarray(0, got).toString('latin1').split('\0').filter(Boolean);
}
