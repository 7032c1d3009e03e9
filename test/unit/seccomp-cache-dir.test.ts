import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { SeccompCache, defaultSeccompCacheDir, isPrivateDir } from '../../src/seccomp/cache.js';

const home = () => '/home/u';

test('the seccomp cache lives outside the state root: /var/cache for root, the XDG cache dir for a user', (t) => {
  t.is(defaultSeccompCacheDir(0, {}, home), '/var/cache/tsrun/seccomp');
  t.is(defaultSeccompCacheDir(1000, { XDG_CACHE_HOME: '/x/cache', HOME: '/h' }, home), '/x/cache/tsrun/seccomp');
  t.is(defaultSeccompCacheDir(1000, { HOME: '/h' }, home), '/h/.cache/tsrun/seccomp');
  t.is(defaultSeccompCacheDir(1000, { XDG_CACHE_HOME: 'relative' }, home), '/home/u/.cache/tsrun/seccomp', 'a relative XDG_CACHE_HOME is ignored');
});

test('the cache dir is created 0700, and one others can write is neither read nor written', (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cache-dir-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const dir = path.join(base, 'a', 'seccomp');
  const cache = new SeccompCache(dir);
  const key = 'a'.repeat(64);
  const entry = { program: new Uint8Array(8), warnings: [], libseccomp: { version: '2.5.4' } };
  cache.put(key, entry);
  t.is(fs.statSync(dir).mode & 0o777, 0o700);
  t.true(isPrivateDir(dir));
  t.truthy(cache.get(key));
  fs.chmodSync(dir, 0o777);
  t.false(isPrivateDir(dir));
  t.is(cache.get(key), undefined, 'an entry in a dir others can write is not trusted');
  t.throws(() => cache.put(key, entry), { message: /not a directory of this user closed to others/ });
});
