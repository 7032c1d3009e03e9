import test from 'ava';
import { splitArgv } from '../../src/cli/argv.js';
import { checkLogFormat, formatLogLine } from '../../src/cli/log.js';
import { SIGNALS, parseSignal } from '../../src/lifecycle/signals.js';
import { constants } from 'node:os';

test('single-dash long flags become double-dash', (t) => {
  t.deepEqual(splitArgv(['-root', '/r', 'restore', '-no-subreaper', 'x']).args, ['--root', '/r', 'restore', '--no-subreaper', 'x']);
});

test('unknown single-dash words and short flags are left alone', (t) => {
  t.deepEqual(splitArgv(['delete', '-f', 'x']).args, ['delete', '-f', 'x']);
  t.deepEqual(splitArgv(['run', '-d', '-b', 'b', 'x']).args, ['run', '-d', '-b', 'b', 'x']);
});

test('exec stops parsing at the container id', (t) => {
  const s = splitArgv(['--root', '/r', 'exec', '-t', '--cwd', '/tmp', 'ctr', 'sh', '-c', 'ls -l']);
  t.deepEqual(s.args, ['--root', '/r', 'exec', '-t', '--cwd', '/tmp', 'ctr']);
  t.deepEqual(s.rest, ['sh', '-c', 'ls -l']);
});

test('kill keeps the signal as the rest', (t) => {
  t.deepEqual(splitArgv(['kill', '--all', 'ctr', '9']), { args: ['kill', '--all', 'ctr'], rest: ['9'] });
  t.deepEqual(splitArgv(['kill', 'ctr']), { args: ['kill', 'ctr'], rest: [] });
});

test('--flag=value forms pass through', (t) => {
  t.deepEqual(splitArgv(['--log-format=json', 'list', '--format=json']).args, ['--log-format=json', 'list', '--format=json']);
});

test('signals parse as runc parses them', (t) => {
  t.is(parseSignal(undefined), 15);
  t.is(parseSignal('9'), 9);
  t.is(parseSignal('KILL'), 9);
  t.is(parseSignal('sigusr1'), 10);
  t.is(parseSignal('SIGTERM'), 15);
  t.is(parseSignal('RTMIN+2'), 36);
  t.throws(() => parseSignal('NOPE'), { message: 'unknown signal "NOPE"' });
  t.is(parseSignal('0'), 0);
  t.throws(() => parseSignal('65'), { message: /invalid signal/ });
});

test('the signal table is node:os\'s on this machine, every name of it', (t) => {
  const os = constants.signals as Record<string, number>;
  for (const [name, n] of Object.entries(os)) if (n < 32) t.is(SIGNALS[name], n, name);
  for (const [name, n] of Object.entries(SIGNALS)) t.is(os[name], n, name);
});

test('json log lines are logrus-shaped with an RFC 3339 time', (t) => {
  const line = formatLogLine('error', 'boom "x"', 'json', Date.parse('2026-01-02T03:04:05.000Z'));
  t.deepEqual(JSON.parse(line), { level: 'error', msg: 'boom "x"', time: '2026-01-02T03:04:05.000Z' });
  t.true(line.endsWith('\n'));
  t.throws(() => checkLogFormat('xml'), { message: 'unknown log-format "xml"' });
});
