/** process.terminal with --console-socket: the pty master reaches the socket, the peer is the container's tty. */
import { join } from 'node:path';
import { listeningReceiver } from './console-receiver.js';
import { makeBundle, makeDir, privateRoot, needsCommand, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId, waitFor } from './helpers.js';

const it = serialUnless(requireRootAndBuild() ?? needsCommand('python3'));


it('create with a terminal sends one pty master over the console socket', async (t) => {
  const root = privateRoot(t);
  const dir = makeDir(t, 'tsrun-tty-');
  const sock = join(dir, 'console.sock');
  const r = await listeningReceiver(t, sock, 'tty; stty size; echo END-MARK; exit');
  const bundle = makeBundle(t, (s) => {
    s.process.terminal = true;
    s.process.consoleSize = { height: 33, width: 111 };
    s.process.args = ['sh'];
  });
  const id = uniqueId('tty');
  const c = await tsrun(root, ['create', '--console-socket', sock, '-b', bundle, id]);
  t.is(c.code, 0, c.stderr);
  t.is(c.stdout, '', 'create prints nothing');
  t.is((await stateOf(root, id)).status, 'created');
  t.is((await tsrun(root, ['start', id])).code, 0);
  const out = await r.done;
  t.regex(out, /name \/dev\/pts\/ptmx/);
  t.regex(out, /isatty True/);
  t.regex(out, /\/dev\/console|\/dev\/pts\/0/);
  t.regex(out, /33 111/);
  await waitFor(async () => (await stateOf(root, id)).status === 'stopped', 10_000, 'shell exit');
});

it('terminal without a console socket, and a socket without a terminal, are refused', async (t) => {
  const root = privateRoot(t);
  const tty = makeBundle(t, (s) => (s.process.terminal = true));
  const a = await tsrun(root, ['create', '-b', tty, uniqueId('nosock')]);
  t.is(a.code, 1);
  t.regex(a.stderr, /cannot allocate tty if tsrun will detach without setting console socket/);
  const plain = makeBundle(t);
  const b = await tsrun(root, ['create', '--console-socket', '/tmp/x.sock', '-b', plain, uniqueId('nott')]);
  t.is(b.code, 1);
  t.regex(b.stderr, /cannot use console socket if tsrun will not detach or allocate tty/);
});
