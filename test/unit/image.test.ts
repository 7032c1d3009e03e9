/**
 * The pure parts of src/image: image references, tar entry paths, User resolution, the
 * conversion of an image config, what commit leaves out, the overlay annotations the planner
 * reads, the tar headers commit writes (read back by node-tar's parser), and manifest selection
 * in a layout written to a temp dir.
 */
import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { entryComponents, paxXattrs } from '../../src/image/apply.js';
import { excludedPaths } from '../../src/image/commit.js';
import { layerCompression } from '../../src/image/compression.js';
import { convertImageConfig, imageVolumes, mergeEnv } from '../../src/image/convert.js';
import { MEDIA, sha256Digest, writeBlob, ensureLayout } from '../../src/image/layout.js';
import { parseImageRef, selectManifest, REF_ANNOTATION } from '../../src/image/select.js';
import { defaultStoreDir } from '../../src/image/store.js';
import { TAR_END, entryHeader, padding } from '../../src/image/tar-write.js';
import { resolveUser } from '../../src/image/user.js';
import { OVERLAY_ANNOTATIONS, overlayRoot } from '../../src/plan/overlay.js';
import type { ImageConfig, ImageIndex } from '../../src/spec/types.generated.js';
import { Op } from '../../src/executor/protocol.js';
import { buildCreatePlan } from '../../src/plan/index.js';
import { ctx as planCtx, spec as planSpec } from './plan-fixtures.js';

test('LAYOUT[:REF]: the last colon splits when no slash follows it', (t) => {
  t.deepEqual(parseImageRef('img:v1'), { layout: 'img', ref: 'v1' });
  t.deepEqual(parseImageRef('/a:b/img'), { layout: '/a:b/img' });
  t.deepEqual(parseImageRef('/a:b/img:latest'), { layout: '/a:b/img', ref: 'latest' });
  t.deepEqual(parseImageRef('img'), { layout: 'img' });
  t.throws(() => parseImageRef('img:'), { message: /the ref after ":" is empty/ });
});

test('tar entry paths: relative components; absolute and ".." refused', (t) => {
  t.deepEqual(entryComponents('./usr//bin/sh'), ['usr', 'bin', 'sh']);
  t.deepEqual(entryComponents('./'), []);
  t.throws(() => entryComponents('/etc/passwd'), { message: 'path "/etc/passwd" is absolute' });
  t.throws(() => entryComponents('a/../../etc'), { message: /climbs out with "\.\."/ });
  t.throws(() => entryComponents('../x', 'linkpath'), { message: /^linkpath/ });
});

