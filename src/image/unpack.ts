/**
 * `tsrun image unpack`: an image of a layout turned into a bundle, in one of two modes.
 *   copy:    the layers applied in order into BUNDLE/rootfs (whiteouts delete);
 *   overlay: the layers extracted once into the shared store (whiteouts in overlayfs form), and
 *            BUNDLE/rootfs an empty mount point over which create mounts the overlay of
 *            BUNDLE/init (the init layer) and the store's layers, BUNDLE/upper being the
 *            container's read-write layer (BUNDLE/work overlayfs's work dir).
 * config.json is converted from the image config (convert.ts); it names the image it came from
 * (org.tsrun.image.*), which commit builds on.
 */
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { defaultSpec } from '../lifecycle/default-spec.js';
import { OVERLAY_ANNOTATIONS } from '../plan/overlay.js';
import type { ImageConfig, ImageDescriptor, ImageManifest } from '../spec/types.generated.js';
import { applyLayerBlob } from './apply.js';
import { convertImageConfig, imageVolumes } from './convert.js';
import { writeInitFiles } from './init-layer.js';
import { readJsonBlob, readLayoutIndex, verifyBlobFile } from './layout.js';
import type { Progress } from './progress.js';
import { parseImageRef, readManifest, selectManifest } from './select.js';
import { LayerStore } from './store.js';
import { readImageFile } from './user.js';

/** Where a bundle's image came from: commit starts from this manifest. */
export const IMAGE_ANNOTATIONS = {
  layout: 'org.tsrun.image.layout',
  manifest: 'org.tsrun.image.manifest',
} as const;

export const BUNDLE_DIRS = { rootfs: 'rootfs', init: 'init', upper: 'upper', work: 'work' } as const;

export interface UnpackOptions {
  overlay: boolean;
  store: LayerStore;
  maxEntries?: number;
  progress?: Progress;
}

export interface ResolvedImage {
  layout: string;
  manifestDesc: ImageDescriptor;
  manifest: ImageManifest;
  config: ImageConfig;
}

/** The manifest and config LAYOUT[:REF] names, checked against each other. */
export function resolveImage(arg: string): ResolvedImage {
  const { layout: rel, ref } = parseImageRef(arg);
  const layout = resolve(rel);
  const manifestDesc = selectManifest(layout, readLayoutIndex(layout), ref);
  const manifest = readManifest(layout, manifestDesc);
  const config = readJsonBlob<ImageConfig>(layout, manifest.config, 'validateImageConfig', 'config');
  if (config.os !== 'linux') throw new ConfigError(`config ${manifest.config.digest}: os "${config.os}": tsrun runs linux images`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new ConfigError(`manifest ${manifestDesc.digest}: ${manifest.layers.length} layers, but config ${manifest.config.digest} lists ${config.rootfs.diff_ids.length} diff ids`);
  }
  return { layout, manifestDesc, manifest, config };
}

function layerName(image: ResolvedImage, i: number): string {
  return `layer ${i + 1}/${image.manifest.layers.length} (blob ${image.manifest.layers[i]!.digest})`;
}

/** Extracts layer i of the image into dir (verifying the blob first, then its diff id). */
async function extractLayer(image: ResolvedImage, i: number, dir: string, whiteouts: 'delete' | 'overlay', opts: UnpackOptions): Promise<void> {
  const desc = image.manifest.layers[i]!;
  const what = layerName(image, i);
  const blob = await verifyBlobFile(image.layout, desc, what);
  await applyLayerBlob(dir, blob, desc.mediaType, {
    whiteouts,
    what,
    diffId: image.config.rootfs.diff_ids[i],
    maxEntries: opts.maxEntries,
    progress: (n) => opts.progress?.update(what, n),
  });
}

function prepareBundle(bundle: string): void {
  mkdirSync(bundle, { recursive: true });
  const present = readdirSync(bundle).filter((f) => f === 'config.json' || Object.values(BUNDLE_DIRS).includes(f as never));
  if (present.length) throw new UsageError(`bundle ${bundle} already holds ${present.join(', ')}: unpack into a new folder`);
}

/** The container's hostname: the bundle folder's name, as a valid host name. */
function hostnameFor(bundle: string): string {
  return basename(bundle).replace(/[^A-Za-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'tsrun';
}

export async function unpackImage(imageArg: string, bundleArg: string, opts: UnpackOptions): Promise<{ bundle: string; layers: number }> {
  const image = resolveImage(imageArg);
  const bundle = resolve(bundleArg);
  prepareBundle(bundle);
  const rootfs = join(bundle, BUNDLE_DIRS.rootfs);
  mkdirSync(rootfs, { mode: 0o755 });
  const hostname = hostnameFor(bundle);
  const annotations: Record<string, string> = {
    [IMAGE_ANNOTATIONS.layout]: image.layout,
    [IMAGE_ANNOTATIONS.manifest]: image.manifestDesc.digest,
  };
  let imageDirs: string[];
  if (opts.overlay) {
    const diffIds = image.config.rootfs.diff_ids;
    await opts.store.addRef(bundle, diffIds);
    const layerDirs: string[] = [];
    for (let i = 0; i < diffIds.length; i++) {
      const { dir } = await opts.store.ensureLayer(diffIds[i]!, (tmp) => extractLayer(image, i, tmp, 'overlay', opts));
      layerDirs.unshift(dir);
    }
    const init = join(bundle, BUNDLE_DIRS.init);
    for (const d of [init, join(bundle, BUNDLE_DIRS.upper), join(bundle, BUNDLE_DIRS.work)]) mkdirSync(d, { mode: 0o755 });
    const etc = layerDirs.map((d) => lstatSync(`${d}/etc`, { throwIfNoEntry: false })).find((s) => s?.isDirectory());
    writeInitFiles(init, hostname, etc);
    imageDirs = [init, ...layerDirs];
    annotations[OVERLAY_ANNOTATIONS.lower] = imageDirs.join(':');
    annotations[OVERLAY_ANNOTATIONS.upper] = BUNDLE_DIRS.upper;
    annotations[OVERLAY_ANNOTATIONS.work] = BUNDLE_DIRS.work;
  } else {
    for (let i = 0; i < image.manifest.layers.length; i++) await extractLayer(image, i, rootfs, 'delete', opts);
    writeInitFiles(rootfs, hostname);
    imageDirs = [rootfs];
  }
  opts.progress?.done();
  for (const v of imageVolumes(image.config)) mkdirSync(join(bundle, v.source), { recursive: true, mode: 0o755 });
  const base = defaultSpec();
  const spec = convertImageConfig({
    base: { ...base, hostname, annotations },
    image: image.config,
    readFile: (rel) => readImageFile(imageDirs, rel),
    rootPath: BUNDLE_DIRS.rootfs,
  });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, '\t') + '\n', { mode: 0o644 });
  return { bundle, layers: image.manifest.layers.length };
}
