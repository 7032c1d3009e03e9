/**
 * The systemd driver's D-Bus calls, against a private dbus-daemon (its own config and socket)
 * and a small fake org.freedesktop.systemd1 written here: what tsrun calls (method, signature,
 * properties), the wait for each job's JobRemoved (also one that beats its call's reply), the
 * reset and retry of a unit left over, a failed job, and the manager's start/set/remove on a
 * fake cgroup tree. Needs no root and no systemd; the real thing runs in the VM.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authExternalLine } from '../../src/cgroups/dbus/connection.js';
import { decodeMessage, encodeMessage, messageLength, type Message, type Variant } from '../../src/cgroups/dbus/marshal.js';
import { SystemdClient } from '../../src/cgroups/systemd-dbus.js';
import { loadManager, type CgroupState } from '../../src/cgroups/index.js';
import { fakeV2, read } from '../unit/cgroups-fake.js';
import { concurrentUnless, needsCommand } from './helpers.js';

const it = concurrentUnless(needsCommand('dbus-daemon', 'Debian package dbus-daemon'));

interface Call {
  member: string;
  signature: string;
  body: unknown[];
}

/** A private bus: dbus-daemon on its own socket, with a policy that lets anyone own any name. */
async function privateBus(dir: string): Promise<{ path: string; daemon: ChildProcess }> {
  const path = join(dir, 'bus');
  const conf = join(dir, 'bus.conf');
  writeFileSync(conf, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>custom</type><listen>unix:path=${path}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`);
  const daemon = spawn('dbus-daemon', ['--nofork', '--nopidfile', `--config-file=${conf}`], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
  return { path, daemon };
}

/** The fake systemd: owns org.freedesktop.systemd1 and answers the Manager's calls, recording them. */
class FakeSystemd {
  calls: Call[] = [];
  private serial = 100;
  private job = 0;
  private inbox = Buffer.alloc(0);
  private waiting = new Map<number, (m: Message) => void>();
  /** Units whose next StartTransientUnit fails with UnitExists (a leftover). */
  leftover = new Set<string>();
  /** Units whose start job ends "failed". */
  failing = new Set<string>();
  /** Send JobRemoved before the reply (systemd may, as seen from the client, when the bus reorders). */
  signalFirst = false;
  onStart: (unit: string) => void = () => undefined;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => this.receive(d));
  }

  static async connect(path: string): Promise<FakeSystemd> {
    const sock = createConnection({ path });
    await new Promise((r) => sock.once('connect', r));
    const ok = new Promise((r) => sock.once('data', r));
    sock.write(`\0${authExternalLine(process.getuid!())}`);
    await ok;
    sock.write('BEGIN\r\n');
    const f = new FakeSystemd(sock);
    await f.send({ type: 1, serial: 0, destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', body: [] }, true);
    await f.send({ type: 1, serial: 0, destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'RequestName', signature: 'su', body: ['org.freedesktop.systemd1', 4] }, true);
    return f;
  }

  close(): void {
    this.sock.destroy();
  }

  private send(m: Message, wait = false): Promise<Message | undefined> {
    m.serial = ++this.serial;
    const p = wait ? new Promise<Message>((r) => this.waiting.set(m.serial, r)) : Promise.resolve(undefined);
    this.sock.write(encodeMessage(m));
    return p;
  }

  private receive(d: Buffer): void {
    this.inbox = Buffer.concat([this.inbox, d]);
    for (;;) {
      const n = messageLength(this.inbox);
      if (n === undefined || this.inbox.length < n) return;
      const m = decodeMessage(this.inbox.subarray(0, n));
      this.inbox = this.inbox.subarray(n);
      if (m.replySerial !== undefined && this.waiting.has(m.replySerial)) this.waiting.get(m.replySerial)!(m);
      else if (m.type === 1) this.answer(m);
    }
  }

  private reply(to: Message, signature?: string, body: unknown[] = []): void {
    void this.send({ type: 2, serial: 0, replySerial: to.serial, destination: to.sender, ...(signature ? { signature } : {}), body });
  }

  private error(to: Message, name: string, text: string): void {
    void this.send({ type: 3, serial: 0, replySerial: to.serial, destination: to.sender, errorName: name, signature: 's', body: [text] });
  }

  private jobRemoved(job: string, unit: string, result: string): void {
    void this.send({ type: 4, serial: 0, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'JobRemoved', signature: 'uoss', body: [this.job, job, unit, result] });
  }

  private withJob(m: Message, unit: string, result: string): void {
    const job = `/org/freedesktop/systemd1/job/${++this.job}`;
    if (this.signalFirst) this.jobRemoved(job, unit, result);
    this.reply(m, 'o', [job]);
    if (!this.signalFirst) setTimeout(() => this.jobRemoved(job, unit, result), 20);
  }

  private answer(m: Message): void {
    this.calls.push({ member: m.member!, signature: m.signature ?? '', body: m.body });
    const unit = m.body[0] as string;
    switch (m.member) {
      case 'Get': {
        const value = m.body[1] === 'Version' ? '252.33-1~deb12u1' : '/';
        return this.reply(m, 'v', [{ sig: 's', value } satisfies Variant]);
      }
      case 'StartTransientUnit':
        if (this.leftover.delete(unit)) return this.error(m, 'org.freedesktop.systemd1.UnitExists', `Unit ${unit} already exists.`);
        this.onStart(unit);
        return this.withJob(m, unit, this.failing.has(unit) ? 'failed' : 'done');
      case 'StopUnit':
        if (unit === 'gone.scope') return this.error(m, 'org.freedesktop.systemd1.NoSuchUnit', `Unit ${unit} not loaded.`);
        return this.withJob(m, unit, 'done');
      case 'SetUnitProperties':
      case 'ResetFailedUnit':
        return this.reply(m);
    }
    this.error(m, 'org.freedesktop.DBus.Error.UnknownMethod', `no ${m.member}`);
  }
}

async function withBus(t: import('ava').ExecutionContext, fn: (bus: string, fake: FakeSystemd) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-systemd-bus-'));
  const { path, daemon } = await privateBus(dir);
  let fake: FakeSystemd | undefined;
  try {
    t.true(existsSync(path), 'dbus-daemon made its socket');
    fake = await FakeSystemd.connect(path);
    await fn(path, fake);
  } finally {
    fake?.close();
    daemon.kill('SIGTERM');
    await new Promise((r) => (daemon.exitCode !== null ? r(undefined) : daemon.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

const props = (c: Call) => Object.fromEntries((c.body[2] as [string, Variant][]).map(([n, v]) => [n, v]));

it('StartTransientUnit with runc\'s scope properties waits for its job; StopUnit too', async (t) => {
  await withBus(t, async (bus, fake) => {
    const sd = await SystemdClient.connect([{ path: bus, bus: true }]);
    try {
      t.is(await sd.managerProperty('Version'), '252.33-1~deb12u1');
      const { unitProperties } = await import('../../src/cgroups/systemd-props.js');
      await sd.startTransientUnit('tsrun-a.scope', unitProperties({ unit: 'tsrun-a.scope', slice: 'system.slice', pid: 77, description: 'tsrun container tsrun-a.scope' }));
      const start = fake.calls.find((c) => c.member === 'StartTransientUnit')!;
      t.is(start.signature, 'ssa(sv)a(sa(sv))');
      t.deepEqual(start.body.slice(0, 2), ['tsrun-a.scope', 'replace']);
      t.deepEqual(start.body[3], []);
      const p = props(start);
      t.deepEqual(p.PIDs, { sig: 'au', value: [77] });
      t.deepEqual(p.Delegate, { sig: 'b', value: true });
      t.deepEqual(p.DefaultDependencies, { sig: 'b', value: false });
      t.deepEqual(p.Slice, { sig: 's', value: 'system.slice' });
      t.is(await sd.stopUnit('tsrun-a.scope'), 'done');
      t.deepEqual(fake.calls.slice(-2).map((c) => [c.member, c.signature, c.body]), [['StopUnit', 'ss', ['tsrun-a.scope', 'replace']], ['ResetFailedUnit', 's', ['tsrun-a.scope']]]);
      t.is(await sd.stopUnit('gone.scope'), undefined, 'a unit already gone is fine');
    } finally {
      sd.close();
    }
  });
});

it('a JobRemoved that comes before the reply, a leftover unit reset and retried, a failed job', async (t) => {
  await withBus(t, async (bus, fake) => {
    const sd = await SystemdClient.connect([{ path: bus, bus: true }]);
    try {
      fake.signalFirst = true;
      await sd.startTransientUnit('early.scope', []);
      fake.signalFirst = false;
      fake.leftover.add('left.scope');
      await sd.startTransientUnit('left.scope', []);
      t.deepEqual(fake.calls.filter((c) => c.body[0] === 'left.scope').map((c) => c.member), ['StartTransientUnit', 'ResetFailedUnit', 'StartTransientUnit']);
      fake.failing.add('bad.scope');
      await t.throwsAsync(sd.startTransientUnit('bad.scope', []), { message: 'systemd cgroup driver: start unit bad.scope: the job ended "failed" (journalctl -u bad.scope says why)' });
      t.is(fake.calls.at(-1)!.member, 'ResetFailedUnit');
    } finally {
      sd.close();
    }
  });
});

it('the manager: start with the first pid, set = unit properties then files, remove stops the unit', async (t) => {
  const tree = fakeV2();
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  try {
    await withBus(t, async (bus, fake) => {
      process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${bus}`;
      const dir = `${tree.root}/system.slice/tsrun-m.scope`;
      // systemd makes the unit's cgroup
      fake.onStart = () => {
        tree.fs.mkdir(`${tree.root}/system.slice`);
        tree.fs.mkdir(dir);
      };
      const state: CgroupState = {
        version: 1, driver: 'systemd', mode: 'v2', inner: '/system.slice/tsrun-m.scope', paths: {}, mounts: {}, unified: dir, unifiedMount: tree.root, created: [],
        systemd: { unit: 'tsrun-m.scope', slice: 'system.slice', user: false, version: 0 },
      };
      const cg = loadManager(state, { fs: tree.fs });
      await cg.start(4242);
      t.is(cg.toJSON().systemd?.version, 252);
      t.deepEqual(cg.toJSON().created, [dir]);
      t.deepEqual(props(fake.calls.find((c) => c.member === 'StartTransientUnit')!).PIDs, { sig: 'au', value: [4242] });
      await cg.set({ memory: { limit: 64 << 20 }, pids: { limit: 50 } }, { update: true });
      const set = fake.calls.find((c) => c.member === 'SetUnitProperties')!;
      t.is(set.signature, 'sba(sv)');
      t.deepEqual(set.body.slice(0, 2), ['tsrun-m.scope', true]);
      t.deepEqual(props(set), { MemoryMax: { sig: 't', value: BigInt(64 << 20) }, TasksMax: { sig: 't', value: 50n } });
      t.is(read(`${dir}/memory.max`).trim(), String(64 << 20), 'and the files, as runc writes them');
      t.is(read(`${dir}/pids.max`).trim(), '50');
      await cg.remove();
      t.is(fake.calls.find((c) => c.member === 'StopUnit')?.body[0], 'tsrun-m.scope');
      t.false(existsSync(dir), 'nothing left');
    });
  } finally {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    tree.cleanup();
  }
});
