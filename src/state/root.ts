/**
 * Where container state lives (--root), and the small path arithmetic the state store needs.
 * Plain string work, not node:path: every command opens the store, and a compiled Bun program
 * would load node:path for it, which nothing else on a `state` or `start` needs.
 */
import { UsageError } from '../errors.js';

export const ROOT_STATE_DIR = '/run/tsrun';

export function euid(): number {
  return process.geteuid?.() ?? 0;
}

/** tsrun runs without root: no privileges beyond the caller's own ids. */
export function isRootless(uid = euid()): boolean {
  return uid !== 0;
}

/**
 * The state root when --root is not given: /run/tsrun for root; $XDG_RUNTIME_DIR/tsrun for anyone
 * else (runc does the same with runc/), or /run/user/UID/tsrun when the variable is unset.
 */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env, uid = euid()): string {
  if (!isRootless(uid)) return ROOT_STATE_DIR;
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg?.startsWith('/')) return absolutePath(`${xdg}/tsrun`);
  return `/run/user/${uid}/tsrun`;
}

/** Resolves --root: absolute, never "/". */
export function resolveRoot(root: string | undefined): string {
  const dir = absolutePath(root ?? defaultStateRoot());
  if (dir === '/') throw new UsageError('--root: refusing to use / as the state directory');
  return dir;
}

/**
 * p made absolute against cwd and normalised as path.resolve does: no "." or ".." components,
 * no repeated or trailing slashes ("/" stays "/").
 */
export function absolutePath(p: string, cwd: string = process.cwd()): string {
  const parts: string[] = [];
  for (const part of `${p.startsWith('/') ? '' : cwd}/${p}`.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  return `/${parts.join('/')}`;
}
