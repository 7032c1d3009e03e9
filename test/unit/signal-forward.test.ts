/**
 * `run`'s signal forwarding (src/lifecycle/run.ts): signals that come before the container's
 * process exists wait for it, as runc's do; SIGWINCH stays with the console proxy when there is
 * one. Signals are emitted on `process` (its listeners run as for a real one); the target is a
 * real child.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { SignalForwarder } from '../../src/lifecycle/run.js';

function sleeper() {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const ended = once(child, 'exit').then(([, sig]) => sig as string | null);
  return { child, ended };
}

test.serial('a signal before the process exists is delivered once it does; none after detach', async (t) => {
  const before = process.listenerCount('SIGTERM');
  const f = new SignalForwarder(() => false);
  f.attach();
  f.attach(); // once only
  t.is(process.listenerCount('SIGTERM'), before + 1);
  process.emit('SIGTERM', 'SIGTERM');
  const { child, ended } = sleeper();
  f.target(child.pid!);
  t.is(await ended, 'SIGTERM');
  f.detach();
  t.is(process.listenerCount('SIGTERM'), before);
});

test.serial('SIGWINCH goes to the console proxy, not the process, when there is one', async (t) => {
  let proxied = true;
  const f = new SignalForwarder(() => proxied);
  // Says "winch" for each SIGWINCH it gets, and ends on SIGHUP.
  const child = spawn('sh', ['-c', 'trap "echo winch" WINCH; trap "exit 0" HUP; echo ready; while :; do sleep 0.02; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await once(child.stdout, 'data');
  f.attach();
  f.target(child.pid!);
  process.emit('SIGWINCH', 'SIGWINCH'); // the proxy's
  await new Promise((r) => setTimeout(r, 100));
  proxied = false;
  process.emit('SIGWINCH', 'SIGWINCH'); // the process's
  // Its trap runs once the current sleep ends; a HUP pending with it would be taken first.
  while (!out.includes('winch')) await once(child.stdout, 'data');
  process.emit('SIGHUP', 'SIGHUP');
  await once(child, 'exit');
  f.detach();
  t.is(out, 'ready\nwinch\n');
});
