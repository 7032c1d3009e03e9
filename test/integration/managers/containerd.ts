/**
 * A private containerd (Debian's package) for the tests: its own root, state, sockets and
 * config.toml in a temp dir, the CRI plugin disabled. The shim (containerd-shim-runc-v2) keeps
 * its sockets under /run/containerd/s whatever the config says (containerd 1.6 `pkg/shim`
 * `socketRoot`), so the daemon runs in a private mount namespace with a tmpfs on /run: nothing
 * reaches the host's /run. `ctr` talks to it with --address, its IO fifos in a private --fifo-dir.
 * Containers run through io.containerd.runc.v2 with --runc-binary (the runtime under test) and
 * --runc-root (private; the shim appends the namespace). With CRI settings, the CRI plugin runs
 * too (test/cri/harness.ts): its runtime handlers name their binaries and roots in the config.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Runtime, type RunOptions, type RunResult, describe, eventually, killPids, leftovers, pidsWithCmdline,
  removeCgroupTree, run, runPty, sleep, tail,
} from './common.js';
import { IMAGE_REF } from './image.js';
import { type CriSettings, privateContainerdConfig } from '../../support/containerd-config.js';

export class Containerd {
  readonly dir: string;
  readonly address: string;
  readonly fifoDir: string;
  readonly log: string;
  private daemon?: ChildProcess;
  private imported = new Set<string>();
  private namespaces = new Set<string>();
  /** The CRI plugin's namespace, when it runs: its pods' cgroups are under their own parents, not /<ns>. */
  private criNamespace?: string;

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'tsrun-ctd-'));
    this.address = join(this.dir, 'containerd.sock');
    this.fifoDir = join(this.dir, 'fifo');
    this.log = join(this.dir, 'containerd.log');
  }

  /**
   * Starts the daemon and waits until it answers; throws (with its log) when it does not.
   * `cri` (given the daemon's dir) turns the CRI plugin on with those settings.
   */
  static async start(cri?: (dir: string) => CriSettings): Promise<Containerd> {
    const c = new Containerd();
    try {
      if (cri) c.criNamespace = 'k8s.io';
      await c.boot(cri?.(c.dir));
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  private async boot(cri?: CriSettings): Promise<void> {
    const d = this.dir;
    mkdirSync(this.fifoDir);
    const config = join(d, 'config.toml');
    writeFileSync(config, privateContainerdConfig(d, this.address, 'debug', cri));
    mkdirSync(join(d, 'tmp'));
    // The daemon runs under a shell that owns the private mount namespace and stops containerd
    // when its stdin closes: at stop(), or when this test process dies.
    const script = [
      'set -e',
      // systemd's and the system bus's sockets stay reachable under the tmpfs (the systemd
      // cgroup driver talks to systemd): bound back from the host's /run.
      'mkdir "$2/host-run" && mount --rbind /run "$2/host-run"',
      'mount -t tmpfs -o mode=0755 tsrun-test-run /run',
      'for x in systemd dbus; do if [ -d "$2/host-run/$x" ]; then mkdir /run/$x && mount --rbind "$2/host-run/$x" /run/$x; fi; done',
      'umount -l "$2/host-run" && rmdir "$2/host-run"',
      'containerd --config "$1" & cpid=$!',
      'set +e',
      'read -r _',
      'kill -TERM "$cpid" 2>/dev/null',
      'wait "$cpid"',
    ].join('\n');
    const logFd = openSync(this.log, 'a');
    this.daemon = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', config, d], {
      stdio: ['pipe', logFd, logFd],
    });
    closeSync(logFd);
    this.daemon.on('error', () => undefined);
    let exited = false;
    this.daemon.on('exit', () => (exited = true));
    const ok = await eventually(async () => {
      if (exited) return true;
      if (!existsSync(this.address)) return false;
      const v = await run('ctr', ['--address', this.address, 'version'], { timeoutMs: 5000 });
      return v.code === 0;
    }, 30_000, 200);
    if (!ok || exited) throw new Error(`private containerd did not start:\n${tail(this.log)}`);
  }

  /** A process in the daemon's private mount namespace (for nsenter -m), while it runs. */
  get mountNsPid(): number | undefined {
    return this.daemon && this.daemon.exitCode === null ? this.daemon.pid : undefined;
  }

  /** `ctr --address A --namespace NS args…`. */
  ctr(ns: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.namespaces.add(ns);
    return run('ctr', ['--address', this.address, '--namespace', ns, ...args], opts);
  }

  /** The same on a pseudo-terminal (for -t). */
  ctrPty(ns: string, args: string[], opts: RunOptions & { marker?: string; type?: string } = {}): Promise<RunResult> {
    this.namespaces.add(ns);
    return runPty(['ctr', '--address', this.address, '--namespace', ns, ...args], opts);
  }

  /** The --runc-root given to the shim for `rt`; the shim runs `rt --root <this>/<ns>`. */
  runcRoot(rt: Runtime): string {
    return join(this.dir, `runc-root-${rt.name}`);
  }

  /** The flags of `ctr run` that select the runtime under test. */
  runFlags(rt: Runtime): string[] {
    return ['--fifo-dir', this.fifoDir, '--runtime', 'io.containerd.runc.v2', '--runc-binary', rt.bin, '--runc-root', this.runcRoot(rt)];
  }

  /** The runtime's state dir of a container. */
  stateDir(rt: Runtime, ns: string, id: string): string {
    return join(this.runcRoot(rt), ns, id);
  }

  /** The task's bundle (it holds the runtime's log.json) while the task exists. */
  bundle(ns: string, id: string): string {
    return join(this.dir, 'state', 'io.containerd.runtime.v2.task', ns, id);
  }

  /** The runtime's log.json of a task, for diagnosis. */
  runtimeLog(ns: string, id: string): string {
    const f = join(this.bundle(ns, id), 'log.json');
    return existsSync(f) ? readFileSync(f, 'utf8') : '(no log.json)';
  }

  /** Imports the busybox image into a namespace (once). */
  async importImage(ns: string, archive: string): Promise<void> {
    if (this.imported.has(ns)) return;
    const r = await this.ctr(ns, ['images', 'import', archive], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`ctr images import: ${describe(r)}`);
    const ls = await this.ctr(ns, ['images', 'ls', '-q']);
    if (!ls.stdout.split('\n').includes(IMAGE_REF)) throw new Error(`image ${IMAGE_REF} not listed after import: ${describe(ls)}`);
    this.imported.add(ns);
  }

  /** The status column of `ctr task ls` for a task (RUNNING, PAUSED, STOPPED…), or undefined. */
  async taskStatus(ns: string, id: string): Promise<string | undefined> {
    const r = await this.ctr(ns, ['task', 'ls']);
    for (const line of r.stdout.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[0] === id) return f[2];
    }
    return undefined;
  }

  async taskPid(ns: string, id: string): Promise<number | undefined> {
    const r = await this.ctr(ns, ['task', 'ls']);
    for (const line of r.stdout.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[0] === id) return Number(f[1]);
    }
    return undefined;
  }

  async containerIds(ns: string): Promise<string[]> {
    const r = await this.ctr(ns, ['containers', 'ls', '-q']);
    return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  }

  /** Removes a container and its task whatever state they are in (test teardown). */
  async remove(ns: string, id: string): Promise<void> {
    await this.ctr(ns, ['task', 'kill', '-a', '-s', 'SIGKILL', id], { timeoutMs: 20_000 });
    await eventually(async () => (await this.taskStatus(ns, id)) !== 'RUNNING', 5000);
    await this.ctr(ns, ['task', 'delete', '--force', id], { timeoutMs: 30_000 });
    await this.ctr(ns, ['containers', 'rm', id], { timeoutMs: 30_000 });
  }

  /** What a container left: the runtime's state dir, its cgroup `/<ns>/<id>`, processes in it. */
  leftovers(rt: Runtime, ns: string, id: string): string[] {
    return leftovers(this.stateDir(rt, ns, id), `/${ns}/${id}`);
  }

  /**
   * Removes every container, stops the daemon, kills any shim it left, removes the namespaces'
   * cgroups and the temp dir. Returns what had to be cleaned up forcibly (for the report).
   */
  async stop(): Promise<string[]> {
    const notes: string[] = [];
    if (this.daemon && this.daemon.exitCode === null) {
      for (const ns of this.namespaces) {
        for (const id of await this.containerIds(ns)) {
          notes.push(`container ${ns}/${id} still existed at the end`);
          await this.remove(ns, id);
        }
      }
      const exited = new Promise((r) => this.daemon!.once('exit', r));
      this.daemon.stdin?.end();
      const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!stopped) {
        notes.push('containerd did not stop on SIGTERM: killed');
        killPids(pidsWithCmdline(this.dir));
        await Promise.race([exited, sleep(5000)]);
      }
    }
    // Shims outlive the daemon by design; they name our socket on their command line.
    await sleep(200);
    const shims = pidsWithCmdline(this.address);
    if (shims.length) {
      notes.push(`killed ${shims.length} leftover shim process(es)`);
      killPids(shims);
      await sleep(500);
    }
    for (const ns of this.namespaces) {
      if (ns === this.criNamespace) continue;
      const left = await removeCgroupTree(`/${ns}`);
      if (left.length) notes.push(`could not remove cgroups: ${left.join(' ')}`);
    }
    rmSync(this.dir, { recursive: true, force: true });
    return notes;
  }
}
