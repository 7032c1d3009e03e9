/**
 * A local image made from the busybox rootfs, as a docker-archive tarball (manifest.json with a
 * RepoTag, the image config, one uncompressed layer), which both `ctr images import` and
 * `podman load` accept. Nothing is pulled.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const IMAGE_REF = 'localhost/tsrun-busybox:latest';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function tar(args: string[]): void {
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Writes `<dir>/image.tar` from `rootfs` (its default command `cmd`) and returns its path. */
export function buildImageArchive(rootfs: string, dir: string, ref = IMAGE_REF, cmd = ['sh']): string {
  const work = join(dir, 'image');
  mkdirSync(work, { recursive: true });
  // The layer: the rootfs as root-owned files (the .done stamp of the Makefile left out).
  const layerTmp = join(work, 'layer.tar');
  tar(['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--exclude=./.done', '-C', rootfs, '-cf', layerTmp, '.']);
  const diffId = sha256(readFileSync(layerTmp));
  mkdirSync(join(work, diffId));
  renameSync(layerTmp, join(work, diffId, 'layer.tar'));
  const config = JSON.stringify({
    architecture: process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch,
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: cmd, WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    history: [{ created: '2026-01-01T00:00:00Z', created_by: `tsrun tests: ${ref}` }],
  });
  const configName = `${sha256(config)}.json`;
  writeFileSync(join(work, configName), config);
  writeFileSync(join(work, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [ref], Layers: [`${diffId}/layer.tar`] }]));
  const out = join(dir, 'image.tar');
  tar(['-C', work, '-cf', out, 'manifest.json', configName, diffId]);
  return out;
}
