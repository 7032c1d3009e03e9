/**
 * An in-memory cgroup tree for the fuzz suite: thousands of cases cannot each make a temp
 * directory. It behaves like the kernel's cgroupfs as far as the managers can tell (control files
 * appear on mkdir, writes go to existing files only, cgroup.subtree_control keeps a set) and like
 * Node's fs for hostile paths (a NUL byte is ERR_INVALID_ARG_VALUE, long names ENAMETOOLONG).
 * It also records every access outside the tree: a cgroup path that escapes is a security bug.
 */
import * as posix from 'node:path/posix';
import type { CgroupFs, DirEntry } from '../../src/cgroups/fs.js';
import type { CgroupLayout } from '../../src/cgroups/detect.js';
import { V1_CHILD, V2_CHILD, HYBRID_UNIFIED_CHILD } from '../unit/cgroups-fake.js';
import type { DeviceFilterAttacher } from '../../src/cgroups/ebpf/attach.js';
import type { DeviceFilter } from '../../src/cgroups/ebpf/program.js';
import type { ProcCgroup } from '../../src/cgroups/path.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

function fsError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${syscall} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

/** posix.normalize, skipped for the usual path that has nothing to normalise (deep trees make many calls). */
function norm(p: string): string {
  return p.includes('//') || p.includes('/.') || p.endsWith('/') ? posix.normalize(p) : p;
}

export class MemCgroupFs implements CgroupFs {
  private readonly files = new Map<string, string>();
  private readonly dirs = new Set<string>();
  /** Directory -> its entries (name -> is a directory), for readdir. */
  private readonly entries = new Map<string, Map<string, boolean>>();
  /** Mount point -> the control files of a new cgroup there. */
  private readonly templates = new Map<string, Record<string, string>>();
  /** Paths touched outside CGROUP_ROOT. */
  readonly escapes: string[] = [];
  /** Paths with a NUL byte that reached the fs. */
  readonly nulPaths: string[] = [];

  constructor(readonly layout: CgroupLayout) {}

