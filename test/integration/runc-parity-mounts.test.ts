/**
 * Mount behaviours runc's own integration tests rely on, on tsrun and runc side by side: a
 * read-only /dev (populated first, remounted read-only after), and the recursive mount attribute
 * options (rro, rnosuid, rexec ...) reaching the submounts of a bind.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { makeBundle, makeDir, privateRoot, uniqueId } from './helpers.js';
import { runContainer, sideBySide } from './runc-parity.js';

sideBySide('a read-only /dev tmpfs is populated, then read-only', async (t, rt) => {
  const root = privateRoot(t);
  const bundle = makeBundle(t, (s) => {
    s.mounts.find((m: { destination: string }) => m.destination === '/dev').options.push('ro');
    s.process.args = ['sh', '-c', [
      `grep -q '^tmpfs /dev tmpfs ro,' /proc/self/mounts && echo dev-ro`,
      'touch /dev/new 2>/dev/null || echo no-new-file',
      `grep -q ' /dev/pts devpts ' /proc/self/mounts && echo pts`,
      `grep -q ' /dev/shm tmpfs rw,' /proc/self/mounts && echo shm-rw`,
      'test -c /dev/null && echo x > /dev/null && echo null',
      'test -L /dev/ptmx && test -L /dev/fd && echo links',
    ].join('; ')];
  });
  const r = await runContainer(t, rt, root, bundle, uniqueId('devro'));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'dev-ro\nno-new-file\npts\nshm-rw\nnull\nlinks\n');
});

/** A host directory with a tmpfs submount (mounted with `subOptions`), unmounted at teardown. */
function dirWithSubmount(t: ExecutionContext, subOptions: string): string {
  const src = makeDir(t, 'tsrun-rattr-');
  const sub = join(src, 'sub');
  mkdirSync(sub);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', subOptions, 'tmpfs', sub], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`mount tmpfs on ${sub}: ${m.stderr}`);
  // Registered after makeDir's removal, so it runs first (ava runs teardowns last in, first out).
  t.teardown(() => void spawnSync('umount', ['-l', sub]));
  return src;
}

/** The mount options of `point` as the container's mountinfo shows them. */
const mountOptionsOf = (point: string) => `awk '$5 == "${point}" { print $6 }' /proc/self/mountinfo`;

sideBySide('rro makes a bind and its submounts read-only', async (t, rt) => {
  const root = privateRoot(t);
  const src = dirWithSubmount(t, 'mode=777');
  const bundle = makeBundle(t, (s) => {
    s.mounts.push({ destination: '/mnt/src', type: 'bind', source: src, options: ['rbind', 'rro'] });
    s.process.args = ['sh', '-c', [
      'touch /mnt/src/a 2>/dev/null && echo top-rw || echo top-ro',
      'touch /mnt/src/sub/b 2>/dev/null && echo sub-rw || echo sub-ro',
    ].join('; ')];
  });
  const r = await runContainer(t, rt, root, bundle, uniqueId('rro'));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'top-ro\nsub-ro\n');
});

sideBySide('rnosuid, rnodev and rexec set and clear attributes of every submount', async (t, rt) => {
  const root = privateRoot(t);
  const src = dirWithSubmount(t, 'noexec');
  const bundle = makeBundle(t, (s) => {
    s.mounts.push({ destination: '/mnt/src', type: 'bind', source: src, options: ['rbind', 'rnosuid', 'rnodev', 'rexec'] });
    s.process.args = ['sh', '-c', mountOptionsOf('/mnt/src/sub')];
  });
  const r = await runContainer(t, rt, root, bundle, uniqueId('rattr'));
  t.is(r.code, 0, r.stderr);
  const opts = r.stdout.trim().split(',');
  t.true(opts.includes('nosuid') && opts.includes('nodev'), r.stdout);
  t.false(opts.includes('noexec'), r.stdout);
  t.true(opts.includes('rw'), r.stdout);
});
