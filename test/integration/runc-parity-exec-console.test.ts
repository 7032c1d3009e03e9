/**
 * `exec -t` into a container whose init has a terminal, on tsrun and runc side by side: each exec
 * gets a pty of its own and leaves the init's /dev/console as it was, so a second exec works and
 * the init's console still takes writes.
 */
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { listeningReceiver } from './console-receiver.js';
import { makeBundle, makeDir, privateRoot, runRuntime, uniqueId } from './helpers.js';
import { sideBySide, type Runtime } from './runc-parity.js';

/** One `exec -d -t` (only a detached exec sends its pty to --console-socket), its own socket; returns its exit code, stderr and what its pty showed. */
async function execWithTerminal(t: ExecutionContext, rt: Runtime, root: string, dir: string, id: string, n: number) {
  const sock = join(dir, `exec${n}.sock`);
  const r = await listeningReceiver(t, sock, '', 'exec receiver');
  const x = await runRuntime(rt.bin, root, ['exec', '-d', '-t', '--console-socket', sock, id, 'sh', '-c', 'tty; echo END-MARK']);
  return { code: x.code, stderr: x.stderr, out: await r.done };
}

sideBySide('two exec -t in a row work and the init keeps its /dev/console', async (t, rt) => {
  const root = privateRoot(t);
  const dir = makeDir(t, 'tsrun-exectty-');
  const initSock = join(dir, 'init.sock');
  const init = await listeningReceiver(t, initSock, '', 'init receiver');
  const bundle = makeBundle(t, (s) => {
    s.process.terminal = true;
    s.process.args = ['sleep', '1000'];
  });
  const id = uniqueId('exectty');
  t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
  const c = await runRuntime(rt.bin, root, ['create', '--console-socket', initSock, '-b', bundle, id]);
  t.is(c.code, 0, c.stderr);
  t.is((await runRuntime(rt.bin, root, ['start', id])).code, 0);
  for (const n of [1, 2]) {
    const x = await execWithTerminal(t, rt, root, dir, id, n);
    t.is(x.code, 0, `exec ${n}: ${x.stderr}`);
    t.regex(x.out, /\/dev\/pts\/\d+/, `exec ${n} runs on a pty`);
  }
  const w = await runRuntime(rt.bin, root, ['exec', id, 'sh', '-c', 'echo CONSOLE-OK > /dev/console']);
  t.is(w.code, 0, `the init's /dev/console takes writes after the execs: ${w.stderr}`);
  // The init's pty master ends (EIO) with the container: its receiver then prints what came.
  await runRuntime(rt.bin, root, ['delete', '--force', id]);
  t.regex(await init.done, /CONSOLE-OK/);
});
