/**
 * Pods through containerd 1.6's CRI plugin, for the CRI tests and the pods bench: a private
 * containerd (test/integration/managers/containerd.ts) with the CRI plugin on and one runtime
 * handler per runtime under test (`tsrun`, `runc`: the runc v2 shim with BinaryName and a private
 * Root), a loopback-only CNI network, and two images imported into the k8s.io namespace from
 * files: the pause image (build/tsrun-pause, test/cri/pause.c) and busybox. Nothing is pulled.
 * Each runtime's pods live under their own cgroup parent, removed at the end.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Containerd } from '../integration/managers/containerd.js';
import {
  ROOTFS, RUNTIMES, type Runtime, basicPrerequisites, cgroupDirs, ensureCommands, eventually, pidsInCgroup,
  removeCgroupTree, tail,
} from '../integration/managers/common.js';
import { buildImageArchive } from '../integration/managers/image.js';
import { CriClient } from './client.js';
import {
  CNI_BIN_DIR, CRI_NS, type ContainerOptions, PAUSE_BIN, type PodOptions, containerConfig, criSettings, pauseArchive, podConfig,
} from './pods.js';

export type { PodOptions };

/** Why the CRI harness cannot run here, or undefined (installs containerd and the CNI plugins when missing). */
export function criPrerequisites(): string | undefined {
  return basicPrerequisites()
    ?? ensureCommands({ containerd: 'containerd', ctr: 'containerd', 'containerd-shim-runc-v2': 'containerd', [join(CNI_BIN_DIR, 'loopback')]: 'containernetworking-plugins' })
    ?? (existsSync(PAUSE_BIN) ? undefined : `needs ${PAUSE_BIN} (run make)`);
}

export class CriHarness {
  private podCount = 0;
  private readonly pods = new Set<Pod>();

  private constructor(readonly ctd: Containerd, readonly cri: CriClient, readonly work: string) {}

  /** Starts containerd with CRI, imports the images; throws (with containerd's log) when that fails. */
  static async start(): Promise<CriHarness> {
    const work = mkdtempSync(join(tmpdir(), 'tsrun-cri-'));
    let ctd: Containerd | undefined;
    try {
      ctd = await Containerd.start((dir) => criSettings(dir, RUNTIMES));
      for (const archive of [pauseArchive(join(work, 'pause-image')), buildImageArchive(ROOTFS, join(work, 'busybox-image'))]) {
        const r = await ctd.ctr(CRI_NS, ['images', 'import', archive], { timeoutMs: 120_000 });
        if (r.code !== 0) throw new Error(`ctr -n ${CRI_NS} images import ${archive}: ${r.stderr}`);
      }
      const h: CriHarness = new CriHarness(ctd, new CriClient(ctd.address, () => h.lastErrors()), work);
      const ready = await eventually(async () => {
        try { await h.cri.call('Version', { version: 'v1' }, 5000); return true; } catch { return false; }
      }, 30_000, 250);
      if (!ready) throw new Error(`the CRI plugin did not answer Version:\n${tail(ctd.log)}`);
      return h;
    } catch (e) {
      if (ctd) await ctd.stop();
      rmSync(work, { recursive: true, force: true });
      throw e;
    }
  }

  /** The cgroup parent of a runtime's pods (cgroupfs syntax). */
  cgroupParent(rt: Runtime): string {
    return `/tsrun-cri-${process.pid}-${rt.name}`;
  }

  /** The runtime's state dir of a container or sandbox. */
  stateDir(rt: Runtime, id: string): string {
    return this.ctd.stateDir(rt, CRI_NS, id);
  }

  /** RunPodSandbox on runtime handler `rt.name`; the pod is removed at stop() if a test leaves it. */
  async runPod(rt: Runtime, name: string, opts: PodOptions = {}): Promise<Pod> {
    const n = this.podCount++;
    const logDir = join(this.work, 'logs', `${name}-${n}`);
    mkdirSync(logDir, { recursive: true });
    const config = podConfig(`${name}-${n}-${process.pid}`, logDir, `${this.cgroupParent(rt)}/pod-${n}`, opts);
    const r = await this.cri.call('RunPodSandbox', { config, runtime_handler: rt.name });
    const pod = new Pod(this, rt, r.pod_sandbox_id, config, logDir);
    this.pods.add(pod);
    return pod;
  }

