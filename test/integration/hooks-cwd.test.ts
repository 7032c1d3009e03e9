/**
 * createContainer hooks start in the container's rootfs (runc's behaviour, which ldconfig-style
 * hooks writing relative paths rely on), on tsrun and on runc side by side.
 */
import test from 'ava';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, makeDir, privateRoot, requireRootAndBuild, ROOTFS, runRuntime, RUNTIMES, uniqueId } from './helpers.js';

const skip = requireRootAndBuild();

for (const rt of RUNTIMES) {
  const title = `createContainer hooks run with the rootfs as working directory, in the container's mount namespace (${rt.name})`;
  const why = skip ?? (rt.bin ? undefined : `${rt.name} is not installed`);
  if (why) {
    test.skip(`${title} (skipped: ${why})`, () => undefined);
    continue;
  }
  test.serial(title, async (t) => {
    const root = privateRoot(t);
    const out = makeDir(t, 'tsrun-hookcwd-');
    const bundle = makeBundle(t, (s) => {
      s.process.args = ['true'];
      // A relative path that exists only in the rootfs: bin/busybox (the host has /bin/busybox
      // too, so the hook also compares its cwd).
      s.hooks = {
        createContainer: [{
          path: '/bin/sh',
          args: ['sh', '-c', `pwd > ${out}/cwd; readlink /proc/self/ns/mnt > ${out}/mnt; test -e ./bin/busybox && echo found > ${out}/relative`],
        }],
      };
    });
    const id = uniqueId('hookcwd');
    const c = await runRuntime(rt.bin!, root, ['create', '-b', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.teardown(() => runRuntime(rt.bin!, root, ['delete', '--force', id]).then(() => undefined));
    t.is(c.code, 0, c.stderr);
    t.is(readFileSync(join(out, 'cwd'), 'utf8').trim(), realpathSync(ROOTFS));
    t.true(existsSync(join(out, 'relative')), 'a relative path resolved in the rootfs');
    const st = await runRuntime(rt.bin!, root, ['state', id]);
    const pid = JSON.parse(st.stdout).pid as number;
    t.is(readFileSync(join(out, 'mnt'), 'utf8').trim(), readlinkSync(`/proc/${pid}/ns/mnt`));
  });
}
