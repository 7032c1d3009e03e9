/**
 * tsrun image: OCI layouts to bundles and back, with Debian's umoci and skopeo as the reference.
 * An image umoci builds unpacks to the tree umoci unpacks (copy mode, and the overlay of the
 * store's layers); a container runs from an overlay bundle, its writes land in the upper dir, and
 * commit makes an image skopeo and umoci accept, with deletions as whiteouts and without the
 * volume's contents or the init files. Hostile layers are refused and write nothing outside.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { INIT_FILES } from '../../src/image/init-layer.js';
import { MEDIA, writeBlob } from '../../src/image/layout.js';
import { OVERLAY_ANNOTATIONS } from '../../src/plan/overlay.js';
import { getXattr } from '../../src/sys/nodes.js';
import { buildUmociImage, listTree, tarOf, umoci, writeImage } from './image-fixtures.js';
import { makeDir, needsCommand, privateRoot, requireRootAndBuild, ROOTFS, serialUnless, TSRUN, tsrun, uniqueId, unless } from './helpers.js';

const it = unless(serialUnless(requireRootAndBuild()), needsCommand('umoci', 'Debian umoci, scripts/install-deps.sh') ?? needsCommand('skopeo', 'Debian skopeo, scripts/install-deps.sh'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function image(args: string[]): Run {
  const r = spawnSync(TSRUN, ['image', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function imageOk(t: ExecutionContext, args: string[]): string {
  const r = image(args);
  t.is(r.code, 0, `tsrun image ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const isInitFile = (rel: string) => (INIT_FILES as readonly string[]).includes(rel);

let base = '';
it.before(() => {
  const dir = makeDirOnce('tsrun-images-base-');
  base = buildUmociImage(dir);
});

/** A temp dir for the whole file (before hooks have no t.teardown). */
const shared: string[] = [];
function makeDirOnce(prefix: string): string {
  const dir = execFileSync('mktemp', ['-d', `/tmp/${prefix}XXXXXX`], { encoding: 'utf8' }).trim();
  shared.push(dir);
  return dir;
}
it.after.always(() => {
  for (const d of shared) spawnSync('rm', ['-rf', d]);
});

it('copy mode: an image umoci built unpacks to the tree umoci unpacks (deleted file, replaced dir, hardlink, symlink, fifo, owners)', (t) => {
  const dir = makeDir(t, 'tsrun-images-copy-');
  umoci('unpack', '--image', `${base}:base`, join(dir, 'umoci'));
  imageOk(t, ['unpack', `${base}:base`, join(dir, 'tsrun')]);
  const want = listTree(join(dir, 'umoci', 'rootfs'), isInitFile);
  const got = listTree(join(dir, 'tsrun', 'rootfs'), isInitFile);
  t.deepEqual(got, want);
  // The cases the image was built for are really there.
  t.false('etc/app/gone' in got);
  t.deepEqual(Object.keys(got).filter((p) => p.startsWith('srv/replaced')), ['srv/replaced', 'srv/replaced/new']);
  t.is(got['srv/fifo']!.type, 'fifo');
  t.is(got['etc/link']!.content, '../srv/file');
  t.deepEqual([got['srv/file']!.uid, got['srv/file']!.gid, got['srv/file']!.mode], [1000, 1001, '751']);
  const file = statSync(join(dir, 'tsrun', 'rootfs', 'srv', 'file'));
  t.is(file.ino, statSync(join(dir, 'tsrun', 'rootfs', 'srv', 'hardlink')).ino, 'a hardlink, not a copy');
  const config = JSON.parse(readFileSync(join(dir, 'tsrun', 'config.json'), 'utf8'));
  t.deepEqual(config.process.args, ['sh']);
  t.true(config.process.env.includes('IMAGE=1'));
  t.deepEqual(config.mounts.at(-1), { destination: '/vol', type: 'bind', source: 'volumes/0-vol', options: ['rbind', 'rw'] });
});

