/**
 * The cgroup v1 manager (also hybrid hosts): one directory per hierarchy, every hierarchy joined
 * (name=systemd too, as runc), plus the unified directory on hybrid hosts. A controller that is
 * not mounted on v1 but is available in the hybrid cgroup2 tree (hugetlb on this kind of host)
 * is used there, with the v2 files.
 */
import { relative } from 'node:path/posix';
import { SysError, UnsupportedError } from '../../errors.js';
import type { CgroupMode } from '../detect.js';
import { readOpt, sleepSync, type CgroupFs } from '../fs.js';
import { BaseManager, type CgroupState, type FreezerState, type SetOptions } from '../manager.js';
import { emptyStats, hostHugePageSizes, type Stats } from '../stats.js';
import type { CgroupWrite, LinuxResources } from '../types.js';
import * as blkio from './blkio.js';
import * as cpu from './cpu.js';
import * as cpuset from './cpuset.js';
import * as devices from './devices.js';
import * as hugetlb from './hugetlb.js';
import * as memory from './memory.js';
import * as netCls from './net_cls.js';
import * as netPrio from './net_prio.js';
import * as pids from './pids.js';
import * as rdma from './rdma.js';
import * as hugetlbV2 from '../v2/hugetlb.js';
import {
  blkioStats, cpuacctStats, cpuStats, cpusetStats, hugetlbStatsV1, memoryStats, oomKillCountV1, pidsStats,
} from './stats.js';
import { hugetlbStatsV2 } from '../v2/stats.js';

export interface ManagerExtras {
  hugePageSizes?: string[];
}

const FREEZE_TIMEOUT_MS = 2000;

export class V1Manager extends BaseManager {
  readonly mode: CgroupMode;

  constructor(fs: CgroupFs, state: CgroupState, private readonly extras: ManagerExtras = {}) {
    super(fs, state);
    this.mode = state.mode;
  }

  paths(): Record<string, string> {
    const p = { ...this.state.paths };
    if (this.state.unified) p[''] = this.state.unified;
    return p;
  }

  private dir(controller: string): string | undefined {
    return this.state.paths[controller];
  }

  /** Distinct (directory, mount point) pairs: co-mounted controllers share one. */
  private hierarchies(): Array<{ dir: string; mount: string }> {
    const seen = new Map<string, string>();
    for (const [c, dir] of Object.entries(this.state.paths)) if (!seen.has(dir)) seen.set(dir, this.state.mounts[c]!);
    return [...seen.entries()].map(([dir, mount]) => ({ dir, mount }));
  }

  create(): void {
    for (const { dir, mount } of this.hierarchies()) {
      const levels = this.mkdirp(dir, mount);
      if (dir === this.dir('cpuset')) cpuset.inheritFromParents(levels, this.fs);
    }
    if (this.state.unified && this.state.unifiedMount) this.mkdirp(this.state.unified, this.state.unifiedMount);
  }

  apply(pid: number): void {
    for (const { dir } of this.hierarchies()) this.writeProcs(dir, pid);
    if (this.state.unified) this.writeProcs(this.state.unified, pid);
  }

  joinTargets(): { tasks: string[]; unified?: string } {
    return { tasks: this.hierarchies().map(({ dir }) => `${dir}/tasks`), ...(this.state.unified ? { unified: this.state.unified } : {}) };
  }

  /** Hybrid: a controller missing on v1 but present in the cgroup2 tree. */
  private unifiedController(name: string): boolean {
    if (this.dir(name) !== undefined || !this.state.unified || !this.state.unifiedMount) return false;
    const available = readOpt(this.fs, `${this.state.unifiedMount}/cgroup.controllers`) ?? '';
    return available.split(/\s+/).includes(name);
  }

  /** Enables a controller in cgroup.subtree_control from the cgroup2 root down to the leaf's parent. */
  private enableUnified(name: string): CgroupWrite[] {
    const writes: CgroupWrite[] = [];
    const leaf = this.state.unified!;
    const mount = this.state.unifiedMount!;
    const rel = relative(mount, leaf);
    let cur = mount;
    const levels = [mount, ...rel.split('/').slice(0, -1).map((p) => (cur = `${cur}/${p}`))];
    for (const dir of levels) {
      const path = `${dir}/cgroup.subtree_control`;
      const have = (readOpt(this.fs, path) ?? '').split(/\s+/);
      if (have.includes(name)) continue;
      this.write(path, `+${name}`);
      writes.push({ path, value: `+${name}` });
    }
    return writes;
  }

