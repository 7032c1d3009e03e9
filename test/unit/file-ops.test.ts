/**
 * sys/file.ts and sys/libc.ts's process calls: node:fs and tsrun's addon (or koffi) on Node, libc
 * through Bun.FFI on Bun, with the same answers (the probe in test/support runs each way); and the compiled
 * Bun program's hot commands free of the built-in modules that made them slow (node:fs,
 * node:path: 1.5-2.5 ms a command). The Bun cases need Bun from the npm registry
 * (scripts/engine.sh bun; scripts/test-all.sh gets it first).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { O, errnoException } from '../../src/sys/file.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const PROBE = join(REPO, 'dist/test/support/file-ops-probe.js');
const BUN = join(REPO, 'build/engines/bun/bin/bun');

function bun(t: { fail(m: string): void }): string | undefined {
  if (existsSync(BUN)) return BUN;
  t.fail(`no Bun at ${BUN}: run bash scripts/engine.sh bun`);
  return undefined;
}

test('the open flags are Linux\'s, as node:fs has them', (t) => {
  // node:fs has no O_CLOEXEC (it sets it on every fd): the probe below checks that bit on an fd.
  for (const [name, value] of Object.entries(O)) {
    if (name !== 'CLOEXEC') t.is(value as number, (constants as unknown as Record<string, number>)[`O_${name}`], name);
  }
});

test('errors carry node:fs\'s fields: code, negative errno, syscall, path', (t) => {
  const e = errnoException(2, 'open', '/x');
  t.like(e, { code: 'ENOENT', errno: -2, syscall: 'open', path: '/x' });
  t.regex(e.message, /^ENOENT: /);
  t.is(errnoException(39, 'rmdir').code, 'ENOTEMPTY');
  // Beyond the table, the name comes from node:util.
  t.is(errnoException(110, 'connect').code, 'ETIMEDOUT');
});

test('Node and Bun give the same answers (node:fs with the addon or koffi, and libc through Bun.FFI)', (t) => {
  const bunPath = bun(t);
  if (!bunPath) return;
  const probe = (engine: string, env: NodeJS.ProcessEnv = {}) =>
    JSON.parse(execFileSync(engine, [PROBE], { encoding: 'utf8', env: { ...process.env, ...env } })) as Record<string, unknown>;
  const onNode = probe(process.execPath);
  const onKoffi = probe(process.execPath, { TSRUN_NO_ADDON: '1' });
  const onBun = probe(bunPath);
  t.like(onNode, { backend: 'node:fs', processBackend: 'addon' });
  t.like(onKoffi, { backend: 'node:fs', processBackend: 'koffi' });
  t.like(onBun, { backend: 'Bun.FFI', processBackend: 'Bun.FFI' });
  // What the cases must give, on either engine.
  t.like(onNode, {
    write: { ok: null },
    readBack: true,
    exclusiveAgain: { code: 'EEXIST', errno: -17, syscall: 'open' },
    noCreate: { code: 'ENOENT', syscall: 'open' },
    readMissing: { code: 'ENOENT', syscall: 'open' },
    procStat: true,
    exists: [true, false, false],
    nulPath: false,
    logCloexec: true,
    appended: 'one\ntwo\n',
    mkdirAgain: { code: 'EEXIST' },
    rmdirBusy: { code: 'ENOTEMPTY' },
    renameMissing: { code: 'ENOENT' },
    unlinkMissing: { code: 'ENOENT' },
    fifoNoWriter: { ok: 0 },
    fifoEmpty: { code: 'EAGAIN' },
    fifoByte: [{ ok: 1 }, 48],
    closeAgain: { code: 'EBADF' },
    orphanReaped: { samePid: true, code: 5 },
    pidfd: ['gone', 'sent', 'sent', 'SIGTERM', 'gone'],
  });
  for (const o of [onNode, onKoffi, onBun]) {
    delete o.backend;
    delete o.processBackend;
  }
  t.deepEqual(onKoffi, onNode);
  t.deepEqual(onBun, onNode);
});

/** The relative chunks and the outside modules a chunk loads before it runs (static imports). */
function staticClosure(dir: string, chunk: string, seen = new Set<string>()): Set<string> {
  if (seen.has(chunk)) return seen;
  seen.add(chunk);
  const text = readFileSync(join(dir, chunk), 'utf8');
  for (const m of text.matchAll(/^import\s*(?:[^;]*?from\s*)?"([^"]+)"/gms)) {
    const dep = m[1]!;
    if (dep.startsWith('./')) staticClosure(dir, dep.slice(2), seen);
    else seen.add(dep);
  }
  return seen;
}

test('the compiled Bun program: state, start and delete load no built-in module before they run', (t) => {
  const bunPath = bun(t);
  if (!bunPath) return;
  const out = mkdtempSync(join(tmpdir(), 'tsrun-chunks-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  // The chunks scripts/engine.sh compiles into the program, as files.
  execFileSync(bunPath, ['build', '--splitting', '--format=esm', '--target=bun', '--minify-syntax', '--external', 'koffi', '--outdir', out, 'src/cli/main.ts'], { cwd: REPO, stdio: 'ignore' });
  const main = readdirSync(out).find((f) => f === 'main.js');
  t.truthy(main);
  const mainText = readFileSync(join(out, 'main.js'), 'utf8');
  for (const command of ['state', 'start', 'delete']) {
    const modules = staticClosure(out, 'main.js');
    const lazy = new RegExp(`${command}: \\(\\) => import\\("\\./([^"]+)"\\)`).exec(mainText);
    if (command !== 'state') {
      t.truthy(lazy, `${command}: its chunk is loaded on demand`);
      if (lazy) staticClosure(out, lazy[1]!, modules);
    }
    const outside = [...modules].filter((m) => !m.endsWith('.js'));
    t.deepEqual(outside, [], `${command} loads ${outside.join(', ')}`);
  }
});
