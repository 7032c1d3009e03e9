/**
 * A bind source the container's root cannot reach (under a host-root 0700 directory) still mounts
 * in a user namespace: the runtime opens it with the host's privileges, as runc does; on tsrun and
 * on runc side by side.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, uniqueId } from './helpers.js';
import { runContainer, sideBySide } from './runc-parity.js';

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

sideBySide('a bind source under a root-only 0700 directory mounts in a user namespace', async (t, rt) => {
  const root = privateRoot(t);
  // mkdtemp makes it 0700, owned by host root: uid 100000 cannot search it.
  const inaccessible = makeDir(t, 'tsrun-source-inaccessible-');
  mkdirSync(join(inaccessible, 'dir'), { mode: 0o755 });
  writeFileSync(join(inaccessible, 'dir', 'file-in-dir'), 'x');
  const bundle = makeBundle(t, (s) => {
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = MAP;
    s.linux.gidMappings = MAP;
    s.mounts.push({ destination: '/home', type: 'bind', source: join(inaccessible, 'dir'), options: ['bind'] });
    s.process.args = ['ls', '/home'];
  });
  const r = await runContainer(t, rt, root, bundle, uniqueId('srcinacc'));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'file-in-dir\n');
});
