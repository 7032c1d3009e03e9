/**
 * Which manifest of a layout an image reference names: `LAYOUT[:REF]`, where REF matches the
 * `org.opencontainers.image.ref.name` annotation of an index entry (as umoci and skopeo's
 * `oci:` transport read it). Nested indexes are followed, and among several platforms the one
 * this host runs is taken (image-spec image-index.md).
 */
import { UsageError, ConfigError } from '../errors.js';
import type { ImageDescriptor, ImageIndex, ImageManifest } from '../spec/types.generated.js';
import { MEDIA, readJsonBlob } from './layout.js';

export const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface ImageRef {
  layout: string;
  ref?: string;
}

/** LAYOUT[:REF]: the last colon splits them when what follows it has no slash (a path may hold colons). */
export function parseImageRef(arg: string): ImageRef {
  const at = arg.lastIndexOf(':');
  if (at <= 0 || arg.slice(at + 1).includes('/')) return { layout: arg };
  const ref = arg.slice(at + 1);
  if (ref === '') throw new UsageError(`image reference "${arg}": the ref after ":" is empty`);
  return { layout: arg.slice(0, at), ref };
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** image-spec's GOARCH names for Node's process.arch. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(): Platform {
  return { os: 'linux', architecture: GOARCH[process.arch] ?? process.arch };
}

function matchesPlatform(desc: ImageDescriptor, want: Platform): boolean {
  const p = desc.platform;
  return !p || (p.os === want.os && p.architecture === want.architecture && (!want.variant || !p.variant || p.variant === want.variant));
}

const isIndex = (d: ImageDescriptor) => d.mediaType === MEDIA.index || d.mediaType === MEDIA.dockerList;
const isManifest = (d: ImageDescriptor) => d.mediaType === MEDIA.manifest || d.mediaType === MEDIA.dockerManifest;

/** The manifest descriptor `ref` names in `index` (no ref: the only image there is). */
export function selectManifest(layout: string, index: ImageIndex, ref: string | undefined, platform: Platform = hostPlatform()): ImageDescriptor {
  const named = ref === undefined ? index.manifests : index.manifests.filter((d) => d.annotations?.[REF_ANNOTATION] === ref || d.digest === ref);
  if (named.length === 0) {
    const refs = index.manifests.map((d) => d.annotations?.[REF_ANNOTATION]).filter(Boolean);
    throw new ConfigError(`${layout}: no image with ref "${ref}" (refs: ${refs.length ? refs.join(', ') : 'none'})`);
  }
  const found = named.flatMap((d) => manifestsFor(layout, d, platform, 0));
  if (found.length === 0) throw new ConfigError(`${layout}${ref ? `:${ref}` : ''}: no manifest for ${platform.os}/${platform.architecture}`);
  if (found.length > 1 && ref === undefined) {
    const refs = index.manifests.map((d) => d.annotations?.[REF_ANNOTATION] ?? d.digest);
    throw new UsageError(`${layout}: holds ${found.length} images, name one as LAYOUT:REF (refs: ${refs.join(', ')})`);
  }
  return found[0]!;
}

/** The image manifests a descriptor leads to for the platform, through nested indexes. */
function manifestsFor(layout: string, desc: ImageDescriptor, platform: Platform, depth: number): ImageDescriptor[] {
  if (!matchesPlatform(desc, platform)) return [];
  if (isManifest(desc)) return [desc];
  if (!isIndex(desc)) return [];
  if (depth > 8) throw new ConfigError(`${layout}: index ${desc.digest}: indexes nested more than 8 deep`);
  const nested = readJsonBlob<ImageIndex>(layout, desc, 'validateImageIndex', 'index');
  return nested.manifests.flatMap((d) => manifestsFor(layout, d, platform, depth + 1));
}

export function readManifest(layout: string, desc: ImageDescriptor): ImageManifest {
  return readJsonBlob<ImageManifest>(layout, desc, 'validateImageManifest', 'manifest');
}
