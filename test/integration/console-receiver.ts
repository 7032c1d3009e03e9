/** The console-socket peer of the terminal tests (console_recv.py: Node cannot receive SCM_RIGHTS). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { REPO, waitFor } from './helpers.js';

const RECV = join(REPO, 'test', 'integration', 'console_recv.py');

/** Listens on sock, types `script` into the pty it receives and returns what came back. */
export function receiver(sock: string, script: string) {
  const child = spawn('python3', [RECV, sock, script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise<string>((res) => child.on('exit', () => res(out)));
  return { ready: () => out.includes('listening'), done, kill: () => child.kill() };
}

/** A receiver listening on sock before the runtime is called, killed at the test's teardown. */
export async function listeningReceiver(t: ExecutionContext, sock: string, script: string, what = 'receiver') {
  const r = receiver(sock, script);
  t.teardown(r.kill);
  await waitFor(r.ready, 5000, what);
  return r;
}
