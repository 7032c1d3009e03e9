/**
 * User namespaces on the host side, and rootless containers (tsrun run by a non-root user):
 *
 * - the default state root: $XDG_RUNTIME_DIR/tsrun for a non-root user (as runc);
 * - a new user namespace's id maps: written directly when tsrun is root, or when a non-root caller
 *   maps only its own id (setgroups denied first, as the kernel then requires); through
 *   newuidmap/newgidmap (Debian's `uidmap`, which checks /etc/subuid and /etc/subgid) otherwise;
 * - cgroups only where they are delegated to the caller, skipped otherwise (a debug note; an error
 *   when the config asks for limits), as runc;
 * - clear errors, before anything is made, for what cannot work without privileges;
 * - whether id-mapped mounts work here (for `features`).
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { childProcess } from '../sys/builtins.js';
import { euid, isRootless } from '../state/root.js';
import { dirname, join } from 'node:path';
import { ConfigError, SysError, TsrunError, UnsupportedError } from '../errors.js';
import type { CgroupManager } from '../cgroups/index.js';
import type { Spec } from '../spec/index.js';

function egid(): number {
  return process.getegid?.() ?? 0;
}

export interface IdMapRange {
  containerID: number;
  hostID: number;
  size: number;
}

/** Parses /proc/PID/uid_map text ("container host size" lines). */
export function parseIdMap(text: string): IdMapRange[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [containerID, hostID, size] = l.split(/\s+/).map(Number);
      return { containerID: containerID!, hostID: hostID!, size: size! };
    });
}

/** How each map of a new user namespace gets written. */
export interface IdMapMethod {
  uid: 'direct' | 'newuidmap';
  gid: 'direct' | 'newgidmap';
  /** "deny" goes to /proc/PID/setgroups before gid_map (an unprivileged gid_map write needs it). */
  denySetgroups: boolean;
}

/**
 * Root writes any map itself. Anyone else writes a map directly only when it is one range of
 * size 1 onto the caller's own effective id (the kernel's rule for unprivileged writers); every
 * other map goes through the setuid helpers, which check /etc/subuid and /etc/subgid.
 */
export function idMapMethod(uidMap: string, gidMap: string, ids: { uid: number; gid: number } = { uid: euid(), gid: egid() }): IdMapMethod {
  if (!isRootless(ids.uid)) return { uid: 'direct', gid: 'direct', denySetgroups: false };
  const own = (text: string, id: number) => {
    const m = parseIdMap(text);
    return m.length === 1 && m[0]!.hostID === id && m[0]!.size === 1;
  };
  const gidDirect = own(gidMap, ids.gid);
  return { uid: own(uidMap, ids.uid) ? 'direct' : 'newuidmap', gid: gidDirect ? 'direct' : 'newgidmap', denySetgroups: gidDirect };
}

function writeProcFile(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw SysError.fromNode(`write ${JSON.stringify(text.trim())} to`, path, e);
  }
}

/** The helper's path: PATH first, then where Debian's uidmap puts it. */
function findHelper(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/bin']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function runMapHelper(helper: 'newuidmap' | 'newgidmap', pid: number, map: string): void {
  const kind = helper === 'newuidmap' ? 'uid' : 'gid';
  const path = findHelper(helper);
  if (!path) {
    throw new UnsupportedError(
      `rootless: mapping ${kind}s other than your own needs ${helper} (Debian package uidmap), which is not installed; or map only your own ${kind} (tsrun spec --rootless)`,
    );
  }
  const args = [String(pid), ...parseIdMap(map).flatMap((r) => [String(r.containerID), String(r.hostID), String(r.size)])];
  // Loaded here only: the state store imports this file, and most commands never map ids.
  const r = childProcess().spawnSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().replace(/\s*\n\s*/g, '; ');
    const file = kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
    throw new TsrunError(`rootless: ${helper} ${args.join(' ')}: ${why} (the ranges must be yours in ${file}, or your own ${kind})`);
  }
}

/** Writes the id maps of a new user namespace: each map in one write (the kernel takes a map file's first write only). */
export function writeIdMaps(pid: number, idmap: { uidMap: string; gidMap: string }, ids?: { uid: number; gid: number }): void {
  const how = idMapMethod(idmap.uidMap, idmap.gidMap, ids);
  if (how.uid === 'direct') writeProcFile(`/proc/${pid}/uid_map`, idmap.uidMap);
  else runMapHelper('newuidmap', pid, idmap.uidMap);
  if (how.denySetgroups) writeProcFile(`/proc/${pid}/setgroups`, 'deny');
  if (how.gid === 'direct') writeProcFile(`/proc/${pid}/gid_map`, idmap.gidMap);
  else runMapHelper('newgidmap', pid, idmap.gidMap);
}

/** Resource fields that set a limit (device rules are not limits: see containerCgroup). */
function requestedLimits(spec: Spec): string[] {
  const res = (spec.linux?.resources ?? {}) as Record<string, unknown>;
  return Object.entries(res)
    .filter(([k, v]) => k !== 'devices' && v !== null && v !== undefined && !(typeof v === 'object' && Object.keys(v as object).length === 0))
    .map(([k]) => `/linux/resources/${k}`);
}

