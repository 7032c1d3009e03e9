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
