/**
 * A person at a terminal: `tsrun run -b bundles/shell` in a tmux pane. The test types into the
 * pane and reads the screen, as a user would: prompt, commands, window size, Ctrl-C, exit status.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { privateRoot, needsCommand, requireRootAndBuild, serialUnless, uniqueId, waitFor, REPO, TSRUN, containerDirs } from './helpers.js';

const it = serialUnless(requireRootAndBuild() ?? needsCommand('tmux', 'make deps installs it'));

function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

it('bundles/shell is usable interactively: typing, window size, Ctrl-C, exit status', async (t) => {
  const root = privateRoot(t);
  const socket = uniqueId('tsrun-tmux');
  const id = uniqueId('shell');
  const status = join(root, '.exit-status');
  t.teardown(() => spawnSync('tmux', ['-L', socket, 'kill-server']));
  const cmd = `${TSRUN} --root ${root} run -b ${join(REPO, 'bundles', 'shell')} ${id}; echo $? > ${status}; sleep 30`;
  tmux(socket, 'new-session', '-d', '-x', '100', '-y', '30', '-s', 'main', cmd);
  const screen = () => tmux(socket, 'capture-pane', '-p', '-t', 'main');
  const type = (keys: string) => tmux(socket, 'send-keys', '-t', 'main', '-l', keys);
  const press = (key: string) => tmux(socket, 'send-keys', '-t', 'main', key);
  await waitFor(() => /#\s*$/m.test(screen()), 15_000, 'the shell prompt');

  type('echo hello-$((6*7)); hostname; tty; stty size');
  press('Enter');
  await waitFor(() => /hello-42/.test(screen()), 5000, 'command output');
  const out = screen();
  t.regex(out, /^shell$/m, 'the bundle hostname');
  t.regex(out, /^\/dev\/(pts\/\d+|console)$/m, 'a real tty');
  t.regex(out, /^30 100$/m, 'the window size of the pane');

  tmux(socket, 'resize-window', '-t', 'main', '-x', '80', '-y', '24');
  type('stty size');
  press('Enter');
  await waitFor(() => /^24 80$/m.test(screen()), 5000, 'the new window size (SIGWINCH)');

  type('sleep 100');
  press('Enter');
  await new Promise((r) => setTimeout(r, 300));
  press('C-c');
  type('echo after-interrupt');
  press('Enter');
  await waitFor(() => /^after-interrupt$/m.test(screen()), 5000, 'Ctrl-C stops sleep, not the shell');

  type('exit 3');
  press('Enter');
  await waitFor(() => {
    try {
      return execFileSync('cat', [status], { encoding: 'utf8' }).trim() === '3';
    } catch {
      return false;
    }
  }, 10_000, 'the exit status');
  t.deepEqual(containerDirs(root), [], 'run deleted the container');
});
