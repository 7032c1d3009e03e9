/**
 * `process` is required only when `start` is called (runtime-spec config.md): a config without
 * it creates a container whose init waits at the start gate, `start` then fails naming /process
 * and stops it, and it is deleted as any stopped container. runc 1.1.5 refuses such a config at
 * create ("process property must not be empty"): tsrun follows the spec, so this runs on tsrun only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { containerDirs, makeBundle, privateRoot, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId, waitFor } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

it('a config without process creates; start fails naming /process and stops it; delete removes it (runc 1.1.5 refuses at create, against the spec)', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => delete s.process);
  const id = uniqueId('noproc');
  t.teardown(() => tsrun(root, ['delete', '--force', id]).then(() => undefined));
  const c = await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(c.code, 0, c.stderr);
  const created = await stateOf(root, id);
  t.is(created.status, 'created');
  t.true(existsSync(`/proc/${created.pid}`), 'the init waits at the start gate');
  const s = await tsrun(root, ['start', id]);
  t.is(s.code, 1);
  t.regex(s.stderr, /^config\.json: \/process: is required at start/);
  await waitFor(async () => (await stateOf(root, id)).status === 'stopped', 10_000, 'stopped after the refused start');
  const d = await tsrun(root, ['delete', id]);
  t.is(d.code, 0, d.stderr);
  t.false(existsSync(join(root, id)));
});

it('run of a config without process fails naming /process and leaves nothing', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => delete s.process);
  const id = uniqueId('noproc');
  const r = await tsrun(root, ['run', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(r.code, 1);
  t.true(r.stderr.startsWith(`tsrun: run ${id}: config.json: /process: is required at start`), r.stderr);
  t.deepEqual(containerDirs(root), []);
});