function isPermissionError(e: unknown): boolean {
  const code = (e as { errno?: unknown; code?: unknown }).errno ?? (e as { code?: unknown }).code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

/**
 * The container's cgroup. Root: always (createCgroup). Rootless: only where the cgroup tree is
 * delegated to the caller; otherwise none, said in a note only (runc is silent too: a warning on
 * every run would be noise), unless the spec asks for limits that then could not be enforced (an
 * error naming them).
 */
export async function containerCgroup(
  id: string,
  spec: Spec,
  systemd: boolean,
  note: (msg: string) => void = () => undefined,
  firstPid = 0,
): Promise<CgroupManager | undefined> {
  const { createCgroup } = await import('./cgroup.js');
  if (!isRootless()) return createCgroup(id, spec, systemd, firstPid);
  const { createManager } = await import('../cgroups/index.js');
  // Relative to the caller's own cgroup: the only place a delegated tree can be.
  const cgroupsPath = spec.linux?.cgroupsPath || (systemd ? undefined : `tsrun/${id}`);
  let why: string | undefined;
  try {
    why = createManager({ id, cgroupsPath, systemd }).notDelegated();
  } catch (e) {
    why = (e as Error).message;
  }
  if (!why) {
    try {
      return await createCgroup(id, { ...spec, linux: { ...spec.linux, cgroupsPath } } as Spec, systemd, firstPid);
    } catch (e) {
      if (!isPermissionError(e)) throw e;
      why = (e as Error).message;
    }
  }
  const limits = requestedLimits(spec);
  if (limits.length) {
    throw new UnsupportedError(`config.json: ${limits.join(', ')}: rootless: no cgroup is delegated to this user (${why}), so these limits cannot be applied`);
  }
  note(`rootless: cgroups are not delegated to this user (${why}): the container runs without a cgroup of its own${spec.linux?.resources?.devices?.length ? ' (device rules ignored: only the host nodes bound in are usable)' : ''}`);
  return undefined;
}

/**
 * Checks, before anything is made, what a user namespace (and a rootless caller) cannot do:
 * device nodes (they are bind mounts of the host's, which must exist and match), id-mapped
 * mounts (a host filesystem can only be id-mapped by root), and a new user namespace for a
 * non-root caller must exist at all.
 */
export function checkUserNamespace(spec: Spec): void {
  const linux = spec.linux;
  const user = linux?.namespaces?.find((n) => n.type === 'user');
  if (isRootless() && !user) {
    throw new ConfigError('config.json: /linux/namespaces: rootless: tsrun run without root needs a user namespace (see tsrun spec --rootless)');
  }
  if (!user) return;
  for (const [i, d] of (linux?.devices ?? []).entries()) {
    const at = `config.json: /linux/devices/${i}`;
    let st;
    try {
      st = statSync(d.path);
    } catch {
      throw new UnsupportedError(`${at}: ${d.path}: a container in a user namespace cannot create device nodes, and the host has no ${d.path} to bind`);
    }
    const wantType = d.type === 'b' ? 'block' : d.type === 'p' ? 'fifo' : 'char';
    const isType = st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : 'other';
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    if (isType !== wantType || (d.type !== 'p' && (major !== d.major || minor !== d.minor))) {
      throw new UnsupportedError(
        `${at}: ${d.path}: a container in a user namespace cannot create device nodes, and the host's ${d.path} is not a ${wantType} device ${d.major ?? ''}:${d.minor ?? ''}`,
      );
    }
  }
  if (isRootless()) {
    for (const [i, m] of (spec.mounts ?? []).entries()) {
      if (m.uidMappings?.length || m.gidMappings?.length || (m.options ?? []).some((o) => o === 'idmap' || o === 'ridmap')) {
        throw new UnsupportedError(`config.json: /mounts/${i}: rootless: id-mapped mounts need root (CAP_SYS_ADMIN over the source's filesystem)`);
      }
    }
  }
}

let idmapProbe: Promise<boolean> | undefined;

/**
 * Whether id-mapped mounts work here, measured: the executor id-maps a clone of its own
 * directory (build/) with a throwaway mapping. False for a non-root caller (the kernel needs
 * CAP_SYS_ADMIN over the filesystem), on kernels without mount_setattr, and on filesystems
 * without id-mapping support.
 */
export function idmapMountsWork(): Promise<boolean> {
  idmapProbe ??= (async () => {
    if (isRootless()) return false;
    try {
      const { executorPath, runExecutor } = await import('../executor/spawn.js');
      const { Op } = await import('../executor/protocol.js');
      const dir = dirname(executorPath());
      if (!existsSync(dir)) return false;
      await runExecutor(
        {
          ops: [
            { op: Op.CLOEXEC_FROM, args: { fd: 3 } },
            { op: Op.IDMAP_TREE, args: { how: 0, slot: 0, source: dir, usernsPath: '', uidMap: '0 100000 65536\n', gidMap: '0 100000 65536\n' } },
            { op: Op.READY, args: {} },
          ],
          extraFds: 0,
          nullStdio: true,
        },
        { onReady: () => undefined },
      );
      return true;
    } catch {
      return false;
    }
  })();
  return idmapProbe;
}
