// Helpers for the conformance suite: running a runtime's CLI, making bundles, reading state,
// polling, and the small assertion vocabulary the tests use. No test framework: a test is an
// async function of a Ctx that throws Fail (or Skip, or a Deviation of deviations.ts) to say so.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Outcomes

/** The runtime did not do what the requirement says. */
export class Fail extends Error {}
/** The test could not say: a prerequisite is missing (known deviations are deviations.ts's). */
export class Skip extends Error {}
/** The test was stopped by its timeout; the runner reports the timeout itself. */
export class Aborted extends Error {}

export function fail(msg: string): never {
  throw new Fail(msg);
}
export function skip(msg: string): never {
  throw new Skip(msg);
}
export function expect(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Fail(msg);
}

// ---------------------------------------------------------------------------------------------
// A runtime under test

export interface Runtime {
  /** The column name: "runc", "crun", "tsrun". */
  name: string;
  /** The command, split into words: ["/usr/sbin/runc"], ["bash", "/abs/conformance/crun-wrapper.sh"]. */
  argv: string[];
}

/**
 * Split NAME=COMMAND. COMMAND is split on blanks, with '...' and "..." quoting; words that name
 * an existing file relative to the current directory become absolute, because tests run the
 * runtime from other directories (e.g. `bash conformance/crun-wrapper.sh`).
 */
export function parseRuntime(spec: string, cwd = process.cwd()): Runtime {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--runtime wants NAME=COMMAND, got "${spec}"`);
  const name = spec.slice(0, eq);
  if (!/^[A-Za-z0-9_.+-]+$/.test(name)) throw new Error(`--runtime name "${name}": use letters, digits, _ . + -`);
  const words: string[] = [];
  let cur = '';
  let have = false;
  let quote: string | null = null;
  for (const ch of spec.slice(eq + 1)) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      have = true;
    } else if (/\s/.test(ch)) {
      if (have) words.push(cur);
      cur = '';
      have = false;
    } else {
      cur += ch;
      have = true;
    }
  }
  if (quote) throw new Error(`--runtime ${name}: unbalanced ${quote}`);
  if (have) words.push(cur);
  if (words.length === 0) throw new Error(`--runtime ${name}: empty command`);
  const argv = words.map((w) =>
    w.includes('/') && !path.isAbsolute(w) && existsSync(path.resolve(cwd, w)) ? path.resolve(cwd, w) : w,
  );
  return { name, argv };
}

// ---------------------------------------------------------------------------------------------
// Running commands

export interface RunResult {
  argv: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function ok(r: RunResult): boolean {
  return r.code === 0 && !r.timedOut;
}

/** One line saying what ran and how it ended, for failure messages. */
export function describe(r: RunResult): string {
  const how = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  const err = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-2).join(' / ').slice(0, 240);
  return `\`${r.argv.join(' ')}\` → ${how}${err ? `: ${err}` : ''}`;
}

export interface ExecOptions {
  cwd?: string;
  timeoutMs?: number;
  /** Files for the child's stdio; default /dev/null in, fresh files under the context's dir out. */
  stdin?: string;
  stdout?: string;
  stderr?: string;
}

// ---------------------------------------------------------------------------------------------
// The parts of config.json the suite writes

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}
export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}
export type HookName = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';
export interface Process {
  terminal?: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: Record<string, string[]>;
  noNewPrivileges?: boolean;
}
export interface Spec {
  ociVersion: string;
  process?: Process;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: Mount[];
  hooks?: Partial<Record<HookName, Hook[]>>;
  annotations?: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath?: string;
    [k: string]: unknown;
  };
}

/**
 * Where the bundle's output directory appears inside every test container (a read-write bind
 * mount): /tmp exists in the read-only rootfs, so no runtime has to create a mount point in the
 * shared rootfs directory.
 */
export const OUT = '/tmp';
export const SPEC_VERSION = '1.0.2';

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/**
 * A minimal valid runtime-spec config for the busybox rootfs: runc spec's defaults (namespaces,
 * mounts, capabilities) without a terminal, the rootfs read-only, and the test's output
 * directory bind-mounted read-write at OUT.
 */
export function baseSpec(rootfs: string, outDir: string, args: string[]): Spec {
  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname: 'conformance',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: OUT, type: 'bind', source: outDir, options: ['rbind', 'rw'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    },
  };
}

/** `/bin/sh -c SCRIPT` */
export function sh(script: string): string[] {
  return ['/bin/sh', '-c', script];
}

/** A hook that appends NAME to LOGFILE (a path as the hook sees it) and exits with EXIT. */
export function logHook(name: string, logFile: string, exit = 0): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', `echo ${name} >>${logFile}; exit ${exit}`] };
}

