/**
 * Mount propagation on tsrun and runc side by side: the recursive rootfsPropagation values Docker
 * writes, and an rshared volume of a shared host directory propagating both ways, while the
 * default keeps container mounts from reaching the host.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { makeBundle, makeDir, privateRoot, uniqueId, waitFor } from './helpers.js';
import { runContainer, sideBySide } from './runc-parity.js';

/** The mountinfo line of the container's `point`. */
const mountinfoOf = (point: string) => `awk '$5 == "${point}"' /proc/self/mountinfo`;

/** The optional fields (shared:N, master:N, unbindable) of a mountinfo line. */
function propagationFields(line: string): string[] {
  const fields = line.trim().split(' ');
  return fields.slice(6, fields.indexOf('-'));
}

/** The host's mountinfo line of `point`. */
function hostMountinfo(point: string): string {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === point) ?? '';
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** A host directory bound onto itself and made shared, unmounted (with all below) at teardown. */
function sharedHostDir(t: ExecutionContext): string {
  const dir = makeDir(t, 'tsrun-shared-');
  for (const sub of ['from-host', 'from-container']) mkdirSync(join(dir, sub));
  run('mount', ['--bind', dir, dir]);
  // Registered after makeDir's removal, so it runs first (ava runs teardowns last in, first out).
  t.teardown(() => void spawnSync('umount', ['-R', '-l', dir]));
  run('mount', ['--make-shared', dir]);
  return dir;
}

/** The container may mount: CAP_SYS_ADMIN in every set, no seccomp filter. */
function allowMount(s: any): void {
  for (const set of ['bounding', 'effective', 'permitted']) s.process.capabilities[set].push('CAP_SYS_ADMIN');
  delete s.linux.seccomp;
}

// runbindable is left out: runc cannot bind an unbindable rootfs onto itself (EINVAL); tsrun
// applies it after pivot_root, which the unit tests of the plan check.
for (const prop of ['rslave', 'rprivate', 'rshared']) {
  sideBySide(`rootfsPropagation "${prop}" is accepted`, async (t, rt) => {
    const root = privateRoot(t);
    const bundle = makeBundle(t, (s) => {
      s.linux.rootfsPropagation = prop;
      s.process.args = ['sh', '-c', mountinfoOf('/')];
    });
    const r = await runContainer(t, rt, root, bundle, uniqueId('rprop'));
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, / \/ /);
    // Not shared with anything: no container mount reaches the host. (Under rshared, runc leaves
    // the new root private and tsrun shares it; either way nothing of the host is a peer.)
    if (prop !== 'rshared') t.false(propagationFields(r.stdout).some((f) => f.startsWith('shared:')), r.stdout);
  });
}

/** A script that mounts a tmpfs under the volume, then waits for the host's mount to show up. */
const BOTH_WAYS_SCRIPT = [
  'mount -t tmpfs ctr /mnt/vol/from-container && touch /mnt/vol/from-container/ctr-file && echo mounted',
  'i=0; while [ ! -e /mnt/vol/from-host/host-file ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done',
  'test -e /mnt/vol/from-host/host-file && echo host-mount-seen',
  mountinfoOf('/mnt/vol'),
].join('; ');

for (const prop of ['rshared', 'shared']) {
  sideBySide(`rootfsPropagation "${prop}" with an rshared volume of a shared host directory: mounts propagate both ways`, async (t, rt) => {
    const root = privateRoot(t);
    const dir = sharedHostDir(t);
    const hostGroup = propagationFields(hostMountinfo(dir)).find((f) => f.startsWith('shared:'));
    t.truthy(hostGroup, hostMountinfo(dir));
    const bundle = makeBundle(t, (s) => {
      s.linux.rootfsPropagation = prop;
      s.mounts.push({ destination: '/mnt/vol', type: 'bind', source: dir, options: ['rbind', 'rshared'] });
      allowMount(s);
      s.process.args = ['sh', '-c', BOTH_WAYS_SCRIPT];
    });
    const running = runContainer(t, rt, root, bundle, uniqueId('rshared'));
    const ctrFile = join(dir, 'from-container', 'ctr-file');
    const reached = await waitFor(() => existsSync(ctrFile), 10_000, 'the container mount on the host').then(
      () => true,
      () => false,
    );
    run('mount', ['-t', 'tmpfs', 'host', join(dir, 'from-host')]);
    writeFileSync(join(dir, 'from-host', 'host-file'), '');
    const r = await running;
    t.is(r.code, 0, r.stderr);
    t.true(reached, 'a mount made in the container reaches the host');
    const [mounted, seen, line] = r.stdout.trim().split('\n');
    t.is(mounted, 'mounted');
    t.is(seen, 'host-mount-seen');
    // The volume is a peer in the host directory's group, not a slave of it.
    t.deepEqual(propagationFields(line ?? ''), [hostGroup], line);
  });
}

for (const options of [['rbind'], ['rbind', 'rshared']]) {
  sideBySide(`without rootfsPropagation, a mount made in a volume (${options.join(',')}) of a shared host directory stays in the container`, async (t, rt) => {
    const root = privateRoot(t);
    const dir = sharedHostDir(t);
    const bundle = makeBundle(t, (s) => {
      s.mounts.push({ destination: '/mnt/vol', type: 'bind', source: dir, options });
      allowMount(s);
      s.process.args = ['sh', '-c', `mount -t tmpfs ctr /mnt/vol/from-container && touch /mnt/vol/from-container/ctr-file && ${mountinfoOf('/mnt/vol')}`];
    });
    const r = await runContainer(t, rt, root, bundle, uniqueId('rslave'));
    t.is(r.code, 0, r.stderr);
    t.false(existsSync(join(dir, 'from-container', 'ctr-file')));
    // A slave of the host's group (the root is rslave), never one of its peers.
    const hostGroup = propagationFields(hostMountinfo(dir)).find((f) => f.startsWith('shared:'));
    t.false(propagationFields(r.stdout).includes(hostGroup!), r.stdout);
    t.true(propagationFields(r.stdout).includes(hostGroup!.replace('shared', 'master')), r.stdout);
  });
}