/** Mounts the read-only overlay of `lower` on a temp dir for fn, unmounted after. */
function withOverlay<T>(t: ExecutionContext, lower: string[], fn: (merged: string) => T): T {
  const merged = makeDir(t, 'tsrun-images-merged-');
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lower.join(':')}`, merged]);
  try {
    return fn(merged);
  } finally {
    execFileSync('umount', [merged]);
  }
}

function lowerDirs(bundle: string): string[] {
  return JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')).annotations[OVERLAY_ANNOTATIONS.lower].split(':');
}

it('overlay mode: the store holds each layer in overlayfs form, and their overlay is the tree umoci unpacks', (t) => {
  const dir = makeDir(t, 'tsrun-images-ovl-');
  const store = join(dir, 'store');
  umoci('unpack', '--image', `${base}:base`, join(dir, 'umoci'));
  const bundle = join(dir, 'bundle');
  imageOk(t, ['unpack', '--overlay', '--store', store, `${base}:base`, bundle]);
  const lower = lowerDirs(bundle);
  t.is(lower[0], join(bundle, 'init'));
  t.is(lower.length, 4, 'the init layer and three image layers');
  // Layer 2 deleted a file and replaced a directory: overlayfs whiteouts in the store.
  const layer2 = lower[2]!;
  const gone = lstatSync(join(layer2, 'etc', 'app', 'gone'));
  t.true(gone.isCharacterDevice() && gone.rdev === 0, 'a 0:0 char device');
  const replaced = join(layer2, 'srv', 'replaced');
  const opaque = getXattr(replaced, 'trusted.overlay.opaque')?.toString() === 'y';
  const a = lstatSync(join(replaced, 'a'), { throwIfNoEntry: false });
  t.true(opaque || (a?.isCharacterDevice() === true && a.rdev === 0), 'the replaced directory hides the old one');
  const want = listTree(join(dir, 'umoci', 'rootfs'), isInitFile);
  const got = withOverlay(t, lower.slice(1), (merged) => listTree(merged, isInitFile));
  t.deepEqual(got, want);
  t.deepEqual(readdirSync(join(bundle, 'rootfs')), [], 'rootfs is an empty mount point');
});

it('two overlay unpacks at once share the store: each layer once, nothing half-made left; gc removes what no bundle uses', async (t) => {
  const dir = makeDir(t, 'tsrun-images-conc-');
  const store = join(dir, 'store');
  const run = (b: string) =>
    new Promise<number | null>((resolve) => {
      const c = spawn(TSRUN, ['image', 'unpack', '--overlay', '--store', store, `${base}:base`, join(dir, b)], { stdio: 'ignore' });
      c.on('exit', resolve);
    });
  t.deepEqual(await Promise.all([run('b1'), run('b2')]), [0, 0]);
  t.deepEqual(lowerDirs(join(dir, 'b1')).slice(1), lowerDirs(join(dir, 'b2')).slice(1));
  t.is(readdirSync(join(store, 'sha256')).length, 3);
  t.deepEqual(readdirSync(join(store, 'tmp')), []);
  t.deepEqual(readdirSync(join(store, 'locks')), []);
  t.is(imageOk(t, ['gc', '--store', store]), '', 'both bundles use every layer');
  spawnSync('rm', ['-rf', join(dir, 'b1')]);
  t.is(imageOk(t, ['gc', '--store', store]), '', 'b2 still uses them');
  spawnSync('rm', ['-rf', join(dir, 'b2')]);
  t.is(imageOk(t, ['gc', '--store', store]).trim().split('\n').length, 3);
  t.deepEqual(readdirSync(join(store, 'sha256')), []);
});

it("opaque whiteouts and whiteouts of whole trees, in both modes: what the later layer made is all that is seen", (t) => {
  const dir = makeDir(t, 'tsrun-images-opq-');
  const layout = writeImage(join(dir, 'oci'), [
    tarOf([{ path: 'd', type: 'Directory', mode: 0o755 }, { path: 'd/x', body: 'x' }, { path: 'd/sub/y', body: 'y' }, { path: 'gone/deep/z', body: 'z' }, { path: 'keep', body: 'k' }]),
    tarOf([{ path: 'd', type: 'Directory', mode: 0o750 }, { path: 'd/.wh..wh..opq' }, { path: 'd/new', body: 'n' }, { path: '.wh.gone' }]),
  ]);
  imageOk(t, ['unpack', `${layout}:bad`, join(dir, 'copy')]);
  const copy = listTree(join(dir, 'copy', 'rootfs'), (rel) => rel === 'etc' || rel.startsWith('etc/'));
  t.deepEqual(Object.keys(copy), ['d', 'd/new', 'keep']);
  t.is(copy.d!.mode, '750');
  imageOk(t, ['unpack', '--overlay', '--store', join(dir, 'store'), `${layout}:bad`, join(dir, 'ovl')]);
  const merged = withOverlay(t, lowerDirs(join(dir, 'ovl')).slice(1), (m) => listTree(m));
  t.deepEqual(merged, copy);
});

it('extended attributes of a layer are kept in both modes', (t) => {
  const dir = makeDir(t, 'tsrun-images-xattr-');
  const layout = writeImage(join(dir, 'oci'), [tarOf([{ path: 'f', body: 'x', xattrs: { 'user.tsrun': Buffer.from('v=1') } }, { path: 'd', type: 'Directory', mode: 0o755, xattrs: { 'user.dir': Buffer.from('d') } }])]);
  imageOk(t, ['unpack', `${layout}:bad`, join(dir, 'copy')]);
  imageOk(t, ['unpack', '--overlay', '--store', join(dir, 'store'), `${layout}:bad`, join(dir, 'ovl')]);
  for (const root of [join(dir, 'copy', 'rootfs'), lowerDirs(join(dir, 'ovl'))[1]!]) {
    t.is(getXattr(join(root, 'f'), 'user.tsrun')?.toString(), 'v=1');
    t.is(getXattr(join(root, 'd'), 'user.dir')?.toString(), 'd');
  }
});

function setProcess(bundle: string, script: string): void {
  const file = join(bundle, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.process.terminal = false;
  config.process.args = ['sh', '-c', script];
  writeFileSync(file, JSON.stringify(config));
}

/** The entries of a gzip'd layer blob, as `tar -tz` lists them. */
function layerEntries(layout: string, digest: string): string[] {
  const blob = join(layout, 'blobs', 'sha256', digest.split(':')[1]!);
  return execFileSync('tar', ['-tzf', blob], { encoding: 'utf8' }).trim().split('\n').sort();
}

function manifestOf(layout: string, ref: string): { layers: Array<{ digest: string; size: number }> } {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const desc = index.manifests.find((m: any) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  return JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', desc.digest.split(':')[1]), 'utf8'));
}

it('a container runs from an overlay bundle: writes land in the upper dir; commit makes an image skopeo and umoci accept, deletions as whiteouts, no volume or init files', async (t) => {
  const dir = makeDir(t, 'tsrun-images-run-');
  const store = join(dir, 'store');
  const bundle = join(dir, 'bundle');
  imageOk(t, ['unpack', '--overlay', '--store', store, `${base}:base`, bundle]);
  setProcess(bundle, 'echo new > /srv/new && rm /srv/hardlink && mv /srv/replaced /srv/moved && rm -rf /opt/x && mkdir /opt/x && echo again > /opt/x/other && echo vol > /vol/data && echo 10.0.0.1 h >> /etc/hosts && cat /etc/hostname');
  const root = privateRoot(t);
  const r = await tsrun(root, ['run', '-b', bundle, uniqueId('images')]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), 'bundle', 'the init layer names the host');
  t.deepEqual(readdirSync(join(bundle, 'rootfs')), [], 'nothing stays mounted on the host');
  t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(bundle));
  const upper = join(bundle, 'upper');
  t.is(readFileSync(join(upper, 'srv', 'new'), 'utf8'), 'new\n');
  const wh = lstatSync(join(upper, 'srv', 'hardlink'));
  t.true(wh.isCharacterDevice() && wh.rdev === 0);
  t.is(getXattr(join(upper, 'opt', 'x'), 'trusted.overlay.opaque')?.toString(), 'y');
  t.is(readFileSync(join(bundle, 'volumes', '0-vol', 'data'), 'utf8'), 'vol\n', 'the volume is the bundle folder');
  t.true(lowerDirs(bundle).slice(1).some((l) => existsSync(join(l, 'srv', 'hardlink'))), 'the lower layer still holds the deleted file');

  const out = join(dir, 'out');
  const digest = imageOk(t, ['commit', bundle, `${out}:v2`]).trim();
  t.regex(digest, /^sha256:[0-9a-f]{64}$/);
  const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${out}:v2`], { encoding: 'utf8' }));
  t.is(inspect.Digest, digest);
  t.is(inspect.Layers.length, 4);
  t.true(inspect.Env.includes('IMAGE=1'));
  const layer = manifestOf(out, 'v2').layers.at(-1)!;
  t.deepEqual(
    layerEntries(out, layer.digest).filter((e) => !/^(proc|sys|dev|tmp|run)\//.test(e)),
    ['etc/', 'opt/', 'opt/x/', 'opt/x/.wh..wh..opq', 'opt/x/other', 'srv/', 'srv/.wh.hardlink', 'srv/.wh.replaced', 'srv/moved/', 'srv/moved/new', 'srv/new'],
  );
  umoci('unpack', '--image', `${out}:v2`, join(dir, 'check'));
  const tree = listTree(join(dir, 'check', 'rootfs'));
  t.is(readFileSync(join(dir, 'check', 'rootfs', 'srv', 'new'), 'utf8'), 'new\n');
  t.false('srv/hardlink' in tree);
  t.deepEqual(Object.keys(tree).filter((p) => /^srv\/(moved|replaced)/.test(p)), ['srv/moved', 'srv/moved/new'], 'a renamed directory is whole in the layer (redirect_dir off)');
  t.true('srv/file' in tree, 'the other name of the hardlink stays');
  t.deepEqual(Object.keys(tree).filter((p) => p.startsWith('opt/x')), ['opt/x', 'opt/x/other']);
  t.false('vol/data' in tree, 'no volume contents');
  t.false(readFileSync(join(dir, 'check', 'rootfs', 'etc', 'hosts'), 'utf8').includes('10.0.0.1'), 'no init file');
  // The whole tree: what the container saw (its upper dir over the image's layers), but for the
  // init files, the volume and the runtime's mount points.
  const containerOnly = (rel: string) => isInitFile(rel) || /^(vol|proc|sys|dev)(\/|$)/.test(rel);
  const seen = withOverlay(t, [upper, ...lowerDirs(bundle).slice(1)], (merged) => listTree(merged, containerOnly));
  t.deepEqual(listTree(join(dir, 'check', 'rootfs'), containerOnly), seen);
});

