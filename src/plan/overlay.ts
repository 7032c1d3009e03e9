/**
 * A rootfs that is an overlay of image layers (`tsrun image unpack --overlay`, docs/images.md).
 * The bundle's config.json says so in annotations; create then mounts the overlay on root.path
 * inside the container's mount namespace, where the rootfs bind would go, so no mount is left on
 * the host: the overlay goes with the namespace.
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export const OVERLAY_ANNOTATIONS = {
  /** The read-only layers, uppermost first (the init layer, then the image's top layer ... its base), ':'-separated absolute paths. */
  lower: 'org.tsrun.rootfs.overlay.lowerdir',
  /** The container's read-write layer (relative: to the bundle). */
  upper: 'org.tsrun.rootfs.overlay.upperdir',
  /** overlayfs's work dir, on the upper dir's filesystem. */
  work: 'org.tsrun.rootfs.overlay.workdir',
} as const;

export interface OverlayRoot {
  lower: string[];
  upper: string;
  work: string;
}

/** mount(2) passes at most a page of options. */
const MAX_MOUNT_DATA = 4095;

/** The overlay the annotations describe, or undefined for a plain rootfs directory. */
export function overlayRoot(annotations: Record<string, string | undefined> | undefined, bundle: string): OverlayRoot | undefined {
  const lowerList = annotations?.[OVERLAY_ANNOTATIONS.lower];
  if (lowerList === undefined) return undefined;
  const where = (key: string) => `config.json: /annotations/${key}`;
  const lower = lowerList.split(':');
  for (const l of lower) {
    if (!isAbsolute(l)) throw new ConfigError(`${where(OVERLAY_ANNOTATIONS.lower)}: every lower dir must be an absolute path, got "${l}"`);
  }
  const dirOf = (key: string): string => {
    const v = annotations?.[key];
    if (!v) throw new ConfigError(`${where(key)}: is required with ${OVERLAY_ANNOTATIONS.lower}`);
    if (v.includes(':')) throw new ConfigError(`${where(key)}: must not contain ":"`);
    return resolve(bundle, v);
  };
  const root = { lower, upper: dirOf(OVERLAY_ANNOTATIONS.upper), work: dirOf(OVERLAY_ANNOTATIONS.work) };
  for (const p of [...root.lower, root.upper, root.work]) {
    if (p.includes(',')) throw new ConfigError(`config.json: /annotations: overlay dir "${p}" must not contain ","`);
  }
  if (overlayMountData(root).length > MAX_MOUNT_DATA) {
    throw new ConfigError(`config.json: /annotations/${OVERLAY_ANNOTATIONS.lower}: ${lower.length} layers make the overlay's options longer than mount(2) takes (${MAX_MOUNT_DATA} bytes)`);
  }
  return root;
}

/**
 * redirect_dir and metacopy off whatever the kernel's defaults: with them, a renamed directory or
 * a chmod'ed file in the upper dir only points into the lower layers, and commit (which reads the
 * upper dir as a layer) would lose their contents.
 */
export function overlayMountData(o: OverlayRoot): string {
  return `lowerdir=${o.lower.join(':')},upperdir=${o.upper},workdir=${o.work},redirect_dir=off,metacopy=off`;
}
