/**
 * Integration tests of build/tsrun-executor (native/executor/*.c): each test speaks the wire
 * protocol of src/executor/protocol.ts to a real executor, as root, with real namespaces, mounts
 * and a busybox rootfs made in a temp dir. Run: make executor && npx tsc -p tsconfig.json &&
 * npx ava dist/test/integration/executor.test.js
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeFrames,
  encodeFrame,
  encodeOp,
  encodePlan,
  FrameType,
  Op,
  PathFlag,
  PROTOCOL_VERSION,
  type ExecutorMessage,
  type PlanOp,
} from '../../src/executor/protocol.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const exe = path.join(repo, 'build/tsrun-executor');
const busybox = '/bin/busybox';

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const MS_RDONLY = 1;
const MS_REMOUNT = 32;
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_PRIVATE = 1 << 18;

const ENOENT = 2;
const EACCES = 13;
const EINVAL = 22;
const EPERM = 1;
const EPROTO = 71;

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'executor integration tests need root';
  if (!fs.existsSync(busybox)) return `${busybox} is missing (apt-get install busybox-static)`;
  if (!fs.existsSync(exe)) return `${exe} is missing (run make executor)`;
  return undefined;
}
const skipReason = whyNot();
if (skipReason) console.warn(`SKIPPED: ${skipReason}`);
const rootTest = skipReason ? test.skip : test.serial;

// ---------------------------------------------------------------------------------------------
// Helpers

function op(code: Op, args: PlanOp['args'] = {}): PlanOp {
  return { op: code, args };
}
const mount = (how: number, flags: number, source: string, target: string, fstype = '', data = ''): PlanOp =>
  op(Op.MOUNT, { how, flags: BigInt(flags), source, target, fstype, data });

/** A process still there (a zombie is gone: nobody may reap orphans here). */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await sleep(20);
  }
  return !isAlive(pid);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One executor process and its sync socket, with every pid it reported kept for cleanup. */
class Executor {
  readonly child: ChildProcess;
  readonly sync: Socket;
  readonly pids = new Set<number>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when every holder of the container's stdout and stderr closed them. */
  readonly outputDone: Promise<void>;
  stdout = '';
  stderr = '';
  private buf: Buffer = Buffer.alloc(0);
  private queue: ExecutorMessage[] = [];
  private waiters: Array<(m: ExecutorMessage | null) => void> = [];
  private syncClosed = false;

