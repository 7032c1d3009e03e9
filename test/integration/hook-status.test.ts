/**
 * The status in the state each hook reads on stdin: `created` for the hooks that run while the
 * container is being created (prestart, createRuntime, createContainer) and for startContainer,
 * `running` for poststart, `stopped` for poststop, as crun sends and runtime-tools' hooks_stdin
 * checks. runc 1.1.5 sends `creating` to the create-time hooks and `created` to poststart: tsrun only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, requireRootAndBuild, serialUnless, tsrun, uniqueId } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

/** A hook that saves its stdin to <dir>/<phase>.json; `dir` as the hook sees it. */
const saveState = (dir: string, phase: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${phase}.json`] });

it('hooks read created (create-time hooks and startContainer), running (poststart), stopped (poststop) (runc 1.1.5 sends creating, then created to poststart)', async (t) => {
  const root = privateRoot(t);
  const out = makeDir(t, 'tsrun-hookstatus-');
  const bundle = makeBundle(t, (s) => {
    s.mounts.push({ destination: '/hookout', type: 'bind', source: out, options: ['rbind', 'rw'] });
    s.process.args = ['sleep', '1000'];
    s.hooks = {
      prestart: [saveState(out, 'prestart')],
      createRuntime: [saveState(out, 'createRuntime')],
      createContainer: [saveState(out, 'createContainer')],
      // After pivot_root: the bind mount is where it sees the directory.
      startContainer: [saveState('/hookout', 'startContainer')],
      poststart: [saveState(out, 'poststart')],
      poststop: [saveState(out, 'poststop')],
    };
  });
  const id = uniqueId('hookstatus');
  t.teardown(() => tsrun(root, ['delete', '--force', id]).then(() => undefined));
  const c = await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(c.code, 0, c.stderr);
  const s = await tsrun(root, ['start', id]);
  t.is(s.code, 0, s.stderr);
  const k = await tsrun(root, ['delete', '--force', id]);
  t.is(k.code, 0, k.stderr);
  const status = (phase: string) => JSON.parse(readFileSync(join(out, `${phase}.json`), 'utf8')).status;
  t.deepEqual(
    ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'].map((p) => [p, status(p)]),
    [['prestart', 'created'], ['createRuntime', 'created'], ['createContainer', 'created'], ['startContainer', 'created'], ['poststart', 'running'], ['poststop', 'stopped']],
  );
});
