/**
 * A startContainer hook runs as the container's process, beside runc (which runs it from the init
 * after the init took the process's identity): the same user, groups, capabilities,
 * no_new_privs, seccomp mode and cgroup as the process, and the container's root, with or without
 * a mount namespace. A binary the image put at the hook's path gets no more than the process.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { TSRUN, makeBundle, makeDir, privateRoot, requireRootAndBuild, serialUnless, uniqueId } from './helpers.js';
import { runContainer, sideBySide, type Runtime } from './runc-parity.js';

const IDENTITY = "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status; cat /proc/self/cgroup; test -x /bin/busybox && echo container-root";

/** Runs a container whose startContainer hook and process both print IDENTITY; returns [hook's, process's]. */
async function hookAndProcess(t: ExecutionContext, rt: Runtime, patch: (s: any) => void): Promise<[string, string]> {
  const out = makeDir(t, 'tsrun-start-hook-');
  chmodSync(out, 0o777);
  const bundle = makeBundle(t, (s) => {
    s.mounts.push({ destination: '/hookout', type: 'bind', source: out, options: ['rbind', 'rw'] });
    s.process.user = { uid: 1000, gid: 1000, additionalGids: [2000] };
    s.process.noNewPrivileges = true;
    s.process.args = ['sh', '-c', IDENTITY];
    s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', `(${IDENTITY}) > /hookout/identity`] }] };
    patch(s);
  });
  const r = await runContainer(t, rt, privateRoot(t), bundle, uniqueId('start-hook'));
  t.is(r.code, 0, r.stderr);
  return [readFileSync(join(out, 'identity'), 'utf8'), r.stdout];
}

sideBySide('a startContainer hook runs with the process\'s user, groups, capabilities, no_new_privs, seccomp and cgroup', async (t, rt) => {
  const [hook, proc] = await hookAndProcess(t, rt, () => undefined);
  t.regex(hook, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
  t.regex(hook, /^Seccomp:\s+2$/m);
  t.regex(hook, /container-root/);
  t.is(hook, proc);
});

// tsrun only: runc leaves such a container's mounts in its caller's namespace (docs/design.md).
serialUnless(requireRootAndBuild())('no mount namespace: a startContainer hook runs in the container\'s root, as its process', async (t) => {
  const [hook, proc] = await hookAndProcess(t, { name: 'tsrun', bin: TSRUN }, (s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
  });
  t.regex(hook, /container-root/);
  t.is(hook, proc);
});
