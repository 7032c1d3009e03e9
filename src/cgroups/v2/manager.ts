/**
 * The cgroup v2 manager: one directory. create() makes it and enables the available controllers
 * in cgroup.subtree_control of every level above it (runc's CreateCgroupPath); resources are
 * written in runc's fs2 order; devices are an eBPF program; freezing is cgroup.freeze.
 */
import { dirname, relative } from 'node:path/posix';
import { SysError, UnsupportedError } from '../../errors.js';
import { readOpt, sleepSync, type CgroupFs } from '../fs.js';
import { F } from '../controller.js';
import { BaseManager, type CgroupState, type FreezerState, type SetOptions } from '../manager.js';
import { emptyStats, hostHugePageSizes, parseKeyValues, type Stats } from '../stats.js';
import type { CgroupWrite, LinuxResources } from '../types.js';
import type { DeviceFilterAttacher } from '../ebpf/attach.js';
import * as cpu from './cpu.js';
import * as cpuset from './cpuset.js';
import * as devices from './devices.js';
import * as hugetlb from './hugetlb.js';
import * as io from './io.js';
import * as memory from './memory.js';
import * as pids from './pids.js';
import * as rdma from './rdma.js';
import * as unified from './unified.js';
import { cpuStatsV2, hugetlbStatsV2, ioStatsV2, memoryStatsV2, oomKillCountV2, pidsStatsV2 } from './stats.js';

export interface V2Extras {
  hugePageSizes?: string[];
  attacher?: DeviceFilterAttacher;
}

const FREEZE_TIMEOUT_MS = 2000;

export class V2Manager extends BaseManager {
  readonly mode = 'v2' as const;

  constructor(fs: CgroupFs, state: CgroupState, private readonly extras: V2Extras = {}) {
    super(fs, state);
  }

  get dir(): string {
    return this.state.unified!;
  }

  paths(): Record<string, string> {
    return { '': this.dir };
  }

  /** Enables every controller of the root's cgroup.controllers on each level above the leaf. */
  private enableControllers(): CgroupWrite[] {
    const writes: CgroupWrite[] = [];
    const mount = this.state.unifiedMount!;
    const want = (readOpt(this.fs, `${mount}/cgroup.controllers`) ?? '').split(/\s+/).filter(Boolean);
    if (want.length === 0) return writes;
    const rel = relative(mount, this.dir);
    let cur = mount;
    const levels = [mount, ...rel.split('/').filter(Boolean).slice(0, -1).map((p) => (cur = `${cur}/${p}`))];
    for (const dir of levels) {
      const path = `${dir}/cgroup.subtree_control`;
      const have = (readOpt(this.fs, path) ?? '').split(/\s+/);
      const missing = want.filter((c) => !have.includes(c));
      if (missing.length === 0) continue;
      const all = missing.map((c) => `+${c}`).join(' ');
      try {
        this.fs.writeFile(path, all);
        writes.push({ path, value: all });
      } catch {
        // One by one; a controller that cannot be enabled shows up later as a missing file.
        for (const c of missing) {
          try {
            this.fs.writeFile(path, `+${c}`);
            writes.push({ path, value: `+${c}` });
          } catch {
            /* reported by the resource that needs it */
          }
        }
      }
    }
    return writes;
  }

  create(): void {
    const mount = this.state.unifiedMount!;
    const rel = relative(mount, this.dir);
    if (rel === '') return; // the root cgroup: nothing to create
    // Parents first (each must exist before its subtree_control is written), then the leaf.
    const parent = dirname(this.dir);
    if (parent !== mount) this.mkdirp(parent, mount);
    this.enableControllers();
    this.mkdirp(this.dir, mount);
  }

  apply(pid: number): void {
    this.writeProcs(this.dir, pid);
  }

  joinTargets(): { tasks: string[]; unified?: string } {
    return { tasks: [], unified: this.dir };
  }

  setResources(res: LinuxResources, opts: SetOptions = {}): CgroupWrite[] {
    const net = res.network;
    if (net?.classID !== undefined && net.classID !== 0) {
      throw new UnsupportedError(`${F}.network.classID: cannot apply: net_cls.classid does not exist on cgroup v2`);
    }
    if ((net?.priorities ?? []).length > 0) {
      throw new UnsupportedError(`${F}.network.priorities: cannot apply: net_prio.ifpriomap does not exist on cgroup v2`);
    }
    const o: SetOptions = { ...opts, attacher: opts.attacher ?? this.extras.attacher };
    const fs = this.fs;
    const d = this.dir;
    return [
      ...pids.apply(res, d, fs, o),
      ...memory.apply(res, d, fs, o),
      ...io.apply(res, d, fs, o),
      ...cpu.apply(res, d, fs, o),
      ...devices.apply(res, d, fs, o),
      ...cpuset.apply(res, d, fs, o),
      ...hugetlb.apply(res, d, fs, o),
      ...rdma.apply(res, d, fs, o),
      ...unified.apply(res, d, fs, o),
    ];
  }

  private freezeFile(): string {
    const path = `${this.dir}/cgroup.freeze`;
    if (!this.fs.exists(path)) {
      throw new UnsupportedError(`cgroup: cannot pause or resume: ${path} does not exist (the kernel has no cgroup v2 freezer)`);
    }
    return path;
  }

  private frozenEvent(): boolean {
    const ev = readOpt(this.fs, `${this.dir}/cgroup.events`);
    return ev !== undefined && parseKeyValues(ev, `${this.dir}/cgroup.events`).frozen === 1;
  }

  freezerState(): FreezerState {
    const want = this.readState(this.freezeFile());
    if (want !== '1') return 'THAWED';
    return this.frozenEvent() ? 'FROZEN' : 'FREEZING';
  }

  private waitFrozen(frozen: boolean, path: string): void {
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    while (this.frozenEvent() !== frozen) {
      if (Date.now() > deadline) {
        throw new SysError(`cgroup: ${frozen ? 'freeze' : 'thaw'}`, path, 'EBUSY', `cgroup.events does not report frozen ${frozen ? 1 : 0}`);
      }
      sleepSync(5);
    }
  }

  freeze(): void {
    const path = this.freezeFile();
    this.write(path, '1');
    try {
      this.waitFrozen(true, path);
    } catch (err) {
      this.write(path, '0');
      throw err;
    }
  }

  thaw(): void {
    const path = this.freezeFile();
    this.write(path, '0');
    this.waitFrozen(false, path);
  }

  protected override killFast(signal: NodeJS.Signals | number): boolean {
    if (signal !== 'SIGKILL' && signal !== 9) return false;
    const path = `${this.dir}/cgroup.kill`;
    if (!this.fs.exists(path)) return false;
    this.write(path, '1');
    return true;
  }

  protected procsDir(): string | undefined {
    return this.dir;
  }

  stats(): Stats {
    const st = emptyStats();
    const fs = this.fs;
    pidsStatsV2(this.dir, fs, st);
    memoryStatsV2(this.dir, fs, st);
    ioStatsV2(this.dir, fs, st);
    cpuStatsV2(this.dir, fs, st);
    hugetlbStatsV2(this.dir, fs, this.extras.hugePageSizes ?? hostHugePageSizes(fs), st);
    return st;
  }

  oomKillCount(): number {
    return oomKillCountV2(this.dir, this.fs);
  }
}