  forget(pod: Pod): void {
    this.pods.delete(pod);
  }

  /** The last error lines of the runtimes' log.json files (bundles that still exist) and of containerd. */
  lastErrors(): string {
    const tasks = join(this.ctd.dir, 'state', 'io.containerd.runtime.v2.task', CRI_NS);
    const errors: Array<{ time: string; line: string }> = [];
    for (const id of existsSync(tasks) ? readdirSync(tasks) : []) {
      const file = join(tasks, id, 'log.json');
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        try {
          const entry = JSON.parse(line);
          if (entry.level === 'error') errors.push({ time: String(entry.time ?? ''), line: `${id.slice(0, 12)} ${entry.msg}` });
        } catch { /* not JSON */ }
      }
    }
    errors.sort((a, b) => a.time.localeCompare(b.time));
    const runtime = errors.length ? errors[errors.length - 1].line : '(no error in any log.json)';
    const daemon = tail(this.ctd.log, 400).split('\n').filter((l) => l.includes('level=error')).slice(-3).join('\n');
    return `runtime's last log.json error: ${runtime}\ncontainerd's last errors:\n${daemon || '(none)'}`;
  }

  /** Removes what tests left, stops containerd, removes the cgroup parents and the work dir. */
  async stop(): Promise<string[]> {
    const notes: string[] = [];
    for (const pod of [...this.pods]) {
      notes.push(`pod ${pod.config.metadata.name} was left: removed`);
      await pod.remove().catch((e) => notes.push(`removing it: ${(e as Error).message.split('\n')[0]}`));
    }
    this.cri.close();
    notes.push(...await this.ctd.stop());
    for (const rt of RUNTIMES) {
      const left = await removeCgroupTree(this.cgroupParent(rt));
      if (left.length) notes.push(`could not remove cgroups: ${left.join(' ')}`);
    }
    rmSync(this.work, { recursive: true, force: true });
    return notes;
  }
}

export class Pod {
  constructor(readonly h: CriHarness, readonly rt: Runtime, readonly id: string, readonly config: any, readonly logDir: string) {}

  /** CreateContainer (busybox) in this pod; returns its id. Its log is <logDir>/<name>.log. */
  async create(name: string, o: ContainerOptions): Promise<string> {
    const r = await this.h.cri.call('CreateContainer', { pod_sandbox_id: this.id, config: containerConfig(name, o), sandbox_config: this.config });
    return r.container_id;
  }

  /** CreateContainer + StartContainer; returns the id. */
  async start(name: string, o: ContainerOptions): Promise<string> {
    const id = await this.create(name, o);
    await this.h.cri.call('StartContainer', { container_id: id });
    return id;
  }

  logPath(name: string, attempt = 0): string {
    return join(this.logDir, `${name}-${attempt}.log`);
  }

  async status(id: string): Promise<any> {
    return (await this.h.cri.call('ContainerStatus', { container_id: id })).status;
  }

  /**
   * The host pid of a running container's process (ContainerStatus verbose info), once it runs
   * the image's program: StartContainer may return before the runtime's init has exec'd it
   * (runc's start only signals its init), and until then it has neither the program's
   * seccomp filter nor its command line.
   */
  async pid(id: string): Promise<number> {
    const r = await this.h.cri.call('ContainerStatus', { container_id: id, verbose: true });
    const pid: number = JSON.parse(r.info.info).pid;
    await eventually(() => IMAGE_PROGRAMS.includes(exeOf(pid)), 5000, 20);
    return pid;
  }

  /** PodSandboxStatus verbose: the status and the parsed info (pid, netns path, runtime spec). */
  async sandboxStatus(): Promise<{ status: any; info: any }> {
    const r = await this.h.cri.call('PodSandboxStatus', { pod_sandbox_id: this.id, verbose: true });
    return { status: r.status, info: JSON.parse(r.info.info ?? '{}') };
  }

