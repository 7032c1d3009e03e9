/** Namespaces joined by path, and the time namespace with its offsets. */
import { readFileSync, readlinkSync } from 'node:fs';
import { makeBundle, privateRoot, requireRootAndBuild, serialUnless, stateOf, tsrun, uniqueId } from './helpers.js';

const it = serialUnless(requireRootAndBuild());

it('a container joins another one\'s network, uts and ipc namespaces by path', async (t) => {
  const root = privateRoot(t);
  const first = makeBundle(t, (s) => {
    s.process.args = ['sleep', '1000'];
    s.hostname = 'shared-uts';
  });
  const a = uniqueId('nsa');
  const ra = await tsrun(root, ['run', '-d', '-b', first, a], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.is(ra.code, 0, ra.stderr);
  const { pid } = await stateOf(root, a);
  const second = makeBundle(t, (s) => {
    s.process.args = ['sh', '-c', 'hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'];
    delete s.hostname;
    s.linux.namespaces = s.linux.namespaces.map((n: any) => (['network', 'uts', 'ipc'].includes(n.type) ? { type: n.type, path: `/proc/${pid}/ns/${n.type === 'network' ? 'net' : n.type}` } : n));
  });
  const r = await tsrun(root, ['run', '-b', second, uniqueId('nsb')]);
  t.is(r.code, 0, r.stderr);
  const [host, net, ipc] = r.stdout.trim().split('\n');
  t.is(host, 'shared-uts');
  t.is(net, readlinkSync(`/proc/${pid}/ns/net`));
  t.is(ipc, readlinkSync(`/proc/${pid}/ns/ipc`));
});

it('a new time namespace applies linux.timeOffsets', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    s.process.args = ['cat', '/proc/uptime'];
    s.linux.namespaces.push({ type: 'time' });
    s.linux.timeOffsets = { boottime: { secs: 86400 * 365, nanosecs: 0 } };
  });
  const r = await tsrun(root, ['run', '-b', bundle, uniqueId('time')]);
  t.is(r.code, 0, r.stderr);
  const inside = Number(r.stdout.split(' ')[0]);
  const outside = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  t.true(inside - outside > 86400 * 364, `uptime inside ${inside}, outside ${outside}`);
});

it('a cgroup namespace hides the host cgroup path', async (t) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => (s.process.args = ['cat', '/proc/self/cgroup']));
  const r = await tsrun(root, ['run', '-b', bundle, uniqueId('cgns')]);
  t.is(r.code, 0, r.stderr);
  // Inside its own cgroup namespace, the container sees itself at the root of every hierarchy.
  for (const line of r.stdout.trim().split('\n')) t.regex(line, /:\/$/, line);
});
