/**
 * On-disk cache of compiled seccomp programs, so repeated `create`s of containers with the same
 * profile skip libseccomp entirely (compiling a profile is one of create's dearest steps:
 * docs/performance.md).
 *
 * Key: SHA-256 of the canonical JSON of everything the program depends on (the normalised
 * profile, the architecture, the compiler's own format version and options). One file per key,
 * `<dir>/<key>.json`, holding the program (base64), its SHA-256, libseccomp's warnings and the
 * identity of the libseccomp that compiled it (version, and the mapped file with its inode, size
 * and mtime). A hit is used only while that file is unchanged, which a stat() tells without
 * loading koffi or libseccomp at all; a package upgrade replaces the file and so invalidates the
 * entries. Files are written to a temp name and renamed, so readers never see a partial entry;
 * an entry that fails to parse or verify is treated as a miss, recompiled and overwritten.
 */
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SysError } from '../errors.js';
import type { LibseccompIdentity } from '../sys/libseccomp.js';
import { sha256hex } from '../sys/builtins.js';

/**
 * Where compiled programs are cached: outside the state root, which managers share with other
 * runtimes (runc's `list` fails on a directory it cannot load). Root: /var/cache/tsrun/seccomp;
 * anyone else: $XDG_CACHE_HOME/tsrun/seccomp, else ~/.cache/tsrun/seccomp.
 */
export function defaultSeccompCacheDir(euid = process.geteuid?.() ?? 0, env: NodeJS.ProcessEnv = process.env, home = homedir): string {
  if (euid === 0) return '/var/cache/tsrun/seccomp';
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec ignores a relative path.
  const base = xdg && xdg.startsWith('/') ? xdg : join(env.HOME || home(), '.cache');
  return join(base, 'tsrun', 'seccomp');
}

/** Whether dir is a real directory of this user that nobody else can write (else entries could be planted). */
export function isPrivateDir(dir: string, euid = process.geteuid?.() ?? 0): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === euid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Bump when the compiler's output for the same input changes. */
export const CACHE_FORMAT = 1;

export interface CachedProgram {
  program: Uint8Array;
  /** Messages produced while compiling (unknown syscalls ...), replayed on every hit. */
  warnings: string[];
  /** The libseccomp that compiled the program. */
  libseccomp: LibseccompIdentity;
}

/**
 * Whether the library file recorded in `id` is still there, unchanged; undefined when `id` has
 * no file (the caller must then compare versions with the loaded library).
 */
export function identityUnchanged(id: LibseccompIdentity): boolean | undefined {
  if (!id.file) return undefined;
  try {
    const st = statSync(id.file.path);
    return st.dev === id.file.dev && st.ino === id.file.ino && st.size === id.file.size && st.mtimeMs === id.file.mtimeMs;
  } catch {
    return false;
  }
}

/** JSON with object keys sorted at every level and bigints written as decimal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}

function canonical(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value.toString()}n`;
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = canonical(v);
    }
    return out;
  }
  return value;
}

export function cacheKey(parts: unknown): string {
  return sha256hex(canonicalJson(parts));
}

interface EntryFile {
  format: number;
  key: string;
  sha256: string;
  program: string;
  warnings: string[];
  libseccomp: LibseccompIdentity;
}

export class SeccompCache {
  constructor(readonly dir: string = defaultSeccompCacheDir()) {}

  pathFor(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`seccomp cache: bad key ${JSON.stringify(key)}`);
    return join(this.dir, `${key}.json`);
  }

  /** The entry for key, or undefined when absent, unreadable or corrupt. */
  get(key: string): CachedProgram | undefined {
    let text: string;
    if (!isPrivateDir(this.dir)) return undefined;
    try {
      text = readFileSync(this.pathFor(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const e = JSON.parse(text) as EntryFile;
      if (e.format !== CACHE_FORMAT || e.key !== key || typeof e.program !== 'string') return undefined;
      if (!Array.isArray(e.warnings) || !e.warnings.every((w) => typeof w === 'string')) return undefined;
      const id = e.libseccomp;
      if (typeof id !== 'object' || id === null || typeof id.version !== 'string') return undefined;
      const program = Buffer.from(e.program, 'base64');
      if (program.length === 0 || program.length % 8 !== 0) return undefined;
      if (sha256hex(program) !== e.sha256) return undefined;
      return {
        program: new Uint8Array(program.buffer, program.byteOffset, program.length),
        warnings: e.warnings,
        libseccomp: id,
      };
    } catch {
      return undefined;
    }
  }

  /** Stores an entry atomically (temp file + rename). Throws SysError on failure. */
  put(key: string, entry: CachedProgram): void {
    const file = this.pathFor(key);
    const body: EntryFile = {
      format: CACHE_FORMAT,
      key,
      sha256: sha256hex(entry.program),
      program: Buffer.from(entry.program).toString('base64'),
      warnings: entry.warnings,
      libseccomp: entry.libseccomp,
    };
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw SysError.fromNode('mkdir', this.dir, err);
    }
    if (!isPrivateDir(this.dir)) throw new SysError('seccomp cache', this.dir, undefined, 'not a directory of this user closed to others');
    try {
      writeFileSync(tmp, JSON.stringify(body), { mode: 0o600, flag: 'wx' });
      renameSync(tmp, file);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
      throw SysError.fromNode('write', file, err);
    }
  }
}
