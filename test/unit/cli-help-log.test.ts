/**
 * The CLI's help, version and log: -h is --help; help on a name that is no command fails; a
 * command tsrun lists but does not do fails its --help too; failures of exec exit 255 (runc's);
 * --log is made as the command starts and takes --debug notes in logrus text or JSON.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/cli.js';
import type { TsrunCommand } from '../../src/cli/command.js';
import { makeLogger } from '../../src/cli/log.js';
import { debug, debugOn, setLogSink } from '../../src/log.js';

const load = async (name: string) => ((await import(`../../src/cli/${name}.js`)) as { default: TsrunCommand<any> }).default;

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-cli-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('help on a name that is no command fails; on a command tsrun does not do yet too', async (t) => {
  t.is(await runCli(['foo', '-h'], load as never), 1);
  t.is(await runCli(['help', 'foo'], load as never), 1);
  t.is(await runCli(['checkpoint', '--help'], load as never), 1);
  t.is(await runCli(['restore', '-h'], load as never), 1);
});

test('exec exits 255 for its own failures, 1 for a usage error', async (t) => {
  const root = tempDir(t);
  t.is(await runCli(['--root', root, 'exec', 'no-such', 'true'], load as never), 255);
  t.is(await runCli(['--root', root, 'exec'], load as never), 1);
  t.is(await runCli(['--root', root, 'state', 'no-such'], load as never), 1);
});

test('--log is made by any command, even one that succeeds', async (t) => {
  const dir = tempDir(t);
  const log = join(dir, 'l.log');
  t.is(await runCli(['--root', dir, '--log', log, 'list'], load as never), 0);
  t.true(existsSync(log));
});

test('debug notes: logrus text or JSON in the log; none, and no work, without --debug', (t) => {
  const dir = tempDir(t);
  const text = join(dir, 'text.log');
  setLogSink(makeLogger({ log: text, debug: true }));
  t.teardown(() => setLogSink(undefined));
  t.true(debugOn());
  debug('cgroup: "/x"');
  t.regex(readFileSync(text, 'utf8'), /^time="\d{4}-\d\d-\d\dT[\d:.]+Z" level=debug msg="cgroup: \\"\/x\\""\n$/);
  const json = join(dir, 'json.log');
  setLogSink(makeLogger({ log: json, logFormat: 'json', debug: true }));
  debug('step');
  t.like(JSON.parse(readFileSync(json, 'utf8')), { level: 'debug', msg: 'step' });
  const quiet = join(dir, 'quiet.log');
  setLogSink(makeLogger({ log: quiet }));
  t.false(debugOn());
  debug('never');
  t.is(readFileSync(quiet, 'utf8'), '');
});
