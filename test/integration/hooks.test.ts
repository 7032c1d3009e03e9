/** Every hook type: when it runs, with which state, in which namespaces, and what its failure does. */
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId, waitFor, containerDirs } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

/** A host hook that saves its stdin (the state) and its mount namespace to out/<name>. */
const hostHook = (out: string, name: string, extra = '') => ({
  path: '/bin/sh',
  args: ['sh', '-c', `cat > ${out}/${name}.json; readlink /proc/self/ns/mnt > ${out}/${name}.mnt; ${extra}`],
});
/** The same from inside the container: its /bin/sh, writing to the bind-mounted /hookout. */
const containerHook = (name: string, extra = '') => ({
  path: '/bin/sh',
  args: ['sh', '-c', `cat > /hookout/${name}.json; readlink /proc/self/ns/mnt > /hookout/${name}.mnt; ${extra}`],
});
const read = (out: string, name: string) => JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8'));

it('each hook runs at its point with the state of that point', async (t) => {
  const root = privateRoot(t);
  const out = makeDir(t, 'tsrun-hooks-');
  const bundle = makeBundle(t, (s) => {
    s.mounts.push({ destination: '/hookout', type: 'bind', source: out, options: ['rbind', 'rw'] });
    s.process.args = ['sh', '-c', 'touch /hookout/process-ran; sleep 1000'];
    s.hooks = {
      prestart: [hostHook(out, 'prestart')],
      createRuntime: [hostHook(out, 'createRuntime')],
      createContainer: [hostHook(out, 'createContainer')],
      startContainer: [containerHook('startContainer', 'if test -e /hookout/process-ran; then echo too-late > /hookout/order; fi')],
      poststart: [hostHook(out, 'poststart')],
      poststop: [hostHook(out, 'poststop')],
    };
  });
  const id = uniqueId('hooks');
  const c = await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(c.code, 0, c.stderr);
  const { pid } = await stateOf(root, id);
  const initMnt = readlinkSync(`/proc/${pid}/ns/mnt`);
  const hostMnt = readlinkSync('/proc/self/ns/mnt');
  for (const phase of ['prestart', 'createRuntime', 'createContainer']) {
    const st = read(out, phase);
    t.is(st.status, 'created', phase);
    t.is(st.pid, pid, phase);
    t.is(st.id, id, phase);
    t.is(st.bundle, bundle, phase);
  }
  t.is(readFileSync(join(out, 'createRuntime.mnt'), 'utf8').trim(), hostMnt, 'createRuntime runs in the runtime namespace');
  t.is(readFileSync(join(out, 'createContainer.mnt'), 'utf8').trim(), initMnt, 'createContainer runs in the container namespace');
  t.false(existsSync(join(out, 'startContainer.json')), 'startContainer waits for start');
  const st = await tsrun(root, ['start', id]);
  t.is(st.code, 0, st.stderr);
  t.is(read(out, 'startContainer').status, 'created');
  t.is(readFileSync(join(out, 'startContainer.mnt'), 'utf8').trim(), initMnt);
  t.false(existsSync(join(out, 'order')), 'startContainer ran before the user process');
  t.is(read(out, 'poststart').status, 'running');
  await waitFor(() => existsSync(join(out, 'process-ran')), 5000, 'process');
  t.false(existsSync(join(out, 'poststop.json')));
  t.is((await tsrun(root, ['delete', '--force', id])).code, 0);
  t.is(read(out, 'poststop').status, 'stopped');
});

it('a failing createRuntime hook fails create and leaves nothing', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo nope >&2; exit 3'] }] }));
  const id = uniqueId('hookfail');
  const r = await tsrun(root, ['create', '-b', bundle, id]);
  t.is(r.code, 1);
  t.is(r.stderr.trim(), `tsrun: create ${id}: createRuntime hook #0 (/bin/sh): exit status 3: nope`);
  t.deepEqual(containerDirs(root), []);
});

it('a hook over its timeout is killed and fails create', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.hooks = { prestart: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
  const r = await tsrun(root, ['create', '-b', bundle, uniqueId('hooktime')]);
  t.is(r.code, 1);
  t.regex(r.stderr, /prestart hook #0 \(\/bin\/sleep\): timed out after 1s/);
  t.deepEqual(containerDirs(root), []);
});

for (const phase of ['startContainer', 'poststart'] as const) {
  it(`a failing ${phase} hook fails start and stops the container`, async (t) => {
    const root = privateRoot(t);
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['sleep', '1000'];
      s.hooks = { [phase]: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 4'] }] };
    });
    const id = uniqueId('hookstop');
    t.is((await tsrun(root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] })).code, 0);
    const r = await tsrun(root, ['start', id]);
    t.is(r.code, 1);
    t.regex(r.stderr, new RegExp(`${phase} hook #0 \\(/bin/sh\\): exit status 4`));
    await waitFor(async () => (await stateOf(root, id)).status === 'stopped', 5000, 'stopped');
  });
}

it('a failing poststop hook is reported but delete succeeds and later hooks run', async (t) => {
  const root = privateRoot(t);
  const out = makeDir(t, 'tsrun-poststop-');
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['true'];
    s.hooks = { poststop: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 9'] }, hostHook(out, 'second')] };
  });
  const id = uniqueId('poststop');
  t.is((await tsrun(root, ['run', '--keep', '-b', bundle, id])).code, 0);
  const d = await tsrun(root, ['delete', id]);
  t.is(d.code, 0);
  t.regex(d.stderr, /poststop hook #0 \(\/bin\/sh\): exit status 9/);
  t.true(existsSync(join(out, 'second.json')));
  t.deepEqual(containerDirs(root), []);
});
