/**
 * Mount behaviours runc's own integration tests rely on, on tsrun and runc side by side: a
 * read-only /dev (populated first, remounted read-only after).
 */
import { makeBundle, privateRoot, uniqueId } from './helpers.js';
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