  constructor() {
    this.child = spawn(exe, [], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { _TSRUN_SYNCFD: '3' } });
    if (this.child.pid) this.pids.add(this.child.pid);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    const ended = (s: NodeJS.ReadableStream) => new Promise<void>((r) => s.on('close', r));
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.outputDone = Promise.all([ended(this.child.stdout!), ended(this.child.stderr!)]).then(() => undefined);
    this.sync = this.child.stdio[3] as Socket;
    this.sync.on('data', (chunk: Buffer) => {
      const { messages, rest } = decodeFrames(Buffer.concat([this.buf, chunk]));
      this.buf = rest;
      for (const m of messages) {
        if (m.type === FrameType.CHILD_PID || m.type === FrameType.NEED_IDMAP) this.pids.add(m.pid);
        const w = this.waiters.shift();
        if (w) w(m);
        else this.queue.push(m);
      }
    });
    const closed = () => {
      this.syncClosed = true;
      for (const w of this.waiters.splice(0)) w(null);
    };
    this.sync.on('end', closed);
    this.sync.on('close', closed);
    this.sync.on('error', () => undefined);
  }

  /** The next frame from the executor, or null once the sync socket closed. */
  next(timeoutMs = 10_000): Promise<ExecutorMessage | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.syncClosed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no frame from the executor within ${timeoutMs} ms (stderr: ${this.stderr})`));
      }, timeoutMs);
      const waiter = (m: ExecutorMessage | null) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push(waiter);
    });
  }

  /** The next frame, which must be of `type`. */
  async expect<T extends ExecutorMessage['type']>(type: T): Promise<Extract<ExecutorMessage, { type: T }>> {
    const m = await this.next();
    if (!m) throw new Error(`sync socket closed while waiting for ${FrameType[type]} (stderr: ${this.stderr})`);
    if (m.type !== type) throw new Error(`expected ${FrameType[type]}, got ${JSON.stringify(m)}`);
    return m as Extract<ExecutorMessage, { type: T }>;
  }

  send(type: FrameType, payload?: Uint8Array): void {
    this.sync.write(encodeFrame(type, payload));
  }

  async start(ops: PlanOp[]): Promise<void> {
    const hello = await this.expect(FrameType.HELLO);
    if (hello.version !== PROTOCOL_VERSION) throw new Error(`executor speaks version ${hello.version}`);
    this.sync.write(encodePlan(ops));
  }

  killAll(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    this.sync.destroy();
  }
}

/** A temp dir (traversable by everyone, for mapped users) with a busybox rootfs in it; removed,
 * and every executor started through it killed, when the test ends however it ends. */
function setup(t: ExecutionContext): { tmp: string; rootfs: string; run: (ops?: PlanOp[]) => Promise<Executor> } {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-executor-')));
  fs.chmodSync(tmp, 0o755);
  const rootfs = path.join(tmp, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true, mode: 0o755 });
  fs.copyFileSync(busybox, path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'id', 'hostname', 'sleep']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  const executors: Executor[] = [];
  t.teardown(async () => {
    for (const e of executors) e.killAll();
    for (const e of executors) for (const pid of e.pids) await waitGone(pid, 2000);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const run = async (ops?: PlanOp[]) => {
    const e = new Executor();
    executors.push(e);
    if (ops) await e.start(ops);
    return e;
  };
  return { tmp, rootfs, run };
}

/** The namespaces, the private "/" and the self-bound rootfs that pivot_root needs. */
function containerPrelude(rootfs: string, flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID): PlanOp[] {
  return [
    op(Op.UNSHARE, { flags }),
    op(Op.FORK, { wait: 0 }),
    mount(0, MS_REC | MS_PRIVATE, '', '/'),
    mount(0, MS_BIND | MS_REC, rootfs, rootfs),
    op(Op.SET_ROOT, { path: rootfs }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Tests

rootTest('HELLO carries the protocol version; a PLAN of another version is refused', async (t) => {
  const { run } = setup(t);
  const e = await run();
  const hello = await e.expect(FrameType.HELLO);
  t.is(hello.version, PROTOCOL_VERSION);
  t.regex(hello.build, /^tsrun-executor /);
  const frame = encodePlan([op(Op.SETSID)]);
  frame.writeUInt16LE(PROTOCOL_VERSION + 1, 4);
  e.sync.write(frame);
  const err = await e.expect(FrameType.ERROR);
  t.is(err.errno, EPROTO);
  t.regex(err.message, new RegExp(`protocol version ${PROTOCOL_VERSION + 1} not supported`));
  t.is((await e.exited).code, 1);
});

rootTest('an unknown opcode is refused before any op runs', async (t) => {
  const { tmp, run } = setup(t);
  const e = await run();
  await e.expect(FrameType.HELLO);
  const unknown = Buffer.alloc(8);
  unknown.writeUInt16LE(999, 0);
  const marker = path.join(tmp, 'made');
  const payload = Buffer.concat([encodeOp(op(Op.MKDIR, { how: 0, mode: 0o755, path: marker })), unknown]);
  e.sync.write(encodeFrame(FrameType.PLAN, payload));
  const err = await e.expect(FrameType.ERROR);
  t.deepEqual([err.errno, err.opIndex, err.message], [EINVAL, 1, 'unknown op 999']);
  t.is((await e.exited).code, 1);
  t.false(fs.existsSync(marker));
});

rootTest('a container: namespaces, fork, hostname, proc in the root, pivot_root, exec', async (t) => {
  const { rootfs, run } = setup(t);
  const e = await run([
    ...containerPrelude(rootfs),
    op(Op.SETHOSTNAME, { name: 'tsrun-test' }),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_DIR, 0, 'proc', '/proc', 'proc'),
    op(Op.PIVOT_ROOT),
    op(Op.CHDIR, { path: '/tmp' }),
    op(Op.RESOLVE_EXEC, { arg0: 'sh', path: '/nonexistent:/bin' }),
    op(Op.READY),
    op(Op.EXECVE, { argv: ['sh', '-c', 'hostname; echo $$; pwd; test -e /proc/self/status && echo proc'], envp: ['PATH=/bin'] }),
  ]);
  const child = await e.expect(FrameType.CHILD_PID); // before READY: the order is the contract
  t.true(child.pid > 0);
  t.is((await e.exited).code, 0, 'the intermediate exits 0');
  await e.expect(FrameType.READY);
  t.true(fs.statSync(path.join(rootfs, 'proc')).isDirectory(), 'CREATE_DIR made /proc inside the rootfs');
  e.send(FrameType.GO);
  await e.outputDone;
  t.is(e.stdout, 'tsrun-test\n1\n/tmp\nproc\n', e.stderr);
  t.is(os.hostname() === 'tsrun-test', false);
  t.true(await waitGone(child.pid));
});

rootTest('RESOLVE_EXEC errors carry the exact texts clients match', async (t) => {
  const { rootfs, run } = setup(t);
  const plain = path.join(rootfs, 'etc/plain');
  fs.writeFileSync(plain, 'not a program\n', { mode: 0o644 });
  const cases: Array<[string, string, number, string]> = [
    ['/nonexistent/prog', '/bin', ENOENT, 'exec: "/nonexistent/prog": stat /nonexistent/prog: no such file or directory'],
    [plain, '/bin', EACCES, `exec: "${plain}": permission denied`],
    [path.join(rootfs, 'etc'), '/bin', EACCES, `exec: "${path.join(rootfs, 'etc')}": permission denied`],
    ['no-such-prog', `${rootfs}/bin::/nonexistent`, ENOENT, 'exec: "no-such-prog": executable file not found in $PATH'],
    ['plain', `${rootfs}/bin:${rootfs}/etc`, EACCES, 'exec: "plain": permission denied'],
  ];
  for (const [arg0, search, errno, message] of cases) {
    const e = await run([op(Op.SETSID), op(Op.RESOLVE_EXEC, { arg0, path: search })]);
    const err = await e.expect(FrameType.ERROR);
    t.deepEqual([err.errno, err.opIndex, err.message], [errno, 1, message], arg0);
    t.is((await e.exited).code, 1);
  }
  // And a PATH search that finds the program execs it.
  const e = await run([
    op(Op.RESOLVE_EXEC, { arg0: 'echo', path: `/nonexistent:${rootfs}/etc:${rootfs}/bin` }),
    op(Op.EXECVE, { argv: ['echo', 'found'], envp: [] }),
  ]);
  t.is((await e.exited).code, 0);
  await e.outputDone;
  t.is(e.stdout, 'found\n');
});

rootTest('a failing MOUNT reports its index, errno and paths', async (t) => {
  const { rootfs, run } = setup(t);
  const e = await run([
    op(Op.UNSHARE, { flags: CLONE_NEWNS }),
    mount(0, MS_REC | MS_PRIVATE, '', '/'),
    op(Op.SET_ROOT, { path: rootfs }),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_DIR, MS_BIND, '/nonexistent-tsrun-source', '/mnt'),
    op(Op.READY),
  ]);
  const err = await e.expect(FrameType.ERROR);
  t.is(err.opIndex, 3);
  t.is(err.errno, ENOENT);
  t.is(err.message, 'mount "/nonexistent-tsrun-source" on "/mnt": no such file or directory');
  t.is((await e.exited).code, 1);
  // A missing target without CREATE_* fails, with IGNORE_ENOENT it is skipped.
  const e2 = await run([
    op(Op.UNSHARE, { flags: CLONE_NEWNS }),
    mount(0, MS_REC | MS_PRIVATE, '', '/'),
    op(Op.SET_ROOT, { path: rootfs }),
    mount(PathFlag.IN_ROOT | PathFlag.IGNORE_ENOENT, 0, 'tmpfs', '/missing', 'tmpfs'),
    mount(PathFlag.IN_ROOT, 0, 'tmpfs', '/missing', 'tmpfs'),
  ]);
  const err2 = await e2.expect(FrameType.ERROR);
  t.deepEqual([err2.opIndex, err2.errno, err2.message], [4, ENOENT, 'mount "tmpfs" on "/missing" (type "tmpfs"): no such file or directory']);
});

rootTest('EOF on the sync socket before GO ends the init: nothing is left', async (t) => {
  const { rootfs, run } = setup(t);
  const e = await run([
    op(Op.UNSHARE, { flags: CLONE_NEWPID }),
    op(Op.FORK, { wait: 0 }),
    op(Op.READY),
    op(Op.EXECVE, { argv: [path.join(rootfs, 'bin/sleep'), '1000'], envp: [] }),
  ]);
  const child = await e.expect(FrameType.CHILD_PID);
  await e.expect(FrameType.READY);
  t.true(isAlive(child.pid), 'the init waits for GO');
  e.sync.destroy();
  t.true(await waitGone(child.pid), 'the init exits when tsrun goes away');
  await e.outputDone;
  t.is(e.stdout, '');
  t.is(e.stderr, '', 'silently');
});

rootTest('a symlink to /etc in the rootfs used as a mount target stays inside the rootfs', async (t) => {
  const { rootfs, run } = setup(t);
  fs.symlinkSync('/etc', path.join(rootfs, 'etclink'));
  fs.symlinkSync('../../../../../../etc', path.join(rootfs, 'tmp/up'));
  const hostMounts = (fs.readFileSync('/proc/self/mountinfo', 'utf8').match(/^\S+ \S+ \S+ \S+ \/etc\S* /gm) ?? []).length;
  const e = await run([
    op(Op.UNSHARE, { flags: CLONE_NEWNS }),
    mount(0, MS_REC | MS_PRIVATE, '', '/'),
    op(Op.SET_ROOT, { path: rootfs }),
    mount(PathFlag.IN_ROOT, 0, 'tmpfs', '/etclink', 'tmpfs', 'mode=755'),
    op(Op.WRITE_FILE, { how: PathFlag.IN_ROOT | PathFlag.CREATE_FILE, path: '/etclink/tsrun-marker', data: 'inside\n' }),
    // A relative symlink climbing past the root, as a bind source and target, stays inside too.
    mount(PathFlag.IN_ROOT | PathFlag.SOURCE_IN_ROOT, MS_BIND, '/tmp/up/tsrun-marker', '/tmp/up/tsrun-marker'),
    op(Op.SYMLINK, { how: PathFlag.IN_ROOT, target: '/etc/passwd', path: '/etclink/pw' }),
    op(Op.READY),
    op(Op.EXECVE, { argv: [path.join(rootfs, 'bin/cat'), path.join(rootfs, 'etc/tsrun-marker')], envp: [] }),
  ]);
  await e.expect(FrameType.READY);
  const mountinfo = fs.readFileSync(`/proc/${e.child.pid}/mountinfo`, 'utf8');
  t.regex(mountinfo, new RegExp(`^\\S+ \\S+ \\S+ \\S+ ${rootfs}/etc .* - tmpfs `, 'm'));
  t.is((mountinfo.match(/^\S+ \S+ \S+ \S+ \/etc\S* /gm) ?? []).length, hostMounts, 'no new mount on the host /etc');
  t.false(fs.existsSync('/etc/tsrun-marker'));
  t.false(fs.existsSync('/etc/pw'));
  e.send(FrameType.GO);
  t.is((await e.exited).code, 0, e.stderr);
  await e.outputDone;
  t.is(e.stdout, 'inside\n');
  t.false(fs.existsSync(path.join(rootfs, 'etc/tsrun-marker')), 'the tmpfs lived in the mount namespace only');
});

rootTest('the exec fifo holds the init until it is read; the init stays small', async (t) => {
  const { tmp, rootfs, run } = setup(t);
  const fifo = path.join(tmp, 'exec.fifo');
  const e = await run([
    op(Op.CLOEXEC_FROM, { fd: 3 }),
    op(Op.OPEN_FIFO, { mode: 0o622, path: fifo }),
    op(Op.READY),
    op(Op.CLOSE_SYNC),
    op(Op.WAIT_FIFO),
    op(Op.EXECVE, { argv: [path.join(rootfs, 'bin/echo'), 'released'], envp: [] }),
  ]);
  await e.expect(FrameType.READY);
  const st = fs.statSync(fifo);
  t.true(st.isFIFO());
  t.is(st.mode & 0o7777, 0o622);
  e.send(FrameType.GO);
  t.is(await e.next(), null, 'CLOSE_SYNC closes the socket');
  await sleep(300);
  const pid = e.child.pid!;
  t.true(isAlive(pid), 'blocked on the fifo');
  t.is(e.stdout, '');
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  t.log(`init RSS while blocked on the fifo: ${rss} kB`);
  t.true(rss < 1024, `RSS ${rss} kB`);
  t.is(fs.readFileSync(fifo, 'utf8'), '0');
  t.is((await e.exited).code, 0, e.stderr);
  await e.outputDone;
  t.is(e.stdout, 'released\n');
});

rootTest('a user namespace: tsrun writes the maps, the process is root inside and 100000 outside', async (t) => {
  const { rootfs, run } = setup(t);
  const e = await run([
    op(Op.UNSHARE, { flags: CLONE_NEWUSER }),
    op(Op.IDMAP_SYNC),
    op(Op.SETRESGID, { gid: 0 }),
    op(Op.SETRESUID, { uid: 0 }),
    op(Op.UNSHARE, { flags: CLONE_NEWUTS }),
    op(Op.SETHOSTNAME, { name: 'userns' }),
    op(Op.RESOLVE_EXEC, { arg0: path.join(rootfs, 'bin/sh'), path: '' }),
    op(Op.READY),
    op(Op.EXECVE, { argv: ['sh', '-c', 'id -u; id -g; hostname'], envp: [`PATH=${rootfs}/bin`] }),
  ]);
  const need = await e.expect(FrameType.NEED_IDMAP);
  t.is(need.pid, e.child.pid!);
  fs.writeFileSync(`/proc/${need.pid}/uid_map`, '0 100000 65536');
  fs.writeFileSync(`/proc/${need.pid}/gid_map`, '0 100000 65536');
  e.send(FrameType.IDMAP_DONE);
  await e.expect(FrameType.READY);
  const status = fs.readFileSync(`/proc/${need.pid}/status`, 'utf8');
  t.regex(status, /^Uid:\s+100000\s+100000\s+100000\s+100000$/m);
  t.regex(status, /^Gid:\s+100000\s+100000\s+100000\s+100000$/m);
  e.send(FrameType.GO);
  t.is((await e.exited).code, 0, e.stderr);
  await e.outputDone;
  t.is(e.stdout, '0\n0\nuserns\n');
});

rootTest('user namespace, pivot_root and the exec fifo together (the fifo opened before unsharing)', async (t) => {
  const { tmp, rootfs, run } = setup(t);
  const fifo = path.join(tmp, 'exec.fifo');
  fs.mkdirSync(path.join(rootfs, 'proc')); // the rootfs belongs to the host's root: mapped root cannot mkdir
  const e = await run([
    op(Op.CLOEXEC_FROM, { fd: 3 }),
    op(Op.OPEN_FIFO, { mode: 0o622, path: fifo }),
    op(Op.UNSHARE, { flags: CLONE_NEWUSER }),
    op(Op.IDMAP_SYNC),
    op(Op.SETRESGID, { gid: 0 }),
    op(Op.SETRESUID, { uid: 0 }),
    ...containerPrelude(rootfs),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_DIR, 0, 'proc', '/proc', 'proc'),
    op(Op.PIVOT_ROOT),
    op(Op.RESOLVE_EXEC, { arg0: 'sh', path: '/bin' }),
    op(Op.READY),
    op(Op.CLOSE_SYNC),
    op(Op.WAIT_FIFO),
    op(Op.EXECVE, { argv: ['sh', '-c', 'id -u; echo $$; cat /proc/self/uid_map'], envp: ['PATH=/bin'] }),
  ]);
  const need = await e.expect(FrameType.NEED_IDMAP);
  fs.writeFileSync(`/proc/${need.pid}/uid_map`, '0 100000 65536');
  fs.writeFileSync(`/proc/${need.pid}/gid_map`, '0 100000 65536');
  e.send(FrameType.IDMAP_DONE);
  const child = await e.expect(FrameType.CHILD_PID);
  await e.expect(FrameType.READY);
  t.regex(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'), /^Uid:\s+100000\s+100000\s+100000\s+100000$/m);
  e.send(FrameType.GO);
  t.is(await e.next(), null);
  await sleep(100);
  t.true(isAlive(child.pid));
  t.is(fs.readFileSync(fifo, 'utf8'), '0');
  await e.outputDone;
  t.is(e.stdout.replace(/ +/g, ' '), '0\n1\n 0 100000 65536\n', e.stderr);
});

rootTest('ABORT at a SYNC point ends the executor; SYNC_ACK goes on', async (t) => {
  const { rootfs, run } = setup(t);
  const e = await run([op(Op.SYNC, { tag: 7 }), op(Op.SYNC, { tag: 8 }), op(Op.EXECVE, { argv: [`${rootfs}/bin/echo`], envp: [] })]);
  t.is((await e.expect(FrameType.SYNC)).tag, 7);
  e.send(FrameType.SYNC_ACK);
  t.is((await e.expect(FrameType.SYNC)).tag, 8);
  e.send(FrameType.ABORT);
  t.is((await e.exited).code, 1);
  t.is(e.stderr, '');
});

rootTest('rlimits: set, and an impossible one names the resource and values', async (t) => {
  const { rootfs, run } = setup(t);
  const e = await run([
    op(Op.RLIMIT, { resource: 7, soft: 512n, hard: 1024n }),
    op(Op.RLIMIT, { resource: 4, soft: 0xffffffffffffffffn, hard: 0xffffffffffffffffn }),
    op(Op.EXECVE, { argv: [`${rootfs}/bin/sh`, '-c', 'ulimit -n; ulimit -Hn; ulimit -c'], envp: [] }),
  ]);
  t.is((await e.exited).code, 0, e.stderr);
  await e.outputDone;
  t.is(e.stdout, '512\n1024\nunlimited\n');
  const e2 = await run([op(Op.RLIMIT, { resource: 7, soft: 1024n, hard: 0x7fffffffn })]);
  const err = await e2.expect(FrameType.ERROR);
  t.deepEqual([err.errno, err.opIndex, err.message], [EPERM, 0, 'setrlimit(7, soft 1024, hard 2147483647): operation not permitted']);
});

rootTest('devices, links, dirs, masks, sysctls and ids in a pivoted container', async (t) => {
  const { rootfs, run } = setup(t);
  fs.mkdirSync(path.join(rootfs, 'secret'));
  fs.writeFileSync(path.join(rootfs, 'secret/file'), 'hidden');
  fs.writeFileSync(path.join(rootfs, 'etc/key'), 'hidden');
  const e = await run([
    ...containerPrelude(rootfs, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_DIR, 0, 'proc', '/proc', 'proc'),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_DIR, 0, 'tmpfs', '/dev', 'tmpfs', 'mode=755'),
    op(Op.MKNOD, { how: PathFlag.IN_ROOT, mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0, path: '/dev/null' }),
    op(Op.MKNOD, { how: PathFlag.IN_ROOT | PathFlag.CREATE_DIR, mode: 0o20640, major: 1, minor: 5, uid: 12, gid: 34, path: '/dev/sub/zero' }),
    op(Op.SYMLINK, { how: PathFlag.IN_ROOT, target: '/proc/self/fd', path: '/dev/fd' }),
    op(Op.SYMLINK, { how: PathFlag.IN_ROOT, target: '/proc/self/fd', path: '/dev/fd' }),
    op(Op.MKDIR, { how: PathFlag.IN_ROOT, mode: 0o755, path: '/dev/a/b/c' }),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_LIKE_SOURCE | PathFlag.SOURCE_IN_ROOT, MS_BIND, '/etc/key', '/dev/key'),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_LIKE_SOURCE | PathFlag.SOURCE_IN_ROOT, MS_BIND, '/bin', '/dev/bin'),
    mount(PathFlag.IN_ROOT, MS_REMOUNT | MS_BIND | MS_RDONLY, '', '/dev/bin'),
    op(Op.PIVOT_ROOT),
    op(Op.MASK_PATH, { path: '/secret' }),
    op(Op.MASK_PATH, { path: '/etc/key' }),
    op(Op.MASK_PATH, { path: '/not/there' }),
    op(Op.WRITE_FILE, { how: PathFlag.IN_ROOT, path: '/proc/sys/kernel/shmmni', data: '2048' }),
    op(Op.WRITE_FILE, { how: PathFlag.IN_ROOT | PathFlag.IGNORE_ENOENT, path: '/proc/sys/not/there', data: '1' }),
    op(Op.WRITE_FILE, { how: PathFlag.IN_ROOT, path: '/proc/self/oom_score_adj', data: '123' }),
    op(Op.CAPS_BOUNDING, { mask: 0n }),
    op(Op.SETGROUPS, { gids: [5, 6] }),
    op(Op.SETRESGID, { gid: 2000 }),
    op(Op.SETRESUID, { uid: 1000 }),
    op(Op.CAPSET, { effective: 0n, permitted: 0n, inheritable: 0n }),
    op(Op.CAPS_AMBIENT, { mask: 0n }),
    op(Op.NO_NEW_PRIVS),
    op(Op.UMASK, { mask: 0o077 }),
    op(Op.READY),
    op(Op.EXECVE, {
      argv: [
        '/bin/sh',
        '-c',
        [
          "stat -c '%A %u %g %t,%T' /dev/null /dev/sub/zero",
          'readlink /dev/fd; test -d /dev/a/b/c && echo dir',
          'cat /dev/key; echo; ls /dev/bin/busybox; grep -c " /dev/bin ro," /proc/self/mountinfo',
          'ls -A /secret; echo "[$(cat /etc/key)]"',
          'cat /proc/sys/kernel/shmmni /proc/self/oom_score_adj',
          'id -u; id -g; id -G; umask',
          'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status',
        ].join('; '),
      ],
      envp: ['PATH=/bin'],
    }),
  ]);
  await e.expect(FrameType.CHILD_PID);
  await e.expect(FrameType.READY);
  e.send(FrameType.GO);
  await e.outputDone;
  t.is(
    e.stdout,
    [
      'crw-rw-rw- 0 0 1,3',
      'crw-r----- 12 34 1,5',
      '/proc/self/fd',
      'dir',
      'hidden',
      '/dev/bin/busybox',
      '1',
      '[]',
      '2048',
      '123',
      '1000',
      '2000',
      '2000 5 6',
      '0077',
      'CapEff:\t0000000000000000',
      'CapBnd:\t0000000000000000',
      'NoNewPrivs:\t1',
      '',
    ].join('\n'),
    e.stderr,
  );
});

const python = spawnSync('python3', ['-c', 'import socket; socket.recv_fds'], { stdio: 'ignore' }).status === 0;
(python ? rootTest : test.skip)('CONSOLE sends the pty master over the console socket, the peer is stdio', async (t) => {
  const { tmp, rootfs, run } = setup(t);
  const sock = path.join(tmp, 'console.sock');
  const receiver = spawn('python3', [
    '-c',
    `import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(c, 1024, 4)
