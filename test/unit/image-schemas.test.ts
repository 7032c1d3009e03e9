/**
 * The project's image-spec schemas (schemas/image-*.json, written for tsrun) against the
 * image-spec's own (../shared/oci/image-spec): the same required fields and the same properties
 * for the index, the manifest, the descriptor, the config and the layout, and documents that the
 * spec accepts or refuses are accepted or refused by tsrun's validators too.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSchemas } from '../../src/spec/schemas.js';
import { validateImageDocument } from '../../src/spec/validate.js';

const UPSTREAM = fileURLToPath(new URL('../../../../shared/oci/image-spec/', import.meta.url));
const upstreamMissing = existsSync(join(UPSTREAM, 'image-manifest-schema.json')) ? undefined : `needs ${UPSTREAM} (the image-spec schemas beside the checkout)`;

type Json = Record<string, any>;
const ours = readSchemas() as Record<string, Json>;
const upstream = (f: string): Json => JSON.parse(readFileSync(join(UPSTREAM, f), 'utf8'));
const descriptor = ours['image-defs.json']!.definitions.descriptor as Json;

/** [what, upstream schema, ours] compared by required fields and property names. */
const PAIRS: Array<[string, () => Json, () => Json]> = [
  ['index', () => upstream('image-index-schema.json'), () => ours['image-index.schema.json']!],
  ['manifest', () => upstream('image-manifest-schema.json'), () => ours['image-manifest.schema.json']!],
  ['descriptor', () => upstream('content-descriptor.json'), () => descriptor],
  ['config', () => upstream('config-schema.json'), () => ours['image-config.schema.json']!],
  ['layout', () => upstream('image-layout-schema.json'), () => ours['image-layout.schema.json']!],
  ['config /config', () => upstream('config-schema.json').properties.config, () => ours['image-config.schema.json']!.properties.config],
  ['index /manifests items', () => upstream('image-index-schema.json').properties.manifests.items, () => descriptor],
];

for (const [what, theirs, mine] of PAIRS) {
  const register = upstreamMissing ? test.skip : test;
  register(`image-spec ${what}: same required fields and properties as the image-spec's schema${upstreamMissing ? ` (skipped: ${upstreamMissing})` : ''}`, (t) => {
    const a = theirs();
    const b = mine();
    t.deepEqual([...(b.required ?? [])].sort(), [...(a.required ?? [])].sort());
    // Ours may describe more (a descriptor's platform is also allowed on a manifest's), never less.
    for (const p of Object.keys(a.properties ?? {})) t.true(p in (b.properties ?? {}), `${what}: property ${p}`);
  });
}

const DIGEST = `sha256:${'a'.repeat(64)}`;
const DESC = { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 7, digest: DIGEST };

test('image validators accept the documents image-spec describes', (t) => {
  t.notThrows(() => validateImageDocument('validateImageIndex', { schemaVersion: 2, manifests: [{ ...DESC, platform: { os: 'linux', architecture: 'amd64' }, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }, 'index.json'));
  t.notThrows(() => validateImageDocument('validateImageManifest', { schemaVersion: 2, config: DESC, layers: [DESC] }, 'manifest'));
  t.notThrows(() => validateImageDocument('validateImageConfig', { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [DIGEST] }, config: { Entrypoint: null, Cmd: ['sh'], Labels: null } }, 'config'));
  t.notThrows(() => validateImageDocument('validateImageLayout', { imageLayoutVersion: '1.0.0' }, 'oci-layout'));
});

test('image validators refuse what image-spec refuses, naming the field', (t) => {
  t.throws(() => validateImageDocument('validateImageManifest', { schemaVersion: 2, config: DESC, layers: [] }, 'manifest m'), { message: /^manifest m: \/layers: must have at least 1 item/ });
  t.throws(() => validateImageDocument('validateImageManifest', { schemaVersion: 1, config: DESC, layers: [DESC] }, 'manifest m'), { message: /\/schemaVersion/ });
  t.throws(() => validateImageDocument('validateImageIndex', { schemaVersion: 2, manifests: [{ ...DESC, digest: 'sha256' }] }, 'index.json'), { message: /\/manifests\/0\/digest: must match/ });
  t.throws(() => validateImageDocument('validateImageConfig', { architecture: 'amd64', os: 'linux', rootfs: { type: 'tree', diff_ids: [] } }, 'config'), { message: /\/rootfs\/type: must be one of layers/ });
  t.throws(() => validateImageDocument('validateImageLayout', { imageLayoutVersion: '2.0.0' }, 'oci-layout'), { message: /imageLayoutVersion/ });
});