  static v2(): MemCgroupFs {
    const fs = new MemCgroupFs({ mode: 'v2', v1: {}, unified: { mountPoint: CGROUP_ROOT, root: '/' } });
    fs.addDir(CGROUP_ROOT, { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma\n', 'cgroup.subtree_control': '\n', 'cgroup.procs': '' });
    fs.templates.set(CGROUP_ROOT, { ...V2_CHILD, 'cgroup.procs': '' });
    for (const parent of ['/user.slice', '/user.slice/user-1000.slice', '/user.slice/user-1000.slice/session-1.scope']) {
      fs.addDir(CGROUP_ROOT + parent, { ...V2_CHILD, 'cgroup.procs': '' });
    }
    return fs;
  }

  /** A hybrid host: v1 hierarchies (co-mounted ones too) and a cgroup2 mount with hugetlb. */
  static hybrid(): MemCgroupFs {
    const hs = ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'net_cls,net_prio', 'rdma'];
    const layout: CgroupLayout = { mode: 'hybrid', v1: {}, unified: { mountPoint: `${CGROUP_ROOT}/unified`, root: '/' } };
    const fs = new MemCgroupFs(layout);
    fs.addDir(CGROUP_ROOT, {});
    for (const h of hs) {
      const mount = `${CGROUP_ROOT}/${h}`;
      const files: Record<string, string> = { 'cgroup.procs': '' };
      for (const c of h.split(',')) Object.assign(files, V1_CHILD[c]);
      fs.addDir(mount, files);
      fs.addDir(`${mount}/user.slice`, files);
      fs.templates.set(mount, files);
      const controllers = h.split(',').map((c) => (c === 'systemd' ? 'name=systemd' : c));
      for (const c of controllers) layout.v1[c] = { mountPoint: mount, root: '/', controllers };
    }
    fs.files.set(`${CGROUP_ROOT}/cpuset/cpuset.cpus`, '0-3\n');
    fs.files.set(`${CGROUP_ROOT}/cpuset/cpuset.mems`, '0\n');
    const unified = `${CGROUP_ROOT}/unified`;
    fs.addDir(unified, { 'cgroup.controllers': 'hugetlb\n', 'cgroup.subtree_control': '\n', 'cgroup.procs': '' });
    fs.addDir(`${unified}/user.slice`, { ...HYBRID_UNIFIED_CHILD, 'cgroup.procs': '' });
    fs.templates.set(unified, { ...HYBRID_UNIFIED_CHILD, 'cgroup.procs': '' });
    return fs;
  }

  /** What /proc/self/cgroup would say for a process of this host (for relative cgroupsPath). */
  self(): ProcCgroup {
    const v1: Record<string, string> = {};
    for (const c of Object.keys(this.layout.v1)) v1[c] = '/user.slice';
    return { v1, unified: this.layout.mode === 'v2' ? '/user.slice/user-1000.slice/session-1.scope' : '/user.slice' };
  }

  private addDir(dir: string, files: Record<string, string>): void {
    this.dirs.add(dir);
    const own = new Map<string, boolean>();
    this.entries.set(dir, own);
    this.entries.get(posix.dirname(dir))?.set(posix.basename(dir), true);
    for (const [f, v] of Object.entries(files)) {
      this.files.set(`${dir}/${f}`, v);
      own.set(f, false);
    }
  }

  /** Node's and the kernel's refusals of a path, and the escape check. */
  private check(p: string, syscall: string): void {
    if (typeof p !== 'string') throw new TypeError(`The "path" argument must be of type string. Received ${typeof p}`);
    if (p.includes('\u0000')) {
      this.nulPaths.push(p);
      const e = new TypeError(`The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received ${JSON.stringify(p.slice(0, 100))}`) as NodeJS.ErrnoException;
      e.code = 'ERR_INVALID_ARG_VALUE';
      throw e;
    }
    const n = norm(p);
    if (n !== CGROUP_ROOT && !n.startsWith(CGROUP_ROOT + '/')) this.escapes.push(p);
    if (p.length >= 4096 || (p.length > 255 && /[^/]{256}/.test(p) && p.split('/').some((c) => Buffer.byteLength(c) > 255))) {
      throw fsError('ENAMETOOLONG', syscall, p);
    }
  }

  /** ENOTDIR when a parent of p is a file (as the kernel says), else ENOENT. */
  private missing(p: string, syscall: string): NodeJS.ErrnoException {
    for (let d = posix.dirname(p); d !== '/' && d !== '.'; d = posix.dirname(d)) if (this.files.has(d)) return fsError('ENOTDIR', syscall, p);
    return fsError('ENOENT', syscall, p);
  }

  private template(p: string): Record<string, string> {
    let best: string | undefined;
    for (const m of this.templates.keys()) if (p.startsWith(m + '/') && (!best || m.length > best.length)) best = m;
    return best ? this.templates.get(best)! : {};
  }

  readFile(p: string): string {
    this.check(p, 'open');
    const v = this.files.get(norm(p));
    if (v === undefined) throw this.dirs.has(norm(p)) ? fsError('EISDIR', 'open', p) : this.missing(norm(p), 'open');
    return v;
  }

  writeFile(p: string, data: string): void {
    this.check(p, 'open');
    const n = norm(p);
    const before = this.files.get(n);
    if (before === undefined) throw this.dirs.has(n) ? fsError('EISDIR', 'open', p) : this.missing(n, 'open');
    if (posix.basename(n) === 'cgroup.subtree_control') {
      const set = new Set(before.split(/\s+/).filter(Boolean));
      for (const tok of data.split(/\s+/).filter(Boolean)) {
        if (tok.startsWith('+')) set.add(tok.slice(1));
        else if (tok.startsWith('-')) set.delete(tok.slice(1));
        else throw fsError('EINVAL', 'write', p);
      }
      this.files.set(n, [...set].join(' ') + '\n');
    } else {
      this.files.set(n, data);
    }
  }

  mkdir(p: string): void {
    this.check(p, 'mkdir');
    const n = norm(p);
    if (this.dirs.has(n) || this.files.has(n)) throw fsError('EEXIST', 'mkdir', p);
    if (!this.dirs.has(posix.dirname(n))) throw this.missing(n, 'mkdir');
    this.addDir(n, this.template(n));
  }

  rmdir(p: string): void {
    this.check(p, 'rmdir');
    const n = norm(p);
    if (!this.dirs.has(n)) throw fsError('ENOENT', 'rmdir', p);
    for (const isDir of this.entries.get(n)?.values() ?? []) if (isDir) throw fsError('EBUSY', 'rmdir', p);
    this.dirs.delete(n);
    for (const f of this.entries.get(n)?.keys() ?? []) this.files.delete(`${n}/${f}`);
    this.entries.delete(n);
    this.entries.get(posix.dirname(n))?.delete(posix.basename(n));
  }

  exists(p: string): boolean {
    try {
      this.check(p, 'stat');
    } catch {
      return false;
    }
    const n = norm(p);
    return this.dirs.has(n) || this.files.has(n);
  }

  isDir(p: string): boolean {
    return this.exists(p) && this.dirs.has(norm(p));
  }
  readdir(p: string): DirEntry[] {
    this.check(p, 'scandir');
    const n = norm(p);
    if (!this.dirs.has(n)) throw this.files.has(n) ? fsError('ENOTDIR', 'scandir', p) : this.missing(n, 'scandir');
    return [...(this.entries.get(n) ?? [])].map(([name, isDir]) => ({ name, isDir }));
  }
}

/** A device filter attacher that keeps the filter (a real one needs bpf(2) and root). */
export class KeepingAttacher implements DeviceFilterAttacher {
  readonly attached: Array<{ dir: string; filter: DeviceFilter }> = [];
  attach(dir: string, filter: DeviceFilter): void {
    this.attached.push({ dir, filter });
  }
}
