/**
 * The executor launcher's Node path without child_process (posix_spawn and a socket pair), once
 * through tsrun's addon (test/unit/launch.test.ts) and once through koffi, the fallback where the
 * addon is not built (test/unit/launch-koffi.test.ts): a shell script stands in for the executor
 * and echoes the channel back. No root needed.
 */
import type { TestFn } from 'ava';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from '../../src/executor/launch.js';
import { sysAddon } from '../../src/sys/addon.js';
import { spawnWithChannel } from '../../src/sys/libc.js';

function script(t: { teardown(f: () => void): void }, body: string, shell = '/bin/sh'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-launch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'child.sh');
  writeFileSync(path, `#!${shell}\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  let text = '';
  for await (const c of chunks) text += Buffer.from(c).toString();
  return text;
}

export function launchCases(test: TestFn, via: 'addon' | 'koffi'): void {
  test(`${via}: the process calls go through it`, (t) => {
    t.is(sysAddon() !== undefined, via === 'addon');
  });

  test(`${via}: the channel is the fd after stdio, both ways; env and /dev/null stdio are as asked`, async (t) => {
    // fd 3 is the channel: echo what arrives, then report how the process was started.
    const path = script(t, 'cat <&3 >&3; echo "$0 $_TEST_VAR $(readlink /proc/$$/fd/0)" >&3');
    const child = launch({ path, argv0: 'echo-child', env: { _TEST_VAR: 'set' }, stdio: ['ignore', 'ignore', 'ignore'] });
    t.true(child.pid > 0);
    t.true(child.running());
    await child.finish(Buffer.from('hello\n'));
    t.is(await readAll(child.chunks()), `hello\n${path} set /dev/null\n`);
    t.is(await child.exited, 'status 0');
    t.false(child.running());
    child.close();
  });

  test(`${via}: a killed child reports its signal; close() ends a read that is waiting`, async (t) => {
    const path = script(t, 'exec sleep 30');
    const child = launch({ path, argv0: 'sleeper', env: {}, stdio: ['ignore', 'ignore', 'ignore'] });
    const reading = readAll(child.chunks());
    await new Promise((r) => setTimeout(r, 50));
    child.close();
    t.is(await reading, '');
    child.kill();
    t.is(await child.exited, 'signal SIGKILL');
  });

  test(`${via}: a missing program is one clear error; fds that would collide with the channel give way`, async (t) => {
    t.throws(() => spawnWithChannel('/nonexistent/tsrun-executor', 'x', {}, ['ignore']), {
      message: 'posix_spawn /nonexistent/tsrun-executor: no such file or directory (ENOENT)',
    });
    // Our end of the pair would be among the child's fds 0..999: the addon moves it above them;
    // through koffi nothing is started, and launch() takes child_process instead.
    const path = script(t, 'echo "$(readlink /proc/$$/fd/0) channel" >&1000', '/bin/bash');
    const stdio: Array<'ignore'> = Array(1000).fill('ignore');
    if (via === 'koffi') t.is(spawnWithChannel(path, 'x', {}, stdio), undefined);
    const child = launch({ path, argv0: 'x', env: {}, stdio });
    t.is(await readAll(child.chunks()), '/dev/null channel\n');
    t.is(await child.exited, 'status 0');
  });
}
