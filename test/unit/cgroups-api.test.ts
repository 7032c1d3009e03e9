/**
 * The cgroup layer's boundary: code outside src/cgroups reaches it through index.ts, or one of
 * the three files index.ts names for the frequent commands, which stay free of the managers; and
 * what the API offers delete and a rootless create behaves as the managers' own calls.
 */
import test from 'ava';
import * as fs from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManager, detectFromRoot, removeContainerCgroup } from '../../src/cgroups/index.js';
import { fakeV2 } from './cgroups-fake.js';

const SRC = resolve(fileURLToPath(import.meta.url), '../../../../src');
const CGROUPS = join(SRC, 'cgroups');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The relative modules a source file imports or re-exports (type-only imports too), as .ts paths. */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)]
    .map((m) => resolve(dirname(file), (m[1] ?? m[2])!).replace(/\.js$/, '.ts'));
}

/** index.ts, and the entries of it that load no manager (index.ts says why they have their own files). */
const LIGHT = ['frozen.ts', 'remove.ts', 'warmup.ts'];

test('outside src/cgroups, only index.ts and its light entries of the cgroup layer are imported', (t) => {
  const doors = new Set(['index.ts', ...LIGHT].map((f) => join(CGROUPS, f)));
  const offenders = sourceFiles(SRC)
    .filter((f) => !f.startsWith(CGROUPS + '/'))
    .flatMap((f) => relativeImports(f).filter((m) => m.startsWith(CGROUPS + '/') && !doors.has(m)).map((m) => `${relative(SRC, f)} -> ${relative(SRC, m)}`));
  t.deepEqual(offenders, []);
});

test('the light entries load none of the managers, controllers, eBPF filter or stats readers', (t) => {
  for (const entry of LIGHT) {
    const seen = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const m of relativeImports(f)) if (m.startsWith(CGROUPS + '/')) walk(m);
    };
    walk(join(CGROUPS, entry));
    const heavy = [...seen].map((f) => relative(CGROUPS, f)).filter((f) => /^(v1|v2|ebpf)\/|^(manager|stats|index)\.ts$/.test(f));
    t.deepEqual(heavy, [], entry);
  }
});

test('removeContainerCgroup: the container\'s cgroup and its sub-cgroups go, the level above and the record stay', (t) => {
  const tree = fakeV2();
  t.teardown(() => tree.cleanup());
  fs.mkdirSync(`${tree.root}/a`);
  const m = createManager({ id: 'c1', cgroupsPath: '/a/b', layout: detectFromRoot(tree.root, tree.fs), fs: tree.fs });
  m.create();
  fs.mkdirSync(`${tree.root}/a/b/inner`);
  const stored = m.toJSON();
  removeContainerCgroup(stored, { fs: tree.fs });
  t.false(fs.existsSync(`${tree.root}/a/b`));
  t.true(fs.existsSync(`${tree.root}/a`));
  t.deepEqual(stored.created, [`${tree.root}/a/b`], 'the record passed in is not changed');
  t.throws(() => removeContainerCgroup({ version: 2 }), { message: /stored cgroup description is not one tsrun wrote/ });
});

test('notDelegated: a writable tree is delegated, before and after the cgroup exists', (t) => {
  const tree = fakeV2();
  t.teardown(() => tree.cleanup());
  const m = createManager({ id: 'c1', cgroupsPath: '/x/y', layout: detectFromRoot(tree.root, tree.fs), fs: tree.fs });
  t.is(m.notDelegated(), undefined);
  m.create();
  t.is(m.notDelegated(), undefined);
});
