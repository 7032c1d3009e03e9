/** What a user checks from inside a container made from `tsrun spec`'s default config. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, requireRootAndBuild, serialUnless, tsrun, uniqueId, REPO } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

/** Runs a shell script in a default-config container and returns its stdout. */
async function inside(t: any, script: string, patch: (s: any) => void = () => undefined): Promise<string> {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['sh', '-c', script];
    patch(s);
  });
  const r = await tsrun(root, ['run', '-b', bundle, uniqueId('in')]);
  t.is(r.code, 0, r.stderr);
  return r.stdout;
}

const field = (status: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();

it('the process is pid 1 with its own hostname', async (t) => {
  const out = await inside(t, 'echo $$; hostname');
  t.is(out, '1\ntsrun\n');
});

it('it has its own mount table with proc, sysfs, devpts, mqueue, tmpfs /dev and a read-only root', async (t) => {
  const mounts = await inside(t, 'cat /proc/self/mounts');
  const byDest = new Map(mounts.trim().split('\n').map((l) => { const f = l.split(' '); return [f[1]!, f]; }));
  t.is(byDest.get('/proc')?.[2], 'proc');
  t.is(byDest.get('/sys')?.[2], 'sysfs');
  t.regex(byDest.get('/sys')?.[3] ?? '', /\bro\b/);
  t.is(byDest.get('/dev')?.[2], 'tmpfs');
  t.is(byDest.get('/dev/pts')?.[2], 'devpts');
  t.is(byDest.get('/dev/mqueue')?.[2], 'mqueue');
  t.is(byDest.get('/dev/shm')?.[2], 'tmpfs');
  t.regex(byDest.get('/')?.[3] ?? '', /^ro\b/);
  t.false(mounts.includes('/work'), 'no host mount leaks in');
});

it('default devices and links exist in /dev', async (t) => {
  const out = await inside(t, 'ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; for l in fd stdin ptmx; do readlink /dev/$l; done; echo x > /dev/null && echo null-ok');
  for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) t.regex(out, new RegExp(`^c.* /dev/${d}$`, 'm'));
  t.regex(out, /\/proc\/self\/fd\n\/proc\/self\/fd\/0\npts\/ptmx\n/);
  t.regex(out, /null-ok/);
});

it('masked paths are masked and /proc/sys is read-only', async (t) => {
  const out = await inside(t, 'wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname 2>&1 || echo ro-refused');
  const [timer, firmware] = out.split('\n');
  t.is(timer!.trim(), '0');
  t.is(firmware!.trim(), '0');
  t.regex(out, /Read-only file system|ro-refused/);
});

it('capabilities, no_new_privs and ids are those of the config', async (t) => {
  const status = await inside(t, 'cat /proc/self/status');
  // CAP_KILL(5), CAP_NET_BIND_SERVICE(10), CAP_AUDIT_WRITE(29)
  const expected = ((1n << 5n) | (1n << 10n) | (1n << 29n)).toString(16).padStart(16, '0');
  t.is(field(status, 'CapBnd'), expected);
  t.is(field(status, 'CapPrm'), expected);
  t.is(field(status, 'CapEff'), expected);
  t.is(field(status, 'CapInh'), '0000000000000000');
  t.is(field(status, 'CapAmb'), '0000000000000000');
  t.is(field(status, 'NoNewPrivs'), '1');
  t.is(field(status, 'Uid'), '0\t0\t0\t0');
});

it('a non-root user gets its uid, gid and groups, and (as the kernel does at exec) only ambient capabilities', async (t) => {
  const status = await inside(t, 'cat /proc/self/status', (s) => {
    s.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20] };
  });
  const expected = ((1n << 5n) | (1n << 10n) | (1n << 29n)).toString(16).padStart(16, '0');
  t.is(field(status, 'CapBnd'), expected);
  t.is(field(status, 'CapPrm'), '0000000000000000');
  t.is(field(status, 'CapEff'), '0000000000000000');
  t.is(field(status, 'Uid'), '1000\t1000\t1000\t1000');
  t.is(field(status, 'Gid'), '1000\t1000\t1000\t1000');
  t.is(field(status, 'Groups'), '10 20');
});

it('ambient and inheritable capabilities are set when asked', async (t) => {
  const status = await inside(t, 'cat /proc/self/status', (s) => {
    const caps = ['CAP_NET_BIND_SERVICE', 'CAP_CHOWN'];
    s.process.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: ['CAP_NET_BIND_SERVICE'] };
  });
  t.is(field(status, 'CapAmb'), (1n << 10n).toString(16).padStart(16, '0'));
  t.is(field(status, 'CapInh'), ((1n << 10n) | 1n).toString(16).padStart(16, '0'));
});

it('rlimits, umask and cwd are applied', async (t) => {
  const out = await inside(t, 'ulimit -n; ulimit -Hn; umask; pwd', (s) => {
    s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }];
    s.process.user = { uid: 0, gid: 0, umask: 0o027 };
    s.process.cwd = '/tmp';
  });
  t.is(out, '321\n654\n0027\n/tmp\n');
});

it('the environment and args are the config\'s', async (t) => {
  const out = await inside(t, 'echo "$FOO|$PATH"', (s) => s.process.env.push('FOO=bar baz'));
  t.is(out, 'bar baz|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
});

it('oomScoreAdj, sysctl and domainname are applied', async (t) => {
  const out = await inside(t, 'cat /proc/self/oom_score_adj; cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/domainname', (s) => {
    s.process.oomScoreAdj = 500;
    s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    s.domainname = 'example.test';
  });
  t.is(out, '500\n1\nexample.test\n');
});

it('--no-pivot works', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['sh', '-c', 'echo $$; ls /']));
  const r = await tsrun(root, ['run', '--no-pivot', '-b', bundle, uniqueId('nopivot')]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^1\n/);
  t.regex(r.stdout, /\bbin\b/);
});

it('bundles/volume: a read-only rootfs with a host dir bound read-write', async (t) => {
  const root = privateRoot(t);
  const bundle = join(REPO, 'bundles', 'volume');
  const r = await tsrun(root, ['run', '-b', bundle, uniqueId('vol')]);
  t.is(r.code, 0, r.stderr);
  const files = readdirSync(join(bundle, 'data'));
  t.true(files.length > 0, 'the container wrote into the host directory');
  t.true(existsSync(join(bundle, 'data', 'hello.txt')));
  t.true(readFileSync(join(bundle, 'data', 'hello.txt'), 'utf8').length > 0);
  void makeDir;
});

it('the container gets a session keyring of its own, unless --no-new-keyring', async (t) => {
  for (const [flags, expect] of [[[], '1'], [['--no-new-keyring'], '0']] as const) {
    const root = privateRoot(t);
    const id = uniqueId('keys');
    const bundle = makeBundle(t, (s) => {
      s.linux.maskedPaths = s.linux.maskedPaths.filter((p: string) => p !== '/proc/keys');
      s.process.args = ['sh', '-c', `grep -c " ${id}: " /proc/keys; true`];
    });
    const r = await tsrun(root, ['run', ...flags, '-b', bundle, id]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.trim(), expect, flags.join(' ') || 'default');
  }
});

it('rootfsPropagation shared makes the container root a shared mount', async (t) => {
  const out = await inside(t, "awk '$5 == \"/\"' /proc/self/mountinfo", (s) => (s.linux.rootfsPropagation = 'shared'));
  t.regex(out, / shared:\d+/);
});