  setResources(res: LinuxResources, opts: SetOptions = {}): CgroupWrite[] {
    if (res.unified && Object.keys(res.unified).length > 0) {
      throw new UnsupportedError(`linux.resources.unified: cannot apply: this host uses cgroup ${this.mode} (unified needs cgroup v2)`);
    }
    const fs = this.fs;
    const w: CgroupWrite[] = [];
    w.push(...cpuset.apply(res, this.dir('cpuset'), fs, opts));
    w.push(...devices.apply(res, this.dir('devices'), fs, opts));
    w.push(...memory.apply(res, this.dir('memory'), fs, opts));
    w.push(...cpu.apply(res, this.dir('cpu'), fs, opts));
    w.push(...pids.apply(res, this.dir('pids'), fs, opts));
    w.push(...blkio.apply(res, this.dir('blkio'), fs, opts));
    if ((res.hugepageLimits ?? []).length > 0 && this.unifiedController('hugetlb')) {
      w.push(...this.enableUnified('hugetlb'));
      w.push(...hugetlbV2.apply(res, this.state.unified, fs, opts));
    } else {
      w.push(...hugetlb.apply(res, this.dir('hugetlb'), fs, opts));
    }
    w.push(...netCls.apply(res, this.dir('net_cls'), fs, opts));
    w.push(...netPrio.apply(res, this.dir('net_prio'), fs, opts));
    w.push(...rdma.apply(res, this.dir('rdma'), fs, opts));
    return w;
  }

  private freezerDir(): string {
    const d = this.dir('freezer');
    if (d === undefined) throw new UnsupportedError('cgroup: cannot pause or resume: the freezer cgroup controller is not available on this host');
    return d;
  }

  freezerState(): FreezerState {
    const s = this.readState(`${this.freezerDir()}/freezer.state`);
    return s === 'FROZEN' || s === 'FREEZING' ? s : 'THAWED';
  }

  freeze(): void {
    const path = `${this.freezerDir()}/freezer.state`;
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    for (let i = 0; ; i++) {
      // A freeze can get stuck in FREEZING (a task in uninterruptible sleep); thawing and
      // freezing again helps, as runc does every 50 tries.
      if (i % 50 === 49) {
        this.write(path, 'THAWED');
        sleepSync(10);
      }
      this.write(path, 'FROZEN');
      if (this.readState(path) === 'FROZEN') return;
      if (Date.now() > deadline) {
        this.write(path, 'THAWED');
        throw new SysError('cgroup: freeze', path, 'EBUSY', 'unable to freeze: the cgroup stays FREEZING');
      }
      sleepSync(i < 10 ? 1 : 10);
    }
  }

  thaw(): void {
    const path = `${this.freezerDir()}/freezer.state`;
    for (let i = 0; i < 100; i++) {
      this.write(path, 'THAWED');
      if (this.readState(path) === 'THAWED') return;
      sleepSync(10);
    }
    throw new SysError('cgroup: thaw', path, 'EBUSY', 'unable to thaw');
  }

  protected procsDir(): string | undefined {
    for (const c of ['pids', 'freezer', 'devices', 'memory', 'cpu', 'cpuacct', 'cpuset', 'blkio', 'name=systemd']) {
      if (this.dir(c)) return this.dir(c);
    }
    return Object.values(this.state.paths)[0] ?? this.state.unified;
  }

  stats(): Stats {
    const st = emptyStats();
    const fs = this.fs;
    const d = (c: string) => this.dir(c);
    if (d('cpuacct')) cpuacctStats(d('cpuacct')!, fs, st);
    if (d('cpu')) cpuStats(d('cpu')!, fs, st);
    if (d('cpuset')) cpusetStats(d('cpuset')!, fs, st);
    if (d('memory')) memoryStats(d('memory')!, fs, st);
    if (d('pids')) pidsStats(d('pids')!, fs, st);
    if (d('blkio')) blkioStats(d('blkio')!, fs, st);
    const sizes = this.extras.hugePageSizes ?? hostHugePageSizes(fs);
    if (d('hugetlb')) hugetlbStatsV1(d('hugetlb')!, fs, sizes, st);
    else if (this.state.unified) hugetlbStatsV2(this.state.unified, fs, sizes, st);
    return st;
  }

  oomKillCount(): number {
    const m = this.dir('memory');
    return m === undefined ? 0 : oomKillCountV1(m, this.fs);
  }
}