export interface Bundle {
  dir: string;
  /** Host side of OUT. */
  out: string;
  spec: Spec;
}

/** The OCI state as the runtime printed it. */
export interface State {
  ociVersion?: unknown;
  id?: unknown;
  status?: unknown;
  pid?: unknown;
  bundle?: unknown;
  annotations?: unknown;
  [k: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// The context of one test run against one runtime

export interface Limits {
  commandMs: number;
  waitMs: number;
}

export class Ctx {
  /** Every container id this test created or tried to create; the runner deletes them all. */
  readonly ids = new Set<string>();
  private readonly children = new Set<ChildProcess>();
  private seq = 0;
  private aborted = false;

  constructor(
    readonly runtime: Runtime,
    /** The runtime's private --root. */
    readonly root: string,
    readonly rootfs: string,
    /** This test's private directory. */
    readonly work: string,
    /** Prefix that makes container ids unique to this run. */
    private readonly idPrefix: string,
    readonly limits: Limits,
  ) {}

  /** A fresh container id, remembered for cleanup. */
  newId(): string {
    const id = `${this.idPrefix}-${++this.seq}`;
    this.ids.add(id);
    return id;
  }

  /** A path under the test's directory (not created). */
  path(...parts: string[]): string {
    return path.join(this.work, ...parts);
  }

  /**
   * A bundle directory with config.json: baseSpec running ARGS, then EDIT applied. Its OUT
   * directory is world-writable so that tests running as another user can write there.
   */
  async bundle(args: string[], edit?: (spec: Spec, b: { dir: string; out: string }) => void, name?: string): Promise<Bundle> {
    const dir = this.path(name ?? `bundle${++this.seq}`);
    const out = path.join(dir, 'out');
    await mkdir(out, { recursive: true });
    await chmod(out, 0o777);
    const spec = baseSpec(this.rootfs, out, args);
    edit?.(spec, { dir, out });
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
    return { dir, out, spec };
  }

  async writeSpec(b: Bundle): Promise<void> {
    await writeFile(path.join(b.dir, 'config.json'), JSON.stringify(b.spec, null, 2));
  }

  /** Run the runtime: ARGV [--root ROOT] ARGS. Never throws for a non-zero exit. */
  rt(args: string[], opts: ExecOptions = {}): Promise<RunResult> {
    return this.exec([...this.runtime.argv, '--root', this.root, ...args], opts);
  }

  /** Run any command with stdio on files (a container keeps create's stdio open: never pipes). */
  exec(argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    if (this.aborted) return Promise.reject(new Aborted('test timed out'));
    const n = ++this.seq;
    const outFile = opts.stdout ?? this.path(`cmd${n}.out`);
    const errFile = opts.stderr ?? this.path(`cmd${n}.err`);
    const fds = [openSync(opts.stdin ?? '/dev/null', 'r'), openSync(outFile, 'a'), openSync(errFile, 'a')];
    const outStart = statSync(outFile).size;
    const errStart = statSync(errFile).size;
    return new Promise<RunResult>((resolve, reject) => {
      let child: ChildProcess;
      try {
        // detached: its own process group, so a timeout can kill the runtime and its helpers.
        child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd ?? this.work, stdio: fds, detached: true });
      } catch (e) {
        reject(e);
        return;
      } finally {
        for (const fd of fds) closeSync(fd);
      }
      this.children.add(child);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
      }, opts.timeoutMs ?? this.limits.commandMs);
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        this.children.delete(child);
        resolve({
          argv,
          code,
          signal,
          timedOut,
          stdout: readFrom(outFile, outStart),
          stderr: readFrom(errFile, errStart),
        });
      };
      child.once('error', (e) => {
        clearTimeout(timer);
        this.children.delete(child);
        resolve({ argv, code: null, signal: null, timedOut: false, stdout: '', stderr: String(e) });
      });
      // 'exit', not 'close': there are no pipes, and a container may outlive its create.
      child.once('exit', finish);
    });
  }

  /** Stop everything this test has running (its timeout fired). */
  abort(): void {
    this.aborted = true;
    for (const c of this.children) killGroup(c);
  }

  // --- lifecycle operations -----------------------------------------------------------------

  pidFile(id: string): string {
    return this.path(`pid-${id}`);
  }

  create(id: string, b: Bundle | string, opts: ExecOptions = {}): Promise<RunResult> {
    this.ids.add(id);
    const dir = typeof b === 'string' ? b : b.dir;
    return this.rt(['create', '--bundle', dir, '--pid-file', this.pidFile(id), id], opts);
  }

  /** create, and Fail unless it worked. */
  async mustCreate(id: string, b: Bundle | string, opts: ExecOptions = {}): Promise<RunResult> {
    const r = await this.create(id, b, opts);
    expect(ok(r), `create failed: ${describe(r)}`);
    return r;
  }

  async must(args: string[], what: string, opts: ExecOptions = {}): Promise<RunResult> {
    const r = await this.rt(args, opts);
    expect(ok(r), `${what} failed: ${describe(r)}`);
    return r;
  }

  /** Parsed `state ID`; Fail if it fails or is not a JSON object. */
  async state(id: string): Promise<State> {
    const r = await this.rt(['state', id]);
    expect(ok(r), `state failed: ${describe(r)}`);
    return parseState(r.stdout);
  }

  /** Poll `state` until the status is STATUS. */
  async waitStatus(id: string, status: string, ms = this.limits.waitMs): Promise<State> {
    const deadline = Date.now() + ms;
    let last: State | undefined;
    for (;;) {
      last = await this.state(id);
      if (last.status === status) return last;
      if (Date.now() > deadline) fail(`status stayed "${String(last.status)}" for ${ms} ms, expected "${status}"`);
      await sleep(50);
    }
  }

  /** Poll until FILE exists; its content. */
  async waitFile(file: string, ms = this.limits.waitMs): Promise<string> {
    const deadline = Date.now() + ms;
    while (!existsSync(file)) {
      if (this.aborted) throw new Aborted('test timed out');
      if (Date.now() > deadline) fail(`${path.basename(file)} did not appear within ${ms} ms`);
      await sleep(25);
    }
    return readFile(file, 'utf8');
  }

  /** The host pid the runtime wrote to --pid-file. */
  readPidFile(id: string): number {
    const text = readFileSync(this.pidFile(id), 'utf8');
    expect(/^\d+$/.test(text.trim()), `pid file holds "${text}", not a pid`);
    return Number(text.trim());
  }
}

