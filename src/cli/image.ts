import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { commitBundle } from '../image/commit.js';
import { DEFAULT_MAX_ENTRIES } from '../image/apply.js';
import { stderrProgress } from '../image/progress.js';
import { LayerStore, defaultStoreDir, type StoreRef } from '../image/store.js';
import { unpackImage } from '../image/unpack.js';
import { OVERLAY_ANNOTATIONS } from '../plan/overlay.js';
import { writeOut } from '../sys/fdio.js';
import type { TsrunCommand } from './command.js';

const EPILOG = `Actions:
  unpack [--overlay] LAYOUT[:REF] BUNDLE
      Make a bundle (config.json converted from the image config) from the image REF names in
      the OCI image layout LAYOUT (by its org.opencontainers.image.ref.name; without REF, the
      layout's only image). Two modes:
        copy (default)  the layers are applied in order into BUNDLE/rootfs;
        --overlay       each layer is extracted once into the shared layer store, and create
                        mounts an overlay of them (plus BUNDLE/init, the container's hostname,
                        hosts and resolv.conf) with BUNDLE/upper as the read-write layer, inside
                        the container's mount namespace: nothing stays mounted on the host.
  commit BUNDLE LAYOUT:REF
      Make an overlay bundle's read-write layer (BUNDLE/upper) a new layer on top of its image
      and write the image to LAYOUT under REF: deletions as whiteouts, replaced directories as
      opaque ones, without the init files and without what is mounted (volumes).
  gc
      Remove the store's layers no overlay bundle uses any more (a bundle is in use while its
      config.json names them).

The layer store: ${defaultStoreDir()} (root: /var/lib/tsrun/layers, persistent, unlike the
state root in /run; others: $XDG_DATA_HOME/tsrun/layers), or --store / TSRUN_LAYER_STORE.`;

interface ImageArgs {
  action?: string;
  args?: string[];
  overlay?: boolean;
  store?: string;
  'max-entries'?: number;
  comment?: string;
}

function positionals(a: ImageArgs, names: string[]): string[] {
  const got = a.args ?? [];
  if (got.length !== names.length) throw new UsageError(`image ${a.action}: needs ${names.join(' ')} (got ${got.length} argument${got.length === 1 ? '' : 's'})`);
  return got;
}

/** A ref is in use while its bundle's config.json still names its layers as lower dirs. */
function bundleUses(ref: StoreRef, store: LayerStore): boolean {
  const file = join(ref.bundle, 'config.json');
  if (!existsSync(file)) return false;
  try {
    const lower = (JSON.parse(readFileSync(file, 'utf8')) as { annotations?: Record<string, string> }).annotations?.[OVERLAY_ANNOTATIONS.lower] ?? '';
    const dirs = new Set(lower.split(':'));
    return ref.layers.some((l) => dirs.has(store.layerDir(l)));
  } catch {
    return true; // unreadable now (being written?): keep its layers
  }
}

export default {
  command: 'image <action> [args..]',
  describe: 'make bundles from OCI image layouts (unpack), images from bundles (commit), and clean the layer store (gc)',
  builder: (y) =>
    y
      .positional('action', { type: 'string', choices: ['unpack', 'commit', 'gc'] })
      .option('overlay', { type: 'boolean', describe: 'unpack: an overlay of the shared layer store instead of a copied rootfs' })
      .option('store', { type: 'string', describe: `the layer store (default ${defaultStoreDir()})` })
      .option('max-entries', { type: 'number', describe: `unpack: refuse a layer with more tar entries than this (default ${DEFAULT_MAX_ENTRIES})` })
      .option('comment', { type: 'string', describe: "commit: the new layer's history comment" })
      .epilog(EPILOG),
  async run(a) {
    // A stalled stream would let the engine exit 0 with the work half done: never silently.
    const stalled = () => {
      process.stderr.write(`tsrun: image ${a.action}: stopped before it finished (a stream stalled)\n`);
      process.exitCode = 1;
    };
    process.once('beforeExit', stalled);
    try {
      return await runAction(a);
    } finally {
      process.off('beforeExit', stalled);
    }
  },
} satisfies TsrunCommand<ImageArgs>;

async function runAction(a: ImageArgs): Promise<number> {
  const store = new LayerStore(a.store ?? defaultStoreDir());
  switch (a.action) {
    case 'unpack': {
      const [image, bundle] = positionals(a, ['LAYOUT[:REF]', 'BUNDLE']);
      await unpackImage(image!, bundle!, { overlay: a.overlay === true, store, maxEntries: a['max-entries'], progress: stderrProgress() });
      return 0;
    }
    case 'commit': {
      const [bundle, target] = positionals(a, ['BUNDLE', 'LAYOUT:REF']);
      const r = await commitBundle(bundle!, target!, { progress: stderrProgress(), comment: a.comment });
      writeOut(`${r.manifest.digest}\n`);
      return 0;
    }
    case 'gc': {
      positionals(a, []);
      const removed = await store.gc((ref) => bundleUses(ref, store));
      for (const d of removed) writeOut(`removed ${d}\n`);
      return 0;
    }
    default:
      throw new UsageError(`image: unknown action "${a.action ?? ''}" (unpack, commit, gc)`);
  }
}