it('deleting a large file inside the container does not shrink the image: the committed layer is a whiteout', async (t) => {
  const dir = makeDir(t, 'tsrun-images-big-');
  const layout = writeImage(join(dir, 'oci'), [
    tarOf([
      { path: 'bin', type: 'Directory', mode: 0o755 },
      { path: 'bin/busybox', mode: 0o755, body: readFileSync(join(ROOTFS, 'bin', 'busybox')) },
      { path: 'bin/sh', type: 'SymbolicLink', linkpath: 'busybox', mode: 0o777 },
      { path: 'bin/rm', type: 'SymbolicLink', linkpath: 'busybox', mode: 0o777 },
      { path: 'big', mode: 0o644, body: randomBytes(8 << 20) },
    ]),
  ], 'big');
  const before = manifestOf(layout, 'big').layers.reduce((n, l) => n + l.size, 0);
  const bundle = join(dir, 'bundle');
  imageOk(t, ['unpack', '--overlay', '--store', join(dir, 'store'), `${layout}:big`, bundle]);
  setProcess(bundle, 'rm /big');
  const r = await tsrun(privateRoot(t), ['run', '-b', bundle, uniqueId('images')]);
  t.is(r.code, 0, r.stderr);
  imageOk(t, ['commit', bundle, `${layout}:smaller`]);
  const layers = manifestOf(layout, 'smaller').layers;
  const after = layers.reduce((n, l) => n + l.size, 0);
  t.true(after > before, `the image grew (${before} -> ${after} bytes)`);
  t.true(layers.at(-1)!.size < 4096, `the new layer is a whiteout (${layers.at(-1)!.size} bytes)`);
  t.deepEqual(layerEntries(layout, layers.at(-1)!.digest), ['.wh.big']);
});

