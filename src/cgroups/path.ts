/**
 * `linux.cgroupsPath` resolution, as runc's cgroupfs driver does it:
 * - absolute ("/a/b"): that path under every hierarchy's mount point;
 * - relative ("a/b"): under the caller's own cgroup, read from /proc/self/cgroup (per v1
 *   hierarchy; on pure v2 under the parent of the caller's cgroup, because the caller's own
 *   cgroup has processes and so cannot have controllers enabled for children);
 * - empty: the relative path "<container id>" (runc: Name = id, Parent = "").
 * Paths are cleaned like runc's utils.CleanPath, so "../.." cannot climb out of the hierarchy.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative as posixRelative } from 'node:path/posix';
import { ConfigError, SysError } from '../errors.js';
import type { CgroupLayout, CgroupMount } from './detect.js';

export interface ProcCgroup {
  /** v1 controller (and "name=systemd") -> path. */
  v1: Record<string, string>;
  /** The "0::" line (cgroup2). */
  unified?: string;
}

export function parseProcCgroup(text: string): ProcCgroup {
  const out: ProcCgroup = { v1: {} };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) throw new SysError('cgroup: parse /proc/self/cgroup', undefined, undefined, `bad line ${JSON.stringify(line)}`);
    const id = line.slice(0, first);
    const ctrls = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (id === '0' && ctrls === '') out.unified = path;
    else for (const c of ctrls.split(',')) if (c) out.v1[c] = path;
  }
  return out;
}

export function readProcSelfCgroup(): ProcCgroup {
  try {
    return parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  } catch (err) {
    if (err instanceof SysError) throw err;
    throw SysError.fromNode('read', '/proc/self/cgroup', err);
  }
}

/** Whether a relative() result leaves its base: "..", "../x" (not "...", a name like any other). */
export function climbs(rel: string): boolean {
  return rel === '..' || rel.startsWith('../') || isAbsolute(rel);
}

/**
 * base/rel for a clean rel (cleanPath's output: no "." or ".." part, no doubled or trailing
 * slash; absolute or not, it goes under base). Concatenation, not join(): join normalizes
 * character by character, eleven times a create, in cold code.
 */
export function joinClean(base: string, rel: string): string {
  const r = rel.startsWith('/') ? rel.slice(1) : rel;
  if (r === '' || r === '.') return base;
  return base.endsWith('/') ? `${base}${r}` : `${base}/${r}`;
}

/** relative(base, path) for a path that joinClean built under base; relative() otherwise. */
export function relativeUnder(base: string, path: string): string {
  if (path === base) return '';
  const prefix = base.endsWith('/') ? base : `${base}/`;
  return path.startsWith(prefix) && !path.endsWith('/') ? path.slice(prefix.length) : posixRelative(base, path);
}

/** runc's CleanPath: "" stays "", absolute stays absolute, relative cannot escape with "..". */
export function cleanPath(p: string): string {
  if (p === '') return '';
  let c = normalize(p);
  if (!isAbsolute(c)) {
    c = posixRelative('/', normalize('/' + c));
    if (c === '') c = '.';
  }
  if (c.length > 1 && c.endsWith('/')) c = c.slice(0, -1);
  return c;
}

export interface CgroupPaths {
  /** The cleaned cgroupsPath (or the container id when empty). */
  inner: string;
  relative: boolean;
  /** v1 controller -> absolute directory. Empty on v2. */
  v1: Record<string, string>;
  /** The cgroup2 directory (v2: the container's cgroup; hybrid: where it joins the unified tree). */
  unified?: string;
}

export interface ResolveOptions {
  cgroupsPath?: string;
  id: string;
  layout: CgroupLayout;
  /** The caller's /proc/self/cgroup; read when needed and not given. */
  self?: ProcCgroup;
}

/**
 * Where a cgroup the caller is in (`own`, a /proc/self/cgroup path) is on this mount: a mount may
 * show a sub-tree (`root`: a cgroup namespace, a bind); a cgroup outside it is an error.
 */
export function under(mount: CgroupMount, own: string, what: string): string {
  const rel = posixRelative(mount.root, own);
  if (climbs(rel)) {
    throw new SysError('cgroup: resolve', undefined, undefined, `own ${what} cgroup ${own} is outside the mounted ${mount.root}`);
  }
  return join(mount.mountPoint, rel);
}

export function resolveCgroupPaths(opts: ResolveOptions): CgroupPaths {
  if (!opts.id) throw new ConfigError('cgroup: the container id is empty');
  const given = cleanPath(opts.cgroupsPath ?? '');
  const inner = given === '' ? cleanPath(opts.id) : given;
  if (inner === '.' || (inner === '/' && given === '')) throw new ConfigError(`linux.cgroupsPath: invalid container id ${JSON.stringify(opts.id)}`);
  const relative = !isAbsolute(inner);
  let self = opts.self;
  const own = (): ProcCgroup => (self ??= readProcSelfCgroup());
  const { layout } = opts;
  const v1: Record<string, string> = {};
  for (const [c, h] of Object.entries(layout.v1)) {
    if (!relative) v1[c] = joinClean(h.mountPoint, inner);
    else {
      const mine = own().v1[c];
      if (mine === undefined) throw new SysError('cgroup: resolve', undefined, undefined, `no ${c} line in /proc/self/cgroup`);
      v1[c] = joinClean(under(h, mine, c), inner);
    }
  }
  let unified: string | undefined;
  if (layout.unified) {
    const u = layout.unified;
    if (!relative) unified = joinClean(u.mountPoint, inner);
    else {
      const mine = own().unified;
      if (mine === undefined) throw new SysError('cgroup: resolve', undefined, undefined, 'no 0:: line in /proc/self/cgroup');
      // Pure v2: a sibling of the caller's cgroup (runc's defaultDirPath); hybrid: under it.
      const base = layout.mode === 'v2' ? dirname(mine) : mine;
      unified = joinClean(under(u, base, 'cgroup2'), inner);
    }
  }
  return unified === undefined ? { inner, relative, v1 } : { inner, relative, v1, unified };
}
