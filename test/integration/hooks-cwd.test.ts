/**
 * createContainer hooks start in the container's rootfs (runc's behaviour, which ldconfig-style
 * hooks writing relative paths rely on), on tsrun and on runc side by side.
 */
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { eachRuntime, makeBundle, makeDir, privateRoot, requireRootAndBuild, ROOTFS, runRuntime, serialUnless, uniqueId } from './helpers.js';

eachRuntime(serialUnless(requireRootAndBuild()), (rt, it) => {
  it(`createContainer hooks run with the rootfs as working directory, in the container's mount namespace (${rt.name})`, async (t) => {
    const root = privateRoot(t);
    const out = makeDir(t, 'tsrun-hookcwd-');
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['true'];
      // bin/busybox, a relative path that resolves in the rootfs only when the hook starts there.
      s.hooks = {
        createContainer: [{
          path: '/bin/sh',
          args: ['sh', '-c', `pwd > ${out}/cwd; readlink /proc/self/ns/mnt > ${out}/mnt; test -e ./bin/busybox && echo found > ${out}/relative`],
        }],
      };
    });
    const id = uniqueId('hookcwd');
    const c = await runRuntime(rt.bin, root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.teardown(() => runRuntime(rt.bin, root, ['delete', '--force', id]).then(() => undefined));
    t.is(c.code, 0, c.stderr);
    t.is(readFileSync(join(out, 'cwd'), 'utf8').trim(), realpathSync(ROOTFS));
    t.true(existsSync(join(out, 'relative')), 'a relative path resolved in the rootfs');
    const st = await runRuntime(rt.bin, root, ['state', id]);
    t.is(readFileSync(join(out, 'mnt'), 'utf8').trim(), readlinkSync(`/proc/${JSON.parse(st.stdout).pid}/ns/mnt`));
  });
});
