/**
 * Fake cgroup trees for the cgroups unit tests: a real temp directory laid out like
 * /sys/fs/cgroup, whose mkdir populates the new directory with the control files a kernel would
 * show (with their default values), and whose writes to cgroup.freeze update cgroup.events.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostCgroupFs, type CgroupFs, type DirEntry } from '../../src/cgroups/fs.js';

const MAXMEM = '9223372036854771712';

const memEntry = (p: string) => ({
  [`${p}.usage_in_bytes`]: '0', [`${p}.max_usage_in_bytes`]: '0', [`${p}.failcnt`]: '0', [`${p}.limit_in_bytes`]: MAXMEM,
});

/** Files of a new (non-root) cgroup, per v1 hierarchy directory name. */
export const V1_CHILD: Record<string, Record<string, string>> = {
  cpu: {
    'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_burst_us': '0', 'cpu.idle': '0',
    'cpu.rt_period_us': '1000000', 'cpu.rt_runtime_us': '0', 'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
  },
  cpuacct: { 'cpuacct.usage': '0', 'cpuacct.usage_percpu': '0 0 ', 'cpuacct.usage_all': 'cpu user system\n0 0 0\n1 0 0\n', 'cpuacct.stat': 'user 0\nsystem 0\n' },
  cpuset: {
    'cpuset.cpus': '', 'cpuset.mems': '', 'cpuset.cpu_exclusive': '0', 'cpuset.mem_exclusive': '0', 'cpuset.mem_hardwall': '0',
    'cpuset.memory_migrate': '0', 'cpuset.memory_pressure': '0', 'cpuset.memory_spread_page': '0', 'cpuset.memory_spread_slab': '0',
    'cpuset.sched_load_balance': '1', 'cpuset.sched_relax_domain_level': '-1',
  },
  memory: {
    ...memEntry('memory'), ...memEntry('memory.memsw'), ...memEntry('memory.kmem'), ...memEntry('memory.kmem.tcp'),
    'memory.soft_limit_in_bytes': MAXMEM, 'memory.swappiness': '60', 'memory.use_hierarchy': '1',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'memory.stat': 'cache 0\nrss 0\n',
  },
  devices: { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' },
  freezer: { 'freezer.state': 'THAWED\n' },
  // like this host: BFQ weights, throttling, no blkio.weight / blkio.leaf_weight
  blkio: {
    'blkio.bfq.weight': '100', 'blkio.bfq.weight_device': '', 'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '',
    'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '', 'blkio.throttle.io_serviced_recursive': '',
    'blkio.throttle.io_service_bytes_recursive': '',
  },
  pids: { 'pids.max': 'max', 'pids.current': '0' },
  systemd: {},
  hugetlb: {
    'hugetlb.2MB.limit_in_bytes': MAXMEM, 'hugetlb.2MB.rsvd.limit_in_bytes': MAXMEM, 'hugetlb.2MB.usage_in_bytes': '0',
    'hugetlb.2MB.max_usage_in_bytes': '0', 'hugetlb.2MB.failcnt': '0',
  },
  net_cls: { 'net_cls.classid': '0' },
  net_prio: { 'net_prio.ifpriomap': '' },
  rdma: { 'rdma.max': '' },
};

export const V2_CHILD: Record<string, string> = {
  'cgroup.controllers': '', 'cgroup.subtree_control': '', 'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.freeze': '0',
  'cgroup.kill': '', 'cgroup.type': 'domain',
  'cpu.weight': '100', 'cpu.max': 'max 100000', 'cpu.max.burst': '0', 'cpu.idle': '0', 'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
  'cpuset.cpus': '', 'cpuset.mems': '',
  'memory.max': 'max', 'memory.low': '0', 'memory.swap.max': 'max', 'memory.current': '0', 'memory.swap.current': '0',
  'memory.stat': 'anon 0\nfile 0\n', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
  'io.weight': 'default 100', 'io.max': '', 'io.stat': '',
  'pids.max': 'max', 'pids.current': '0',
  'hugetlb.2MB.max': 'max', 'hugetlb.2MB.rsvd.max': 'max', 'hugetlb.2MB.current': '0', 'hugetlb.2MB.events': 'max 0\n',
  'rdma.max': '',
};

export const HYBRID_UNIFIED_CHILD: Record<string, string> = {
  'cgroup.controllers': '', 'cgroup.subtree_control': '', 'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.freeze': '0',
  'hugetlb.2MB.max': 'max', 'hugetlb.2MB.rsvd.max': 'max', 'hugetlb.2MB.current': '0', 'hugetlb.2MB.events': 'max 0\n',
};

function writeFiles(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, v] of Object.entries(files)) if (!fs.existsSync(path.join(dir, f))) fs.writeFileSync(path.join(dir, f), v);
  if (!fs.existsSync(path.join(dir, 'cgroup.procs'))) fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
}