  /** ExecSync; stdout and stderr as text. */
  async exec(id: string, cmd: string[], timeout = 0): Promise<{ stdout: string; stderr: string; exit_code: number }> {
    const r = await this.h.cri.call('ExecSync', { container_id: id, cmd, timeout });
    return { stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString(), exit_code: r.exit_code };
  }

  /** Waits until a container has exited; returns its status. */
  async exited(id: string, ms = 20_000): Promise<any> {
    let st: any;
    await eventually(async () => (st = await this.status(id)).state === 'CONTAINER_EXITED', ms, 100);
    return st;
  }

  /** The pod's cgroup parent. */
  get cgroupParent(): string {
    return this.config.linux.cgroup_parent;
  }

  /** StopPodSandbox + RemovePodSandbox (containers go with it). */
  async remove(): Promise<void> {
    await this.h.cri.call('StopPodSandbox', { pod_sandbox_id: this.id });
    await this.h.cri.call('RemovePodSandbox', { pod_sandbox_id: this.id });
    this.h.forget(this);
  }
}

/** What the images' processes run, as /proc/<pid>/exe names it in their mount namespace. */
const IMAGE_PROGRAMS = ['/bin/busybox', '/pause'];

function exeOf(pid: number): string {
  try { return readlinkSync(`/proc/${pid}/exe`); } catch { return ''; }
}

/** The inode a /proc/<pid>/ns/<kind> link names ("net:[4026531992]"). */
export function nsOf(pid: number | 'self', kind: string): string {
  try { return readlinkSync(`/proc/${pid}/ns/${kind}`); } catch { return `(/proc/${pid}/ns/${kind} unreadable)`; }
}

/** A line of /proc/<pid>/status ("CapEff", "Seccomp"…), its value. */
export function procStatus(pid: number, key: string): string {
  const m = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? m[1].trim() : '';
}

/** The mount points of a process's mount namespace, with their mount options (/proc/<pid>/mountinfo). */
export function mountsOf(pid: number): Array<{ point: string; options: string; fstype: string; source: string }> {
  return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [pre, post] = l.split(' - ');
    const f = pre.split(' ');
    const g = post.split(' ');
    return { point: f[4], options: f[5], fstype: g[0], source: g[1] };
  });
}

/**
 * A cgroup file of a process: the v1 controller's hierarchy when the host has one, else the
 * unified one (`v1` and `v2` name the file in each).
 */
export function cgroupFileOf(pid: number, controller: string, v1: string, v2: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean);
  for (const l of lines) {
    const [, ctrls, path] = l.split(':');
    if (ctrls.split(',').includes(controller)) return join('/sys/fs/cgroup', controller, path, v1);
  }
  const unified = lines.find((l) => l.startsWith('0::'));
  const base = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
  return join(base, unified!.slice(3), v2);
}

/** Whether a pid is a live process (not gone, not a zombie awaiting its reaper). */
function alive(pid: number): boolean {
  try { return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

/** What a removed pod left: state dirs, cgroups below its parent, processes, mounts and its netns. */
export function podLeftovers(pod: Pod, ids: string[], pids: number[], netns: string | undefined): string[] {
  const found: string[] = [];
  for (const id of ids) if (existsSync(pod.h.stateDir(pod.rt, id))) found.push(`state dir ${pod.h.stateDir(pod.rt, id)}`);
  for (const dir of cgroupDirs(pod.cgroupParent)) {
    for (const e of readdirSync(dir)) if (statSync(join(dir, e)).isDirectory()) found.push(`cgroup ${join(dir, e)}`);
  }
  for (const pid of pidsInCgroup(pod.cgroupParent)) found.push(`process ${pid} in ${pod.cgroupParent}`);
  for (const pid of pids) if (alive(pid)) found.push(`process ${pid}`);
  const daemon = pod.h.ctd.mountNsPid;
  if (daemon) {
    for (const m of mountsOf(daemon)) {
      if (ids.some((id) => m.point.includes(id)) || (netns && m.point === netns)) found.push(`mount ${m.point}`);
    }
    if (netns && existsSync(`/proc/${daemon}/root${netns}`)) found.push(`netns file ${netns}`);
  }
  return found;
}

