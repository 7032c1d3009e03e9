/**
 * HOME when the process env has none, on tsrun and runc side by side: the home of the process uid
 * in the container's /etc/passwd, "/" for a uid it does not list; an env's own HOME is kept. For the
 * init and for exec. The busybox rootfs lists root with /root.
 */
import { makeBundle, privateRoot, runRuntime, uniqueId, waitFor } from './helpers.js';
import { runContainer, sideBySide } from './runc-parity.js';

const UNLISTED = { uid: 4321, gid: 4321 };

/** The HOME lines `env` printed ("" when it printed none). */
function homeOf(stdout: string): string {
  return stdout.split('\n').filter((l) => l.startsWith('HOME=')).join('|');
}

function envWithoutHome(spec: any): string[] {
  return (spec.process.env as string[]).filter((e) => !e.startsWith('HOME='));
}

sideBySide('the init gets HOME from /etc/passwd, "/" for an unlisted uid, and keeps its own', async (t, rt) => {
  const root = privateRoot(t);
  const cases: Array<[string, (s: any) => void, string]> = [
    ['uid 0', (s) => (s.process.env = envWithoutHome(s)), 'HOME=/root'],
    ['unlisted uid', (s) => ((s.process.env = envWithoutHome(s)), (s.process.user = UNLISTED)), 'HOME=/'],
    ['own HOME', (s) => (s.process.env = [...envWithoutHome(s), 'HOME=/mine']), 'HOME=/mine'],
  ];
  for (const [what, patch, home] of cases) {
    const bundle = makeBundle(t, (s) => {
      patch(s);
      s.process.args = ['env'];
    });
    const r = await runContainer(t, rt, root, bundle, uniqueId('home'));
    t.is(r.code, 0, `${what}: ${r.stderr}`);
    t.is(homeOf(r.stdout), home, what);
  }
});

sideBySide('exec gets HOME from /etc/passwd, "/" for an unlisted uid, and keeps its own', async (t, rt) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    s.process.env = envWithoutHome(s);
    s.process.args = ['sleep', '1000'];
  });
  const id = uniqueId('exechome');
  t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
  const c = await runRuntime(rt.bin, root, ['run', '-d', '-b', bundle, id], { stdio: ['pipe', 'ignore', 'pipe'] });
  t.is(c.code, 0, c.stderr);
  await waitFor(async () => (await runRuntime(rt.bin, root, ['state', id])).stdout.includes('"running"'), 10_000, 'running');
  const cases: Array<[string, string[], string]> = [
    ['uid 0', [], 'HOME=/root'],
    ['unlisted uid', ['--user', `${UNLISTED.uid}:${UNLISTED.gid}`], 'HOME=/'],
    ['own HOME', ['--env', 'HOME=/mine'], 'HOME=/mine'],
  ];
  for (const [what, flags, home] of cases) {
    const r = await runRuntime(rt.bin, root, ['exec', ...flags, id, 'env']);
    t.is(r.code, 0, `${what}: ${r.stderr}`);
    t.is(homeOf(r.stdout), home, what);
  }
});
