import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerExistsError, ContainerNotExistError } from '../../src/errors.js';
import { checkContainerId, StateStore, writePidFile } from '../../src/state/store.js';
import { absolutePath, resolveRoot } from '../../src/state/root.js';
import { isoTimestamp } from '../../src/state/timestamp.js';
import { parseProcStat, isSameLiveProcess, readProcStat } from '../../src/sys/proc.js';

function tmp(t: { teardown(f: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'tsrun-state-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const rec = (id: string) => ({
  id, ociVersion: '1.3.0', pid: process.pid, starttime: readProcStat(process.pid)!.starttime, bundle: '/b', rootfs: '/b/rootfs',
  created: new Date().toISOString(), uid: 0, config: {},
});

test('ids are checked as runc checks them', (t) => {
  t.is(checkContainerId('a-b_c.d+1'), 'a-b_c.d+1');
  for (const bad of ['', 'a/b', '..', 'a b', 'é']) t.throws(() => checkContainerId(bad));
});

test('--root is made absolute and / is refused', (t) => {
  t.true(resolveRoot('rel').startsWith('/'));
  t.throws(() => resolveRoot('/'), { message: /refusing/ });
  t.is(resolveRoot(undefined), '/run/tsrun');
});

test('absolutePath resolves against cwd and normalises as path.resolve does', (t) => {
  t.is(absolutePath('/a//b/./c/../d/'), '/a/b/d');
  t.is(absolutePath('x/../y', '/cwd/sub'), '/cwd/sub/y');
  t.is(absolutePath('../../..', '/cwd'), '/');
  t.is(absolutePath('/'), '/');
  t.is(absolutePath('.', '/w'), '/w');
  t.is(resolveRoot('/tmp//r/'), '/tmp/r');
});

test('remove takes the folder with state.json and the lock, or with whatever else it holds', (t) => {
  const root = tmp(t);
  const s = new StateStore(root);
  s.createDir('r1');
  s.save(rec('r1'));
  writeFileSync(join(root, 'r1', '.lock'), '1 1');
  s.remove('r1');
  t.false(existsSync(join(root, 'r1')));
  s.createDir('r2');
  s.save(rec('r2'));
  writeFileSync(join(root, 'r2', 'exec.fifo'), '');
  s.remove('r2');
  t.false(existsSync(join(root, 'r2')));
  s.createDir('r3');
  s.remove('r3');
  t.false(existsSync(join(root, 'r3')));
});

test('a second create of the same id fails and leaves the first intact', (t) => {
  const s = new StateStore(tmp(t));
  s.createDir('c1');
  s.save(rec('c1'));
  t.throws(() => s.createDir('c1'), { instanceOf: ContainerExistsError, message: 'container with given ID already exists' });
  t.is(s.load('c1').id, 'c1');
});

test('state.json is written atomically and read back', (t) => {
  const root = tmp(t);
  const s = new StateStore(root);
  s.createDir('c2');
  s.save(rec('c2'));
  t.deepEqual(readdirSync(join(root, 'c2')), ['state.json']);
  t.is(s.load('c2').pid, process.pid);
  t.throws(() => s.load('nope'), { instanceOf: ContainerNotExistError, message: 'container does not exist' });
});

test('the lock serialises and a dead holder\'s lock is taken over', async (t) => {
  const root = tmp(t);
  const s = new StateStore(root);
  s.createDir('c3');
  writeFileSync(join(root, 'c3', '.lock'), '999999999 1');
  const order: string[] = [];
  await Promise.all([
    s.withLock('c3', async () => { order.push('a1'); await new Promise((r) => setTimeout(r, 30)); order.push('a2'); }),
    new Promise((r) => setTimeout(r, 5)).then(() => s.withLock('c3', () => { order.push('b'); })),
  ]);
  t.deepEqual(order, ['a1', 'a2', 'b']);
  t.false(existsSync(join(root, 'c3', '.lock')));
});

test('the pid file has no newline and is written through a dot file', (t) => {
  const d = tmp(t);
  writePidFile(join(d, 'p.pid'), 1234);
  t.is(readFileSync(join(d, 'p.pid'), 'utf8'), '1234');
  t.deepEqual(readdirSync(d), ['p.pid']);
});

test('/proc/PID/stat parses even with spaces and parens in the name', (t) => {
  const st = parseProcStat('42 (a) b) c) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 777 1 2');
  t.is(st.pid, 42);
  t.is(st.state, 'S');
  t.is(st.ppid, 1);
  t.is(st.starttime, 777);
  t.true(isSameLiveProcess(process.pid, readProcStat(process.pid)!.starttime));
  t.false(isSameLiveProcess(process.pid, 1));
});

test('system errors stay one bounded line whatever the path', async (t) => {
  const { SysError, shownPath } = await import('../../src/errors.js');
  t.is(shownPath('a\nb\tc'), 'a\\x0ab\\x09c');
  const msg = new SysError('write', `/sys/fs/cgroup/${'x'.repeat(3000)}`, 'EACCES', 'permission denied (EACCES)').message;
  t.false(msg.includes('\n'));
  t.true(msg.length < 400, `${msg.length}`);
});

test('isoTimestamp prints what toISOString prints', (t) => {
  const samples = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 4_107_542_399_999, Date.now(), -1, -62_135_596_800_000 /* 0001-01-01 */, 253_402_300_799_999 /* 9999-12-31 */];
  for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 253_402_300_799_999));
  for (const ms of samples) t.is(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
});