/** Unpacks a layout in both modes inside `arena/target`, expecting one error line matching re and nothing written outside. */
function expectRefused(t: ExecutionContext, layers: Buffer[], re: RegExp, extra: string[] = [], modes: string[][] = [[], ['--overlay']]): void {
  const arena = makeDir(t, 'tsrun-images-hostile-');
  const outside = join(arena, 'outside');
  mkdirSync(outside);
  const layout = writeImage(join(arena, 'oci'), layers);
  for (const mode of modes.map((m) => (m.length ? [...m, '--store', join(arena, 'store')] : m))) {
    const bundle = join(arena, `target${mode.length}`);
    const r = image(['unpack', ...mode, ...extra, `${layout}:bad`, bundle]);
    t.is(r.code, 1, `${mode.join(' ') || 'copy'}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0]!, /layer \d\/\d \(blob sha256:[0-9a-f]{64}\): tar entry "/);
    t.regex(lines[0]!, re);
    t.deepEqual(readdirSync(outside), [], 'nothing written outside the target');
    if (mode.length) {
      t.deepEqual(readdirSync(join(arena, 'store', 'tmp')), [], 'no half-extracted layer left');
      t.false(existsSync(join(bundle, 'config.json')));
    }
  }
  t.false(existsSync('/escaped-by-tsrun-test'));
}

it('hostile layers are refused with the blob, the layer and the entry named: "..", absolute paths, a symlink then a file through it, a hard link out, too many entries', (t) => {
  expectRefused(t, [tarOf([{ path: 'ok' }, { path: '../outside/x', body: 'pwned' }])], /tar entry "\.\.\/outside\/x": path "\.\.\/outside\/x" climbs out with "\.\."/);
  expectRefused(t, [tarOf([{ path: '/escaped-by-tsrun-test', body: 'pwned' }])], /path "\/escaped-by-tsrun-test" is absolute/);
  expectRefused(t, [tarOf([{ path: 'evil', type: 'SymbolicLink', linkpath: '../outside', mode: 0o777 }, { path: 'evil/x', body: 'pwned' }])], /tar entry "evil\/x": its parent "evil" is a symlink/);
  // The symlink in one layer, the file through it in the next: copy mode refuses it; in the
  // store each layer is its own directory, where evil/ is a real one (overlayfs shows it over
  // the symlink), so overlay mode has nothing to refuse.
  expectRefused(t, [tarOf([{ path: 'evil', type: 'SymbolicLink', linkpath: '../outside', mode: 0o777 }]), tarOf([{ path: 'evil/x', body: 'pwned' }])], /layer 2\/2 .*its parent "evil" is a symlink/, [], [[]]);
  expectRefused(t, [tarOf([{ path: 'hl', type: 'Link', linkpath: '../outside/y', mode: 0o644 }])], /linkpath "\.\.\/outside\/y" climbs out/);
  const arena = makeDir(t, 'tsrun-images-layered-');
  mkdirSync(join(arena, 'outside'));
  const layered = writeImage(join(arena, 'oci'), [tarOf([{ path: 'evil', type: 'SymbolicLink', linkpath: '../outside', mode: 0o777 }]), tarOf([{ path: 'evil/x', body: 'pwned' }])]);
  imageOk(t, ['unpack', '--overlay', '--store', join(arena, 'store'), `${layered}:bad`, join(arena, 'b')]);
  t.deepEqual(readdirSync(join(arena, 'outside')), []);
  expectRefused(t, [tarOf([{ path: 'd', type: 'Directory', mode: 0o755, xattrs: { 'trusted.overlay.opaque': Buffer.from('y') } }])], /tar entry "d\/": xattr trusted.overlay.opaque is overlayfs's own/);
  const many = tarOf(Array.from({ length: 150 }, (_, i) => ({ path: `f${i}` })));
  expectRefused(t, [many], /tar entry "f100": more than 100 entries/, ['--max-entries', '100']);
});

unless(it, needsCommand('zstd', 'Debian zstd'))('a zstd layer unpacks (fzstd)', (t) => {
  const dir = makeDir(t, 'tsrun-images-zstd-');
  const tar = tarOf([{ path: 'hello', body: 'zstd\n' }]);
  const layout = writeImage(join(dir, 'oci'), [tar]);
  // Recompress the one layer with zstd and point the manifest at it.
  const manifestFile = (m: any) => join(layout, 'blobs', 'sha256', m.digest.split(':')[1]);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(manifestFile(index.manifests[0]), 'utf8'));
  const zst = execFileSync('zstd', ['-q', '-c'], { input: tar });
  manifest.layers = [writeBlob(layout, zst, MEDIA.layerZstd)];
  index.manifests[0] = { ...writeBlob(layout, JSON.stringify(manifest), MEDIA.manifest), annotations: index.manifests[0].annotations };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
  imageOk(t, ['unpack', `${layout}:bad`, join(dir, 'b')]);
  t.is(readFileSync(join(dir, 'b', 'rootfs', 'hello'), 'utf8'), 'zstd\n');
});

it('a blob that does not match its digest is refused before anything is extracted', (t) => {
  const dir = makeDir(t, 'tsrun-images-digest-');
  const layout = writeImage(join(dir, 'oci'), [tarOf([{ path: 'a', body: 'x' }])]);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', index.manifests[0].digest.split(':')[1]), 'utf8'));
  const blob = join(layout, 'blobs', 'sha256', manifest.layers[0].digest.split(':')[1]);
  const bytes = readFileSync(blob);
  bytes[bytes.length - 5] ^= 0xff;
  writeFileSync(blob, bytes);
  const r = image(['unpack', `${layout}:bad`, join(dir, 'b')]);
  t.is(r.code, 1);
  t.regex(r.stderr, /layer 1\/1 \(blob sha256:[0-9a-f]{64}\) sha256:[0-9a-f]{64}: content does not match its digest/);
  t.deepEqual(readdirSync(join(dir, 'b', 'rootfs')), []);
});

unless(it, needsCommand('script', 'Debian bsdutils'))('progress on stderr when it is a terminal, nothing when it is not', (t) => {
  const dir = makeDir(t, 'tsrun-images-progress-');
  const quiet = image(['unpack', `${base}:base`, join(dir, 'quiet')]);
  t.is(quiet.stderr, '');
  const log = join(dir, 'typescript');
  execFileSync('script', ['-qec', `${TSRUN} image unpack ${base}:base ${join(dir, 'tty')}`, log], { stdio: 'ignore' });
  t.regex(readFileSync(log, 'utf8'), /\r\x1b\[Klayer 1\/3 \(blob sha256:[0-9a-f]{64}\): \d+ entries/);
});

it('tsrun image --help documents both modes and the layer store', (t) => {
  const r = spawnSync(TSRUN, ['image', '--help'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  for (const s of ['unpack [--overlay] LAYOUT[:REF] BUNDLE', 'commit BUNDLE LAYOUT:REF', 'copy (default)', '--overlay', '/var/lib/tsrun/layers', 'gc']) t.true(r.stdout.includes(s), s);
});
