/**
 * The image rows of `make bench` (BENCH_OPS images): unpacking and committing a many-file image,
 * tsrun (each engine) against Debian's umoci in the same run, rounds interleaved. The image is
 * made by umoci from the busybox rootfs plus BENCH_IMAGE_FILES small files in two layers; the
 * commit adds a tenth as many files to a fresh bundle each round (tsrun: in the overlay's upper
 * dir, as a container would; umoci: in its rootfs, then `umoci repack`). Not timed: the setup of
 * each round's bundle and the removal of what it made.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { output, timeSync, type Timed } from './lib.js';
import { type Column, type Row, add, fmt, newRow, ratio, value } from './report.js';

export interface ImageTool {
  key: string;
  label: string;
  /** The tsrun command line (before `image`). */
  argv: string[];
}

/** Writes `count` small files under dir/prefix, 100 per folder. */
function manyFiles(dir: string, prefix: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, prefix, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}`), `file ${i}\n`);
  }
}

const umoci = (...args: string[]) => execFileSync('umoci', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** The benchmark image: busybox, then two layers of count/2 files each. */
function buildImage(tmp: string, rootfs: string, count: number): string {
  const layout = join(tmp, 'oci');
  const work = join(tmp, 'image-work');
  umoci('init', '--layout', layout);
  umoci('new', '--image', `${layout}:bench`);
  umoci('unpack', '--image', `${layout}:bench`, work);
  execFileSync('cp', ['-a', `${rootfs}/.`, join(work, 'rootfs')]);
  umoci('repack', '--refresh-bundle', '--image', `${layout}:bench`, work);
  for (const half of ['a', 'b']) {
    manyFiles(join(work, 'rootfs'), `srv/${half}`, Math.floor(count / 2));
    umoci('repack', '--refresh-bundle', '--image', `${layout}:bench`, work);
  }
  rmSync(work, { recursive: true, force: true });
  return layout;
}

export interface ImageBench {
  cols: Column[];
  rows: Row[];
  notes: string[];
}

export function benchImages(tmp: string, rootfs: string, tools: ImageTool[], runs: number, files: number, log: (m: string) => void): ImageBench {
  const dir = join(tmp, 'images');
  mkdirSync(dir, { recursive: true });
  log(`images: building a ${files}-file image with umoci`);
  const layout = buildImage(dir, rootfs, files);
  const image = `${layout}:bench`;
  const umociCol: Column = { key: 'umoci', label: 'umoci', kind: 'umoci', color: '#888888' };
  const cols: Column[] = [...tools.map((t) => ({ key: t.key, label: t.label, kind: 'tsrun' as const, color: '#1f5fa8' })), umociCol];
  const rows = {
    copy: newRow('image-unpack', `\`image unpack\` (copy), busybox and ${files} files in 3 layers`, 'ms'),
    cold: newRow('image-unpack-overlay', '`image unpack --overlay`, empty layer store', 'ms'),
    warm: newRow('image-unpack-overlay-warm', '`image unpack --overlay`, layers in the store', 'ms'),
    commit: newRow('image-commit', `\`image commit\` of ${Math.floor(files / 10)} new files`, 'ms'),
  };
  const noOverlay = 'umoci has no overlay mode (it always copies the layers)';
  rows.cold.na.umoci = noOverlay;
  rows.warm.na.umoci = noOverlay;
  const record = (row: Row, key: string, t: Timed, what: string) => {
    if (t.ok) add(row, key, t.ms);
    else row.na[key] ??= `${what} failed: ${t.err}`;
  };
  const changed = Math.floor(files / 10);
  let n = 0;
  for (let r = 0; r < runs; r++) {
    log(`images: round ${r + 1}/${runs}`);
    const order = [...tools.map((t) => t.key), 'umoci'];
    const k = r % order.length;
    for (const key of [...order.slice(k), ...order.slice(0, k)]) {
      const b = (what: string) => join(dir, `${key}-${what}-${n++}`);
      if (key === 'umoci') {
        const copy = b('copy');
        record(rows.copy, key, timeSync(['umoci', 'unpack', '--image', image, copy]), 'umoci unpack');
        manyFiles(join(copy, 'rootfs'), 'srv/new', changed);
        record(rows.commit, key, timeSync(['umoci', 'repack', '--image', `${layout}:umoci-${r}`, copy]), 'umoci repack');
        rmSync(copy, { recursive: true, force: true });
        continue;
      }
      const tool = tools.find((t) => t.key === key)!;
      const tsrun = (...args: string[]) => [...tool.argv, 'image', ...args];
      const store = join(dir, `${key}-store-${r}`);
      const copy = b('copy');
      record(rows.copy, key, timeSync(tsrun('unpack', image, copy)), 'tsrun image unpack');
      rmSync(copy, { recursive: true, force: true });
      const cold = b('cold');
      record(rows.cold, key, timeSync(tsrun('unpack', '--overlay', '--store', store, image, cold)), 'tsrun image unpack --overlay');
      const warm = b('warm');
      record(rows.warm, key, timeSync(tsrun('unpack', '--overlay', '--store', store, image, warm)), 'tsrun image unpack --overlay');
      manyFiles(join(warm, 'upper'), 'srv/new', changed);
      record(rows.commit, key, timeSync(tsrun('commit', warm, `${layout}:${key}-${r}`)), 'tsrun image commit');
      for (const d of [cold, warm, store]) rmSync(d, { recursive: true, force: true });
    }
  }
  const umociVersion = output(['umoci', '--version']).stdout.trim();
  return {
    cols,
    rows: Object.values(rows),
    notes: [
      `Images: medians of ${runs} interleaved rounds; ${umociVersion}. The image is umoci's (tar+gzip layers): the busybox rootfs and ${files} small files in two more layers. tsrun's commit reads the overlay's upper dir; umoci's repack walks the whole rootfs against its mtree manifest, which is how each tool finds what changed.`,
    ],
  };
}

/** The image table of results.md. */
export function imagesMarkdown(b: ImageBench): string {
  const tsruns = b.cols.filter((c) => c.kind === 'tsrun');
  const head = ['operation', ...b.cols.map((c) => c.label), ...tsruns.map((c) => `${c.label} / umoci`)];
  const out = ['## Images', '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  const footnotes: string[] = [];
  for (const row of b.rows) {
    const cells = b.cols.map((c) => {
      const v = value(row, c.key);
      if (v !== undefined) return fmt(v, row.unit);
      const why = row.na[c.key] ?? 'not measured';
      if (!footnotes.includes(why)) footnotes.push(why);
      return `n/a[^img${footnotes.indexOf(why) + 1}]`;
    });
    const ratios = tsruns.map((c) => ratio(value(row, c.key), value(row, 'umoci')));
    out.push(`| ${row.label} | ${[...cells, ...ratios].join(' | ')} |`);
  }
  out.push('', ...b.notes.map((n) => `- ${n}`), '', ...footnotes.map((f, i) => `[^img${i + 1}]: ${f}`), '');
  return out.join('\n');
}
