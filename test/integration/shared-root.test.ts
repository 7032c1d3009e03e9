/**
 * One --root shared by tsrun and runc, as managers share it between runtimes (Docker gives every
 * runc-shim runtime the same root): tsrun keeps nothing but its containers there (its seccomp
 * cache lives elsewhere), so `runc list` works, and `tsrun list` lists its own without a warning
 * about runc's.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { RUNC, TSRUN, makeBundle, privateRoot, requireRootAndBuild, runRuntime, serialUnless, uniqueId } from './helpers.js';

const it = serialUnless(requireRootAndBuild() ?? (RUNC ? undefined : 'runc is not installed'));

it('runc list and tsrun list both work in a root holding a container of each', async (t) => {
  const runc = RUNC!;
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['sleep', '1000']));
  const spec = JSON.parse(readFileSync(`${bundle}/config.json`, 'utf8'));
  t.truthy(spec.linux?.seccomp, 'the tsrun container compiles a seccomp profile (the cache is used)');
  const ts = uniqueId('shared-ts');
  const rc = uniqueId('shared-rc');
  t.teardown(() => runRuntime(runc, root, ['delete', '--force', rc]).then(() => undefined));
  t.teardown(() => runRuntime(TSRUN, root, ['delete', '--force', ts]).then(() => undefined));
  // A detached container keeps run's stdout open: not a pipe the test waits on.
  const quiet = { stdio: ['pipe', 'ignore', 'pipe'] as ('pipe' | 'ignore')[] };
  const a = await runRuntime(TSRUN, root, ['run', '-d', '-b', bundle, ts], quiet);
  t.is(a.code, 0, a.stderr);
  const b = await runRuntime(runc, root, ['run', '-d', '-b', bundle, rc], quiet);
  t.is(b.code, 0, b.stderr);
  t.deepEqual(readdirSync(root).sort(), [rc, ts].sort(), 'the root holds the two containers only');
  // runc warns on stderr about a folder it cannot load (tsrun's) and lists the rest.
  const r = await runRuntime(runc, root, ['list', '-q']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.split('\n').filter(Boolean), [rc]);
  const l = await runRuntime(TSRUN, root, ['list', '-q']);
  t.is(l.code, 0, l.stderr);
  t.deepEqual(l.stdout.split('\n').filter(Boolean), [ts]);
  t.is(l.stderr, '', "no warning about runc's container");
  const j = await runRuntime(TSRUN, root, ['list', '--format', 'json']);
  t.is(j.stderr, '');
  t.deepEqual(JSON.parse(j.stdout).map((c: { id: string }) => c.id), [ts]);
});
