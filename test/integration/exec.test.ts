/** exec: a new process joins a running container's namespaces. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId, waitFor } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

async function sleeper(t: any): Promise<{ root: string; id: string }> {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sleep', '1000'];
    s.hostname = 'exec-target';
  });
  const id = uniqueId('exec');
  const r = await tsrun(root, ['run', '-d', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(r.code, 0, r.stderr);
  return { root, id };
}

it('exec joins the pid, uts and mount namespaces and returns the exit status', async (t) => {
  const { root, id } = await sleeper(t);
  const r = await tsrun(root, ['exec', id, 'sh', '-c', 'echo $$; hostname; cat /proc/1/cmdline | tr "\\0" " "; exit 3']);
  t.is(r.code, 3, r.stderr);
  const [pid, host, cmd] = r.stdout.split('\n');
  t.true(Number(pid) > 1 && Number(pid) < 100, `pid ${pid} is in the container's pid namespace`);
  t.is(host, 'exec-target');
  t.is(cmd!.trim(), 'sleep 1000');
});

it('exec flags: --env, --cwd, --user, --additional-gids', async (t) => {
  const { root, id } = await sleeper(t);
  const r = await tsrun(root, ['exec', '--env', 'A=1', '-e', 'B=2', '--cwd', '/tmp', '--user', '1000:1001', '-g', '7', id, 'sh', '-c', 'echo $A$B; pwd; id -u; id -g; id -G']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '12\n/tmp\n1000\n1001\n1001 7\n');
});

it('exec --process FILE --detach --pid-file, as containerd and conmon call it', async (t) => {
  const { root, id } = await sleeper(t);
  const dir = makeDir(t, 'tsrun-exec-');
  const proc = { terminal: false, user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'echo detached > /dev/shm/mark; sleep 1000'], env: ['PATH=/bin'], cwd: '/' };
  writeFileSync(join(dir, 'process.json'), JSON.stringify(proc));
  const pidFile = join(dir, 'exec.pid');
  const r = await tsrun(root, ['exec', '--process', join(dir, 'process.json'), '--detach', '--pid-file', pidFile, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.is(r.code, 0, r.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  t.true(pid > 0);
  await waitFor(async () => (await tsrun(root, ['exec', id, 'cat', '/dev/shm/mark'])).stdout === 'detached\n', 5000, 'mark');
  // The pid file names the very process that execs the user's command (busybox sh execs its last command).
  t.is(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\u00001000\u0000');
});

it('exec into a stopped container, and of a missing binary, are clear errors', async (t) => {
  const { root, id } = await sleeper(t);
  const missing = await tsrun(root, ['exec', id, 'nope']);
  t.not(missing.code, 0);
  t.is(missing.stderr.trim(), `tsrun: exec ${id}: exec: "nope": executable file not found in $PATH`);
  t.is((await tsrun(root, ['kill', id, 'KILL'])).code, 0);
  await waitFor(async () => (await stateOf(root, id)).status === 'stopped', 5000, 'stopped');
  const r = await tsrun(root, ['exec', id, 'true']);
  t.not(r.code, 0);
  t.regex(r.stderr, /cannot exec in a stopped container/);
});

it('exec --cgroup puts the process in a sub-cgroup of the container; --apparmor is refused without AppArmor', async (t) => {
  const { existsSync, mkdirSync, readFileSync } = await import('node:fs');
  const { root, id } = await sleeper(t);
  const { pid } = await stateOf(root, id);
  const pidsDir = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.includes(':pids:'))!.split(':')[2]!;
  const sub = `/sys/fs/cgroup/pids${pidsDir}/sub`;
  mkdirSync(sub);
  const r = await tsrun(root, ['exec', '--cgroup', 'pids:sub', id, 'cat', '/proc/self/cgroup']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /:pids:\/sub$/m, 'inside its cgroup namespace the process sits in sub/');
  t.true(existsSync(sub));
  const bad = await tsrun(root, ['exec', '--cgroup', 'pids:../escape', id, 'true']);
  t.is(bad.code, 255, 'an exec failure, as runc exits');
  t.regex(bad.stderr, /must be relative and stay below/);
  if (!existsSync('/sys/module/apparmor')) {
    const aa = await tsrun(root, ['exec', '--apparmor', 'p', id, 'true']);
    t.is(aa.code, 255);
    t.regex(aa.stderr, /AppArmor is not enabled on this host/);
  }
});