sys.stdout.write("NAME=%s FDS=%d\\n" % (msg.decode(), len(fds))); sys.stdout.flush()
while True:
    try: b = os.read(fds[0], 4096)
    except OSError: break
    if not b: break
    sys.stdout.buffer.write(b); sys.stdout.flush()
`,
    sock,
  ]);
  t.teardown(() => receiver.kill('SIGKILL'));
  let got = '';
  receiver.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
  const received = new Promise<void>((r) => receiver.on('close', () => r()));
  for (let i = 0; i < 250 && !fs.existsSync(sock); i++) await sleep(20);
  const e = await run([
    op(Op.CONSOLE_CONNECT, { path: sock }),
    ...containerPrelude(rootfs),
    op(Op.SETSID),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_DIR, 0, 'proc', '/proc', 'proc'),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_DIR, 0, 'tmpfs', '/dev', 'tmpfs', 'mode=755'),
    mount(PathFlag.IN_ROOT | PathFlag.CREATE_DIR, 0, 'devpts', '/dev/pts', 'devpts', 'newinstance,ptmxmode=0666,mode=0620'),
    op(Op.PIVOT_ROOT),
    op(Op.CONSOLE, { rows: 40, cols: 100, bindConsole: 1 }),
    op(Op.READY),
    op(Op.EXECVE, { argv: ['/bin/sh', '-c', 'stty size; readlink /proc/self/fd/0; readlink /proc/self/fd/2; test -t 1 && echo tty; grep -c pts /proc/self/mountinfo'], envp: ['PATH=/bin'] }),
  ]);
  await e.expect(FrameType.CHILD_PID);
  await e.expect(FrameType.READY);
  e.send(FrameType.GO);
  await received;
  const lines = got.replace(/\r/g, '').split('\n');
  t.is(lines[0], 'NAME=/dev/pts/ptmx FDS=1');
  t.deepEqual(lines.slice(1, 5), ['40 100', '/dev/pts/0', '/dev/pts/0', 'tty'], got);
  t.true(Number(lines[5]) >= 2, 'devpts and the /dev/console bind');
  await e.outputDone;
  t.is(e.stdout, '', 'nothing went to the original stdout');
});

rootTest('EXECVE of a missing program reports ERROR while the socket is open, else 127 on stderr', async (t) => {
  const { run } = setup(t);
  const e = await run([op(Op.EXECVE, { argv: ['/nonexistent/prog'], envp: [] })]);
  const err = await e.expect(FrameType.ERROR);
  t.deepEqual([err.errno, err.opIndex, err.message], [ENOENT, 0, 'exec "/nonexistent/prog": no such file or directory']);
  const e2 = await run([op(Op.CLOSE_SYNC), op(Op.EXECVE, { argv: ['/nonexistent/prog'], envp: [] })]);
  t.is((await e2.exited).code, 127);
  await e2.outputDone;
  t.is(e2.stderr, 'tsrun-executor: exec "/nonexistent/prog": no such file or directory\n');
});

rootTest('SECCOMP loads a BPF program; a malformed one is refused', async (t) => {
  const { rootfs, run } = setup(t);
  // The test filter is for the native ABI (x86-64 or arm64): busybox may call mkdir or mkdirat.
  const [mkdir, mkdirat] = process.arch === 'arm64' ? [34, 34] : [83, 258];
  const insn = (code: number, jt: number, jf: number, k: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(code, 0);
    b.writeUInt8(jt, 2);
    b.writeUInt8(jf, 3);
    b.writeUInt32LE(k >>> 0, 4);
    return b;
  };
  const program = Buffer.concat([
    insn(0x20, 0, 0, 0), // ld [nr]
    insn(0x15, 1, 0, mkdir), // jeq mkdir -> deny
    insn(0x15, 0, 1, mkdirat), // jeq mkdirat -> deny, else allow
    insn(0x06, 0, 0, 0x00050000 | EPERM), // ret ERRNO(EPERM)
    insn(0x06, 0, 0, 0x7fff0000), // ret ALLOW
  ]);
  const e = await run([
    op(Op.NO_NEW_PRIVS),
    op(Op.SECCOMP, { flags: 0, program }),
    op(Op.EXECVE, { argv: [`${rootfs}/bin/sh`, '-c', `${rootfs}/bin/busybox mkdir ${rootfs}/tmp/x 2>&1; echo $?`], envp: [] }),
  ]);
  await e.outputDone;
  t.regex(e.stdout, /Operation not permitted\n1\n$/);
  t.false(fs.existsSync(`${rootfs}/tmp/x`));
  const e2 = await run([op(Op.SECCOMP, { flags: 0, program: program.subarray(0, 7) })]);
  const err = await e2.expect(FrameType.ERROR);
  t.is(err.errno, EINVAL);
  t.regex(err.message, /^seccomp: the program is 7 bytes/);
});

rootTest('TIMENS_OFFSETS shifts the clocks of a new time namespace', async (t) => {
  const { rootfs, run } = setup(t);
  const e = await run([
    op(Op.UNSHARE, { flags: 0x80 /* CLONE_NEWTIME */ }),
    op(Op.TIMENS_OFFSETS, { data: 'monotonic 864000 0\nboottime 1728000 0\n' }),
    op(Op.FORK, { wait: 0 }),
    op(Op.EXECVE, { argv: [`${rootfs}/bin/cat`, '/proc/uptime'], envp: [] }),
  ]);
  await e.outputDone;
  const uptime = Number(e.stdout.split(' ')[0]);
  const host = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  t.true(uptime - host > 1728000 - 60 && uptime - host < 1728000 + 60, `${uptime} vs ${host}`);
});

rootTest('SETNS joins the namespace of another process', async (t) => {
  const { rootfs, run } = setup(t);
  const first = await run([op(Op.UNSHARE, { flags: CLONE_NEWUTS }), op(Op.SETHOSTNAME, { name: 'joined-uts' }), op(Op.READY)]);
  await first.expect(FrameType.READY);
  const e = await run([
    op(Op.SETNS, { nstype: CLONE_NEWUTS, path: `/proc/${first.child.pid}/ns/uts` }),
    op(Op.EXECVE, { argv: [`${rootfs}/bin/hostname`], envp: [] }),
  ]);
  await e.outputDone;
  t.is(e.stdout, 'joined-uts\n', e.stderr);
  const e2 = await run([op(Op.SETNS, { nstype: CLONE_NEWUTS, path: '/proc/self/ns/nonexistent' })]);
  const err = await e2.expect(FrameType.ERROR);
  t.is(err.message, 'setns "/proc/self/ns/nonexistent": no such file or directory');
});
