/**
 * The bundle's config.json from an image config (image-spec conversion.md), on top of `tsrun
 * spec`'s defaults: Entrypoint + Cmd as args, Env over the default env, WorkingDir as cwd, User
 * resolved in the image, Labels as annotations (an annotation already set wins), StopSignal,
 * ExposedPorts and the platform fields as the org.opencontainers.image.* annotations, and each
 * of Volumes as a bind mount of a folder in the bundle (which commit leaves out).
 */
import type { ImageConfig } from '../spec/types.generated.js';
import { resolveUser } from './user.js';

export interface ConvertInput {
  base: Record<string, unknown>;
  image: ImageConfig;
  /** Reads a file of the image (for User). */
  readFile: (rel: string) => string | undefined;
  rootPath: string;
}

export interface Volume {
  destination: string;
  /** Bundle-relative folder the volume binds. */
  source: string;
}

/** Each image volume's folder in the bundle: volumes/<n>-<path with / as _>. */
export function imageVolumes(image: ImageConfig): Volume[] {
  return Object.keys(image.config?.Volumes ?? {}).map((destination, i) => ({
    destination,
    source: `volumes/${i}-${destination.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'root'}`,
  }));
}

/** NAME=value entries with later ones replacing earlier ones of the same NAME. */
export function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...over]) out.set(e.split('=', 1)[0]!, e);
  return [...out.values()];
}

export function convertImageConfig({ base, image, readFile, rootPath }: ConvertInput): Record<string, unknown> {
  const c = image.config ?? {};
  const process = { ...(base.process as Record<string, unknown>) };
  const args = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  if (args.length) process.args = args;
  process.env = mergeEnv((process.env as string[] | undefined) ?? [], c.Env ?? []);
  process.cwd = c.WorkingDir || '/';
  process.user = resolveUser(c.User, readFile);
  const annotations: Record<string, string> = { ...(c.Labels ?? {}) };
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined && value !== '') annotations[key] = value;
  };
  put('org.opencontainers.image.os', image.os);
  put('org.opencontainers.image.architecture', image.architecture);
  put('org.opencontainers.image.variant', image.variant);
  put('org.opencontainers.image.os.version', image['os.version']);
  put('org.opencontainers.image.os.features', image['os.features']?.join(','));
  put('org.opencontainers.image.author', image.author);
  put('org.opencontainers.image.created', image.created);
  put('org.opencontainers.image.stopSignal', c.StopSignal);
  put('org.opencontainers.image.exposedPorts', Object.keys(c.ExposedPorts ?? {}).join(','));
  const mounts = [
    ...((base.mounts as unknown[]) ?? []),
    ...imageVolumes(image).map((v) => ({ destination: v.destination, type: 'bind', source: v.source, options: ['rbind', 'rw'] })),
  ];
  return {
    ...base,
    process,
    root: { path: rootPath, readonly: false },
    mounts,
    annotations: { ...annotations, ...((base.annotations as Record<string, string>) ?? {}) },
  };
}
