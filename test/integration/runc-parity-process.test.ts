/**
 * Process behaviours runc's own integration tests rely on, on tsrun and runc side by side: a
 * non-root process owns its terminal and its stdio, and may start in a directory only root can
 * enter.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { listeningReceiver } from './console-receiver.js';
import { makeBundle, makeDir, privateRoot, runRuntime, uniqueId, waitFor, type Result } from './helpers.js';
import { runContainer, sideBySide, type Runtime } from './runc-parity.js';

const USER = { uid: 1000, gid: 1000 };

async function statusOf(rt: Runtime, root: string, id: string): Promise<string> {
  const r = await runRuntime(rt.bin, root, ['state', id]);
  return r.code === 0 ? JSON.parse(r.stdout).status : `state failed: ${r.stderr}`;
}

sideBySide('a non-root process owns its terminal and can reopen it', async (t, rt) => {
  const root = privateRoot(t);
  const sock = join(makeDir(t, 'tsrun-ttyown-'), 'console.sock');
  // The typed line is echoed back: quotes split each marker so only the output matches it.
  const r = await listeningReceiver(t, sock, `echo "own$(stat -L -c %u /proc/self/fd/0)"; echo reopen > "$(tty)" && echo re""opened; echo END""-MARK; exit`);
  const bundle = makeBundle(t, (s) => {
    s.process.terminal = true;
    s.process.user = USER;
    s.process.args = ['sh'];
  });
  const id = uniqueId('ttyown');
  t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
  const c = await runRuntime(rt.bin, root, ['create', '--console-socket', sock, '-b', bundle, id]);
  t.is(c.code, 0, c.stderr);
  t.is((await runRuntime(rt.bin, root, ['start', id])).code, 0);
  const out = await r.done;
  t.regex(out, /own1000/);
  t.regex(out, /reopened/);
  await waitFor(async () => (await statusOf(rt, root, id)) === 'stopped', 10_000, 'shell exit');
});

/** `run` with stdin and stdout real pipes (a shell's), as a pipeline gives them. */
function runPiped(rt: Runtime, root: string, bundle: string, id: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'echo in | "$0" --root "$1" run -b "$2" "$3" | cat', rt.bin, root, bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

sideBySide('a non-root process owns its stdio pipes and can reopen them', async (t, rt) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    s.process.user = USER;
    s.process.args = ['sh', '-c', 'stat -L -c %u /proc/self/fd/0 /proc/self/fd/1; echo reopened > /proc/self/fd/1'];
  });
  const id = uniqueId('pipeown');
  t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
  const r = await runPiped(rt, root, bundle, id);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '1000\n1000\nreopened\n', r.stderr);
});

sideBySide('a non-root process starts in a cwd only root can enter', async (t, rt) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    // A root-owned 0700 directory, whatever the image's /root is.
    s.mounts.push({ destination: '/root', type: 'tmpfs', source: 'tmpfs', options: ['mode=700'] });
    s.process.user = USER;
    s.process.cwd = '/root';
    s.process.args = ['sh', '-c', 'pwd; ls . 2>/dev/null || echo cannot-list'];
  });
  const r = await runContainer(t, rt, root, bundle, uniqueId('cwdroot'));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '/root\ncannot-list\n');
});
