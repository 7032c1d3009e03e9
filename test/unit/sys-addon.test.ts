/**
 * tsrun's Node-API addon (native/addon/tsrun-sys.c, build/tsrun-sys.node): its hand-written
 * Node-API declarations agree with the real header, and with it the process calls of create and
 * run load no koffi (whose addon costs 1.5 ms to set up). The calls themselves are checked against
 * koffi's and Bun's in file-ops.test.ts and launch.test.ts.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const SOURCE = join(REPO, 'native/addon/tsrun-sys.c');

/** Folders holding a node_api.h: Node's own install, koffi's copy of the headers, Node 22's. */
const HEADER_DIRS = [
  join(process.execPath, '../../include/node'),
  '/usr/include/node',
  join(REPO, 'node_modules/koffi/vendor/node-api-headers/include'),
  join(REPO, 'build/engines/node22/include/node'),
].filter((d) => existsSync(join(d, 'node_api.h')));

test('the addon\'s Node-API declarations agree with node_api.h', (t) => {
  if (HEADER_DIRS.length === 0) return t.fail('no node_api.h found (koffi ships one: run npm ci)');
  const out = mkdtempSync(join(tmpdir(), 'tsrun-addon-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  for (const dir of HEADER_DIRS) {
    // A declaration that differs from the header's is a "conflicting types" error.
    t.notThrows(() => execFileSync('cc', ['-std=gnu11', '-Wall', '-Werror', '-shared', '-fPIC', '-DTSRUN_CHECK_NAPI_HEADER', `-I${dir}`, '-o', join(out, 'x.node'), SOURCE], { stdio: 'pipe' }), dir);
  }
});

test('with the addon, the process calls of create and run load no koffi', (t) => {
  const libc = join(REPO, 'dist/src/sys/libc.js');
  const script = `
    const { processBackend, setChildSubreaper, spawnWithChannel, waitChild } = await import(${JSON.stringify(libc)});
    setChildSubreaper();
    const s = spawnWithChannel('/bin/true', 'true', {}, ['ignore', 'ignore', 'ignore']);
    const { code } = await waitChild(s.pid);
    const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
    console.log(JSON.stringify({ backend: processBackend(), code, koffi: maps.includes('koffi'), addon: maps.includes('tsrun-sys.node') }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
  t.deepEqual(out, { backend: 'addon', code: 0, koffi: false, addon: true });
});