export interface FakeTree {
  root: string;
  fs: FakeCgroupFs;
  cleanup(): void;
}

export class FakeCgroupFs implements CgroupFs {
  /** absolute hierarchy mount -> files of new children */
  readonly templates = new Map<string, Record<string, string>>();
  constructor(readonly root: string) {}
  private templateFor(p: string): Record<string, string> | undefined {
    let best: string | undefined;
    for (const m of this.templates.keys()) if (p.startsWith(m + '/') && (!best || m.length > best.length)) best = m;
    return best ? this.templates.get(best) : undefined;
  }
  readFile(p: string): string {
    return hostCgroupFs.readFile(p);
  }
  writeFile(p: string, data: string): void {
    const before = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
    hostCgroupFs.writeFile(p, data);
    // emulate: O_WRONLY write replaces the content of these plain files
    fs.writeFileSync(p, data);
    if (path.basename(p) === 'cgroup.subtree_control') {
      // "+a -b" edits the enabled set; the file lists names
      const prev = before.split(/\s+/).filter(Boolean);
      const set = new Set(prev);
      for (const tok of data.split(/\s+/).filter(Boolean)) {
        if (tok.startsWith('+')) set.add(tok.slice(1));
        else if (tok.startsWith('-')) set.delete(tok.slice(1));
      }
      fs.writeFileSync(p, [...set].join(' ') + '\n');
    }
    if (path.basename(p) === 'cgroup.freeze') {
      fs.writeFileSync(path.join(path.dirname(p), 'cgroup.events'), `populated 0\nfrozen ${data.trim() === '1' ? 1 : 0}\n`);
    }
  }
  mkdir(p: string): void {
    hostCgroupFs.mkdir(p);
    const t = this.templateFor(p);
    if (t) writeFiles(p, t);
  }
  rmdir(p: string): void {
    // a cgroup directory goes away with its control files
    for (const e of fs.readdirSync(p, { withFileTypes: true })) {
      if (e.isDirectory()) {
        const err = new Error(`rmdir ${p}: EBUSY`) as NodeJS.ErrnoException;
        err.code = 'EBUSY';
        throw err;
      }
    }
    fs.rmSync(p, { recursive: true });
  }
  exists(p: string): boolean {
    return hostCgroupFs.exists(p);
  }
  isDir(p: string): boolean {
    return hostCgroupFs.isDir(p);
  }
  readdir(p: string): DirEntry[] {
    return hostCgroupFs.readdir(p);
  }
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cg-'));
}

/**
 * A v1 (hybrid when `unified`) tree: one directory per hierarchy with its root files; the cpuset
 * root has cpus 0-3 and mems 0.
 */
export function fakeV1(opts: { hierarchies?: string[]; unified?: boolean } = {}): FakeTree {
  const root = tmp();
  const f = new FakeCgroupFs(root);
  const hs = opts.hierarchies ?? ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd'];
  for (const h of hs) {
    const files: Record<string, string> = {};
    for (const c of h.split(',')) Object.assign(files, V1_CHILD[c]);
    writeFiles(path.join(root, h), files);
    f.templates.set(path.join(root, h), files);
  }
  if (hs.includes('cpuset')) {
    fs.writeFileSync(path.join(root, 'cpuset/cpuset.cpus'), '0-3\n');
    fs.writeFileSync(path.join(root, 'cpuset/cpuset.mems'), '0\n');
  }
  if (opts.unified) {
    writeFiles(path.join(root, 'unified'), { 'cgroup.controllers': 'hugetlb\n', 'cgroup.subtree_control': '\n' });
    f.templates.set(path.join(root, 'unified'), HYBRID_UNIFIED_CHILD);
  }
  return { root, fs: f, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export function fakeV2(opts: { controllers?: string; omit?: string[] } = {}): FakeTree {
  const root = tmp();
  const f = new FakeCgroupFs(root);
  writeFiles(root, { 'cgroup.controllers': `${opts.controllers ?? 'cpuset cpu io memory hugetlb pids rdma'}\n`, 'cgroup.subtree_control': '\n' });
  const child = { ...V2_CHILD };
  for (const o of opts.omit ?? []) delete child[o];
  f.templates.set(root, child);
  return { root, fs: f, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export function read(p: string): string {
  return fs.readFileSync(p, 'utf8');
}

export function put(p: string, data: string): void {
  fs.writeFileSync(p, data);
}
