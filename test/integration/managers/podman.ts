/**
 * podman (Debian's 4.3) with everything private: --root, --runroot, --tmpdir, a containers.conf
 * (CONTAINERS_CONF) and storage.conf (CONTAINERS_STORAGE_CONF) in a temp dir, vfs storage,
 * cgroupfs, file events, file locks (not the shared /dev/shm/libpod_lock), no network.
 *
 * podman 4.3 still writes a few host defaults whatever the flags say: /run/containers/networks,
 * /var/lib/containers/cache (the blob-info cache of `podman load`), and the runtime's default
 * state root (/run/tsrun, /run/runc): conmon passes no --root, and `--runtime-flag root=…` is not
 * passed on by the exit command (`podman container cleanup`), so the runtime's `delete` would
 * look in the default root and leak the container. So every podman command runs (nsenter) in a
 * private mount namespace held by a shell, with a tmpfs on /run and an overlay on /var/lib whose
 * writes land in the temp dir. The runtime's default root is then private too, and is read from
 * the host through /proc/<holder>/root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  RUNTIMES, type Runtime, type RunOptions, type RunResult, describe, eventually, killPids, leftovers, pidsWithCmdline,
  removeCgroupTree, run, runPty, sleep,
} from './common.js';
import { IMAGE_REF } from './image.js';

export class Podman {
  readonly dir: string;
  private holder?: ChildProcess;
  private holderPid = 0;
  private env: NodeJS.ProcessEnv;
  /** Every container id we made, with its runtime: removed at stop() if still there. */
  private made = new Map<string, Runtime>();
  private parents = new Set<string>();

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'tsrun-podman-'));
    this.env = {
      ...process.env,
      CONTAINERS_CONF: join(this.dir, 'containers.conf'),
      CONTAINERS_STORAGE_CONF: join(this.dir, 'storage.conf'),
      CONTAINERS_REGISTRIES_CONF: join(this.dir, 'registries.conf'),
      TMPDIR: join(this.dir, 'imgtmp'),
    };
  }

  static async start(): Promise<Podman> {
    const p = new Podman();
    try {
      await p.boot();
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  private async boot(): Promise<void> {
    const d = this.dir;
    for (const sub of ['root', 'runroot', 'tmp', 'imgtmp', 'netconf', 'varlib-up', 'varlib-work']) mkdirSync(join(d, sub));
    const names = RUNTIMES.map((r) => JSON.stringify(basename(r.bin))).join(', ');
    writeFileSync(this.env.CONTAINERS_CONF!, [
      '[containers]',
      // The machine's root lacks CAP_SYS_RESOURCE: podman's default hard limits cannot be set.
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      'netns = "none"',
      'log_driver = "k8s-file"',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      'lock_type = "file"',
      `tmp_dir = "${d}/tmp"`,
      `image_copy_tmp_dir = "${d}/imgtmp"`,
      `runtime_supports_json = [${names}]`,
      '[network]',
      `network_config_dir = "${d}/netconf"`,
      '',
    ].join('\n'));
    writeFileSync(this.env.CONTAINERS_STORAGE_CONF!, `[storage]\ndriver = "vfs"\ngraphroot = "${d}/root"\nrunroot = "${d}/runroot"\n`);
    writeFileSync(this.env.CONTAINERS_REGISTRIES_CONF!, 'unqualified-search-registries = []\n');
    const script = [
      'set -e',
      // systemd's and the system bus's sockets stay reachable (podman's and the runtime's systemd
      // cgroup driver talk to systemd): bound back from the host's /run.
      `mkdir ${d}/host-run && mount --rbind /run ${d}/host-run`,
      'mount -t tmpfs -o mode=0755 tsrun-test-run /run',
      `for x in systemd dbus; do if [ -d ${d}/host-run/$x ]; then mkdir /run/$x && mount --rbind ${d}/host-run/$x /run/$x; fi; done`,
      `umount -l ${d}/host-run && rmdir ${d}/host-run`,
      `mount -t overlay tsrun-test-varlib -o lowerdir=/var/lib,upperdir=${d}/varlib-up,workdir=${d}/varlib-work /var/lib`,
      'echo ready',
      'read -r _ || true',
    ].join('\n');
    this.holder = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.holder.on('error', () => undefined);
    let out = '';
    let exited = false;
    this.holder.stdout!.on('data', (b) => (out += b));
    this.holder.stderr!.on('data', (b) => (out += b));
    this.holder.on('exit', () => (exited = true));
    await eventually(() => exited || out.includes('ready'), 10_000, 50);
    if (exited || !out.includes('ready')) throw new Error(`could not set up the private mount namespace: ${out}`);
    this.holderPid = this.holder.pid!;
  }

  private globals(): string[] {
    const d = this.dir;
    return [
      '--root', `${d}/root`, '--runroot', `${d}/runroot`, '--tmpdir', `${d}/tmp`, '--storage-driver', 'vfs',
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--network-config-dir', `${d}/netconf`,
    ];
  }

  /** `podman [private globals] --runtime rt args…`, in the private mount namespace. */
  podman(rt: Runtime, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run('nsenter', ['-t', String(this.holderPid), '-m', '--', 'podman', ...this.globals(), '--runtime', rt.bin, ...args], { env: this.env, ...opts });
  }

  /** The same on a pseudo-terminal (for -it). */
  podmanPty(rt: Runtime, args: string[], opts: RunOptions & { marker?: string; type?: string } = {}): Promise<RunResult> {
    return runPty(['nsenter', '-t', String(this.holderPid), '-m', '--', 'podman', ...this.globals(), '--runtime', rt.bin, ...args], { env: this.env, ...opts });
  }

  /** A runtime command (`rt --root … args`) in the namespace, as conmon would run it. */
  runtime(rt: Runtime, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run('nsenter', ['-t', String(this.holderPid), '-m', '--', rt.bin, ...args], opts);
  }

  async load(archive: string): Promise<void> {
    const r = await this.podman(RUNTIMES[0], ['load', '-i', archive], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`podman load: ${describe(r)}`);
    const ls = await this.podman(RUNTIMES[0], ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    if (!ls.stdout.split('\n').includes(IMAGE_REF)) throw new Error(`image ${IMAGE_REF} not listed after load: ${describe(ls)}`);
  }

  /** The cgroup parent of this runtime's containers (private to this test process). */
  cgroupParent(rt: Runtime): string {
    const p = `/tsrun-itest-${process.pid}-${rt.name}`;
    this.parents.add(p);
    return p;
  }

  /** Flags for `podman run` / `create`: no pulling, no network, our cgroup parent. */
  runFlags(rt: Runtime): string[] {
    return ['--pull=never', '--network=none', '--cgroup-parent', this.cgroupParent(rt)];
  }

  /** Records a container id for clean-up at stop(). */
  track(rt: Runtime, id: string): void {
    this.made.set(id, rt);
  }

  /** The runtime's state dir of a container (the default root, in the private namespace). */
  stateDir(rt: Runtime, id: string): string {
    return join(`/proc/${this.holderPid}/root`, rt.defaultRoot, id);
  }

  async inspect(rt: Runtime, id: string, format: string): Promise<string> {
    const r = await this.podman(rt, ['inspect', '--format', format, id]);
    return r.code === 0 ? r.stdout.trim() : `(inspect failed: ${r.stderr.trim()})`;
  }

  async exists(rt: Runtime, id: string): Promise<boolean> {
    return (await this.podman(rt, ['container', 'exists', id])).code === 0;
  }

  /**
   * Removes a container whatever its state (teardown): `rm -f`, then the runtime's own
   * `delete --force` if its state dir is still there. Returns what went wrong, for the log.
   */
  async remove(rt: Runtime, ref: string, id?: string): Promise<string[]> {
    const problems: string[] = [];
    if (await this.exists(rt, ref)) {
      await this.podman(rt, ['unpause', ref]);
      const rm = await this.podman(rt, ['rm', '-f', '-t', '0', ref], { timeoutMs: 60_000 });
      if (rm.code !== 0) problems.push(`podman rm -f ${ref}: ${describe(rm)}`);
      if (await this.exists(rt, ref)) problems.push(`${ref} still exists after podman rm -f`);
    }
    if (id && existsSync(this.stateDir(rt, id))) {
      problems.push(`${rt.name} state of ${id} still there: running ${rt.name} delete --force`);
      await this.runtime(rt, ['delete', '--force', id]);
    }
    return problems;
  }

  /** What a container left: runtime state dir, cgroup `<parent>/libpod-<id>`, processes in it. */
  leftovers(rt: Runtime, id: string): string[] {
    return leftovers(this.stateDir(rt, id), `${this.cgroupParent(rt)}/libpod-${id}`);
  }

  /** Processes naming our temp dir (conmon, a stuck podman), the namespace holder excepted. */
  strayProcesses(): number[] {
    return pidsWithCmdline(this.dir).filter((pid) => pid !== this.holderPid);
  }

  /** Removes every container we made, ends the namespace, removes cgroups and the temp dir. */
  async stop(): Promise<string[]> {
    const notes: string[] = [];
    if (this.holderPid && this.holder?.exitCode === null) {
      for (const [id, rt] of this.made) {
        if ((await this.exists(rt, id)) || existsSync(this.stateDir(rt, id))) {
          notes.push(`container ${id} (${rt.name}) still existed at the end`);
          notes.push(...await this.remove(rt, id, id));
        }
      }
      const exited = new Promise((r) => this.holder!.once('exit', r));
      this.holder!.stdin?.end();
      await Promise.race([exited, sleep(5000)]);
    }
    // conmon processes (they name our storage dirs) would keep the namespace alive.
    const stray = pidsWithCmdline(this.dir);
    if (stray.length) {
      notes.push(`killed ${stray.length} leftover process(es) naming ${this.dir}`);
      killPids(stray);
      await sleep(500);
    }
    for (const p of this.parents) {
      const left = await removeCgroupTree(p);
      if (left.length) notes.push(`could not remove cgroups: ${left.join(' ')}`);
    }
    rmSync(this.dir, { recursive: true, force: true });
    return notes;
  }
}