export function parseState(text: string): State {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    fail(`state printed something that is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
  expect(v !== null && typeof v === 'object' && !Array.isArray(v), `state printed ${JSON.stringify(v)}, not a JSON object`);
  return v as State;
}

function killGroup(c: ChildProcess): void {
  if (c.pid === undefined) return;
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function readFrom(file: string, offset: number): string {
  try {
    return readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// Facts about host processes

/** Whether PID is a live (not zombie) process. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** argv of PID, or null if it is gone. */
export function cmdline(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').slice(0, -1);
  } catch {
    return null;
  }
}

/** Poll until PID is gone (exited and reaped or a zombie). */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/** The identity of PID's namespace NS ("net:[4026531840]"), or null if PID is gone. */
export function nsId(pid: number | 'self', ns: string): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return null;
  }
}

interface CgroupMount {
  mountPoint: string;
  v2: boolean;
  /** v1: the super options (controllers and name=...). */
  options: Set<string>;
}

function cgroupMounts(): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 0) continue;
    const fstype = f[dash + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    mounts.push({ mountPoint: f[4]!, v2: fstype === 'cgroup2', options: new Set((f[dash + 3] ?? '').split(',')) });
  }
  return mounts;
}

/** Host directories of the cgroups PID is in, one per hierarchy that this host has mounted. */
export function cgroupDirs(pid: number | 'self'): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return [];
  }
  const mounts = cgroupMounts();
  const dirs: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, , ctrls, rel] = m;
    const mount =
      ctrls === ''
        ? mounts.find((x) => x.v2)
        : mounts.find((x) => !x.v2 && ctrls!.split(',').every((c) => x.options.has(c)));
    if (mount) dirs.push(path.resolve(mount.mountPoint, `.${rel!}`));
  }
  return dirs;
}

/**
 * The cgroup directories the runtime made for the container whose init is PID: its cgroups
 * minus those the suite itself is in (a runtime that put the init in our own cgroup made none).
 */
export function containerCgroupDirs(pid: number): string[] {
  const ours = new Set(cgroupDirs('self'));
  return cgroupDirs(pid).filter((d) => !ours.has(d) && !isMountPoint(d));
}

function isMountPoint(d: string): boolean {
  return cgroupMounts().some((m) => m.mountPoint === d);
}

/** Every existing cgroup directory named NAME directly under a hierarchy root (cgroupsPath "/NAME"). */
export function cgroupDirsNamed(name: string): string[] {
  return cgroupMounts()
    .map((m) => path.join(m.mountPoint, name))
    .filter((d) => existsSync(d));
}

export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function realpath(p: string): string {
  return realpathSync(p);
}