test('layer media types: tar, gzip, zstd; others refused naming the layer', (t) => {
  t.is(layerCompression(MEDIA.layer, 'l'), 'none');
  t.is(layerCompression(MEDIA.layerGzip, 'l'), 'gzip');
  t.is(layerCompression(MEDIA.dockerLayerGzip, 'l'), 'gzip');
  t.is(layerCompression(MEDIA.layerZstd, 'l'), 'zstd');
  t.is(layerCompression('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'l'), 'gzip');
  t.throws(() => layerCompression('application/vnd.example.squashfs', 'layer 1/2 (blob sha256:x)'), { message: /^layer 1\/2 \(blob sha256:x\): media type/ });
});

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:34:www:/var/www:/bin/false\n';
const GROUP = 'root:x:0:\nwww:x:34:\nstaff:x:50:www,other\nlog:x:60:www\n';
const files: Record<string, string> = { 'etc/passwd': PASSWD, 'etc/group': GROUP };
const readFile = (rel: string) => files[rel];

test('User: names and ids resolved in the image, groups listing the user added', (t) => {
  t.deepEqual(resolveUser('', readFile), { uid: 0, gid: 0 });
  t.deepEqual(resolveUser('www', readFile), { uid: 33, gid: 34, additionalGids: [50, 60] });
  t.deepEqual(resolveUser('33', readFile), { uid: 33, gid: 34, additionalGids: [50, 60] });
  t.deepEqual(resolveUser('1000', readFile), { uid: 1000, gid: 0 });
  t.deepEqual(resolveUser('www:staff', readFile), { uid: 33, gid: 50 });
  t.deepEqual(resolveUser('1000:1000', readFile), { uid: 1000, gid: 1000 });
  t.throws(() => resolveUser('nobody', readFile), { message: /User "nobody": no user "nobody" in the image's \/etc\/passwd/ });
  t.throws(() => resolveUser('www:nogroup', readFile), { message: /no group "nogroup"/ });
});

const IMAGE: ImageConfig = {
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [] },
  config: {
    Entrypoint: ['/bin/app'],
    Cmd: ['--serve'],
    Env: ['PATH=/app/bin', 'APP=1'],
    WorkingDir: '/srv',
    User: 'www',
    Labels: { 'com.example.a': 'b', 'org.tsrun.image.layout': 'label-loses' },
    StopSignal: 'SIGQUIT',
    ExposedPorts: { '80/tcp': {} },
    Volumes: { '/data': {}, '/var/log/app': {} },
  },
};

test('image config to config.json: conversion.md fields on top of the defaults', (t) => {
  const base = { ociVersion: '1.3.0', process: { args: ['sh'], env: ['PATH=/bin', 'TERM=xterm'], cwd: '/' }, mounts: [{ destination: '/proc', type: 'proc' }], annotations: { 'org.tsrun.image.layout': '/l' } };
  const spec = convertImageConfig({ base, image: IMAGE, readFile, rootPath: 'rootfs' }) as any;
  t.deepEqual(spec.process.args, ['/bin/app', '--serve']);
  t.deepEqual(spec.process.env, ['PATH=/app/bin', 'TERM=xterm', 'APP=1']);
  t.is(spec.process.cwd, '/srv');
  t.deepEqual(spec.process.user, { uid: 33, gid: 34, additionalGids: [50, 60] });
  t.is(spec.annotations['com.example.a'], 'b');
  t.is(spec.annotations['org.tsrun.image.layout'], '/l');
  t.is(spec.annotations['org.opencontainers.image.stopSignal'], 'SIGQUIT');
  t.is(spec.annotations['org.opencontainers.image.exposedPorts'], '80/tcp');
  t.is(spec.annotations['org.opencontainers.image.architecture'], 'amd64');
  t.deepEqual(spec.root, { path: 'rootfs', readonly: false });
  t.deepEqual(spec.mounts.slice(1), [
    { destination: '/data', type: 'bind', source: 'volumes/0-data', options: ['rbind', 'rw'] },
    { destination: '/var/log/app', type: 'bind', source: 'volumes/1-var_log_app', options: ['rbind', 'rw'] },
  ]);
  t.deepEqual(imageVolumes({ ...IMAGE, config: {} }), []);
  t.deepEqual(mergeEnv(['A=1', 'B=2'], ['A=3']), ['A=3', 'B=2']);
});

test('commit leaves out the init files and every mount destination', (t) => {
  const ex = excludedPaths({ mounts: [{ destination: '/proc' }, { destination: '/data/' }, { destination: '/' }] });
  t.deepEqual([...ex].sort(), ['data', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'proc']);
});

test('overlay annotations: read by the planner, paths checked', (t) => {
  t.is(overlayRoot({}, '/b'), undefined);
  const a = { [OVERLAY_ANNOTATIONS.lower]: '/b/init:/s/l2:/s/l1', [OVERLAY_ANNOTATIONS.upper]: 'upper', [OVERLAY_ANNOTATIONS.work]: '/w' };
  t.deepEqual(overlayRoot(a, '/b'), { lower: ['/b/init', '/s/l2', '/s/l1'], upper: '/b/upper', work: '/w' });
  t.throws(() => overlayRoot({ ...a, [OVERLAY_ANNOTATIONS.lower]: 'rel:/x' }, '/b'), { message: /must be an absolute path, got "rel"/ });
  t.throws(() => overlayRoot({ [OVERLAY_ANNOTATIONS.lower]: '/x' }, '/b'), { message: /upperdir: is required/ });
  t.throws(() => overlayRoot({ ...a, [OVERLAY_ANNOTATIONS.upper]: 'a,b' }, '/b'), { message: /must not contain ","/ });
  const many = Array.from({ length: 60 }, (_, i) => `/var/lib/tsrun/layers/sha256/${String(i).padStart(64, '0')}`).join(':');
  t.throws(() => overlayRoot({ ...a, [OVERLAY_ANNOTATIONS.lower]: many }, '/b'), { message: /longer than mount\(2\) takes/ });
});

test('layer store location: root, a user, the environment', (t) => {
  t.is(defaultStoreDir({}, 0), '/var/lib/tsrun/layers');
  t.is(defaultStoreDir({ HOME: '/home/u' }, 1000), '/home/u/.local/share/tsrun/layers');
  t.is(defaultStoreDir({ XDG_DATA_HOME: '/x' }, 1000), '/x/tsrun/layers');
  t.is(defaultStoreDir({ TSRUN_LAYER_STORE: '/s' }, 0), '/s');
});

test('tar headers commit writes read back by node-tar: long paths, links, whiteouts, xattrs', async (t) => {
  const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
  const mtime = new Date(1_700_000_000_000);
  const chunks = [
    entryHeader({ path: 'dir', type: 'Directory', mode: 0o40755, uid: 1, gid: 2, mtime }),
    entryHeader({ path: long, type: 'File', mode: 0o100640, uid: 0, gid: 0, size: 5, mtime, xattrs: { 'user.k': Buffer.from('v=1') } }),
    Buffer.from('hello'),
    padding(5),
    entryHeader({ path: 'dir/.wh.gone', type: 'File', mode: 0o644, uid: 0, gid: 0, size: 0, mtime }),
    entryHeader({ path: 'ln', type: 'SymbolicLink', mode: 0o777, uid: 0, gid: 0, linkpath: `/${'t'.repeat(150)}`, mtime }),
    entryHeader({ path: 'fifo', type: 'FIFO', mode: 0o600, uid: 0, gid: 0, mtime }),
    TAR_END,
  ];
  const seen: Array<{ path: string; type: string; mode?: number; uid?: number; linkpath?: string; body: string; xattrs?: unknown }> = [];
  const parser = new Parser({});
  let xattrs: unknown;
  parser.on('meta', (m: string) => (xattrs = paxXattrs(m)));
  parser.on('entry', (e: ReadEntry) => {
    const item = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, linkpath: e.linkpath, body: '', xattrs };
    xattrs = undefined;
    e.on('data', (c: Buffer) => (item.body += c.toString()));
    seen.push(item);
  });
  await new Promise<void>((resolve) => parser.end(Buffer.concat(chunks), resolve));
  t.deepEqual(seen.map((s) => [s.path, s.type]), [['dir/', 'Directory'], [long, 'File'], ['dir/.wh.gone', 'File'], ['ln', 'SymbolicLink'], ['fifo', 'FIFO']]);
  t.is(seen[0]!.uid, 1);
  t.is(seen[1]!.mode, 0o640);
  t.is(seen[1]!.body, 'hello');
  t.deepEqual(seen[1]!.xattrs, { 'user.k': Buffer.from('v=1') });
  t.is(seen[3]!.linkpath, `/${'t'.repeat(150)}`);
});

test('manifest selection: by ref, through a nested index, by platform; errors list the refs', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-images-layout-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  ensureLayout(dir);
  const m = (n: string) => writeBlob(dir, JSON.stringify({ schemaVersion: 2, config: { mediaType: MEDIA.config, size: 1, digest: sha256Digest(n) }, layers: [] }), MEDIA.manifest);
  const amd = m('amd');
  const arm = m('arm');
  const nested = writeBlob(dir, JSON.stringify({ schemaVersion: 2, manifests: [
    { ...arm, platform: { os: 'linux', architecture: 'arm64' } },
    { ...amd, platform: { os: 'linux', architecture: 'amd64' } },
  ] }), MEDIA.index);
  const index: ImageIndex = { schemaVersion: 2, manifests: [{ ...nested, annotations: { [REF_ANNOTATION]: 'multi' } }, { ...amd, annotations: { [REF_ANNOTATION]: 'plain' } }] };
  mkdirSync(join(dir, 'x'), { recursive: true });
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  t.is(selectManifest(dir, index, 'multi', { os: 'linux', architecture: 'arm64' }).digest, arm.digest);
  t.is(selectManifest(dir, index, 'multi', { os: 'linux', architecture: 'amd64' }).digest, amd.digest);
  t.is(selectManifest(dir, index, 'plain').digest, amd.digest);
  t.throws(() => selectManifest(dir, index, 'nope'), { message: /no image with ref "nope" \(refs: multi, plain\)/ });
  t.throws(() => selectManifest(dir, index, undefined, { os: 'linux', architecture: 'amd64' }), { message: /holds 2 images, name one as LAYOUT:REF/ });
  t.throws(() => selectManifest(dir, index, 'multi', { os: 'linux', architecture: 's390x' }), { message: /no manifest for linux\/s390x/ });
});

test('plan: an overlay bundle mounts the overlay on root.path where the rootfs bind would go', (t) => {
  const lower = '/b/init:/var/lib/tsrun/layers/sha256/aa:/var/lib/tsrun/layers/sha256/bb';
  const s = planSpec((x) => (x.annotations = { [OVERLAY_ANNOTATIONS.lower]: lower, [OVERLAY_ANNOTATIONS.upper]: 'upper', [OVERLAY_ANNOTATIONS.work]: 'work' }));
  const ops = buildCreatePlan(s, planCtx).ops;
  const mounts = ops.filter((o) => o.op === Op.MOUNT).map((o) => o.args);
  t.false(mounts.some((a) => a.source === planCtx.rootfs && a.target === planCtx.rootfs), 'no rootfs bind');
  const overlay = mounts.find((a) => a.fstype === 'overlay');
  t.deepEqual(overlay && { target: overlay.target, data: overlay.data, how: overlay.how }, { target: planCtx.rootfs, data: `lowerdir=${lower},upperdir=/b/upper,workdir=/b/work,redirect_dir=off,metacopy=off`, how: 0 });
  const index = (pred: (o: (typeof ops)[number]) => boolean) => ops.findIndex(pred);
  t.true(index((o) => o.args.fstype === 'overlay') < index((o) => o.op === Op.PIVOT_ROOT), 'before pivot_root, in the new mount namespace');
  t.true(index((o) => o.op === Op.UNSHARE) < index((o) => o.args.fstype === 'overlay'));
});

test('plan: an overlay bundle without a mount namespace is refused (the overlay would stay on the host)', (t) => {
  const s = planSpec((x) => {
    x.annotations = { [OVERLAY_ANNOTATIONS.lower]: '/l', [OVERLAY_ANNOTATIONS.upper]: 'upper', [OVERLAY_ANNOTATIONS.work]: 'work' };
    x.linux.namespaces = x.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
  });
  t.throws(() => buildCreatePlan(s, { ...planCtx, chrootMount: '/run/tsrun/x/rootfs' }), { message: /an overlay rootfs \(tsrun image unpack --overlay\) needs a mount namespace/ });
});
