/**
 * The benchmark's outputs: the markdown table (results.md) and a hand-made SVG bar chart
 * (chart.svg), grouped per operation with one bar per runtime.
 */
import { median, quantile } from './lib.js';

export interface Column {
  key: string;
  label: string;
  kind: 'tsrun' | 'runc' | 'crun' | 'umoci';
  /** The JavaScript engine tsrun runs on (tsrun columns only). */
  engine?: string;
  color: string;
}

export type Unit = 'ms' | 'KiB' | 'count';

export interface Row {
  key: string;
  label: string;
  /** The label under the bars of the chart (default: label). */
  short?: string;
  unit: Unit;
  /** Which chart panel shows the row (none when absent). */
  chart?: 'time' | 'memory' | 'threads';
  /** Samples per column key. */
  samples: Record<string, number[]>;
  /** Why a column has no value (becomes a footnote). */
  na: Record<string, string>;
}

export interface EngineBaseline {
  engine: string;
  version: string;
  command: string;
  samples: number[];
  /** The same with NODE_EXTRA_CA_CERTS as the caller had it (node only, when it was set). */
  withCaCerts?: number[];
}

export function newRow(key: string, label: string, unit: Unit, chart?: Row['chart'], short?: string): Row {
  return { key, label, short, unit, chart, samples: {}, na: {} };
}

export function add(row: Row, col: string, v: number): void {
  (row.samples[col] ??= []).push(v);
}

/** The row's median for a column, or undefined when it has no samples. */
export function value(row: Row, col: string): number | undefined {
  const s = row.samples[col];
  return s && s.length ? median(s) : undefined;
}

export function fmt(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return 'n/a';
  switch (unit) {
    case 'ms':
      if (v < 10) return `${v.toFixed(1)} ms`;
      if (v < 1000) return `${Math.round(v)} ms`;
      return `${(v / 1000).toFixed(2)} s`;
    case 'KiB':
      if (v < 1024) return `${Math.round(v)} KiB`;
      return `${(v / 1024).toFixed(v < 10240 ? 2 : 1)} MiB`;
    case 'count':
      return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }
}

export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return '–';
  const r = a / b;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

class Footnotes {
  private list: string[] = [];
  ref(text: string): string {
    let i = this.list.indexOf(text);
    if (i < 0) { this.list.push(text); i = this.list.length - 1; }
    return `[^${i + 1}]`;
  }
  render(): string[] {
    return this.list.map((t, i) => `[^${i + 1}]: ${t.replace(/\s*\n\s*/g, ' ')}`);
  }
}

export interface ReportMeta {
  date: string;
  runs: number;
  parallel: number;
  parallelRuns: number;
  host: string;
  versions: string[];
  notes: string[];
}

/** results.md: one table with medians and the tsrun/runc, tsrun/crun ratios, then the details. */
export function markdown(cols: Column[], rows: Row[], engines: EngineBaseline[], meta: ReportMeta): { full: string; summary: string } {
  const notes = new Footnotes();
  const tsruns = cols.filter((c) => c.kind === 'tsrun');
  const refs = cols.filter((c) => c.kind !== 'tsrun');
  const ratioCols: { a: Column; b: Column }[] = [];
  for (const a of tsruns) for (const b of refs) ratioCols.push({ a, b });
  const head = ['operation', ...cols.map((c) => c.label), ...ratioCols.map(({ a, b }) => `${a.label} / ${b.label}`)];
  const out: string[] = [];
  out.push(`| ${head.join(' | ')} |`);
  out.push(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) {
    const cells = [row.label];
    for (const c of cols) {
      const v = value(row, c.key);
      if (v !== undefined) cells.push(fmt(v, row.unit));
      else cells.push(`n/a${notes.ref(row.na[c.key] ?? 'not measured')}`);
    }
    for (const { a, b } of ratioCols) cells.push(ratio(value(row, a.key), value(row, b.key)));
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('');
  out.push(`Medians of ${meta.runs} interleaved rounds (${meta.parallelRuns} for the ${meta.parallel}-container rows; memory limit: binary search), ${meta.date}, ${meta.host}. ${meta.versions.join('; ')}.`);
  out.push('');
  // Engine start-up, so that "command time minus engine start" can be read off.
  out.push('| engine | empty script | median | p25–p75 |');
  out.push('|---|---|---:|---:|');
  for (const e of engines) {
    out.push(`| ${e.engine} (${e.version}) | \`${e.command}\` | ${fmt(median(e.samples), 'ms')} | ${fmt(quantile(e.samples, 0.25), 'ms')}–${fmt(quantile(e.samples, 0.75), 'ms')} |`);
    if (e.withCaCerts?.length) {
      out.push(`| ${e.engine}, NODE_EXTRA_CA_CERTS set | \`${e.command}\` | ${fmt(median(e.withCaCerts), 'ms')} | ${fmt(quantile(e.withCaCerts, 0.25), 'ms')}–${fmt(quantile(e.withCaCerts, 0.75), 'ms')} |`);
    }
  }
  out.push('');
  const summaryEnd = out.length;
  for (const n of meta.notes) out.push(`- ${n}`);
  out.push('');
  // Spread, for judging the noise.
  out.push('<details><summary>Spread: median (p25–p75, n) per cell</summary>');
  out.push('');
  out.push(`| operation | ${cols.map((c) => c.label).join(' | ')} |`);
  out.push(`|---|${cols.map(() => '---:').join('|')}|`);
  for (const row of rows) {
    const cells = cols.map((c) => {
      const s = row.samples[c.key];
      if (!s?.length) return 'n/a';
      return `${fmt(median(s), row.unit)} (${fmt(quantile(s, 0.25), row.unit)}–${fmt(quantile(s, 0.75), row.unit)}, ${s.length})`;
    });
    out.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  out.push('');
  out.push('</details>');
  out.push('');
  const foot = notes.render();
  out.push(...foot, '');
  return { full: out.join('\n'), summary: [...out.slice(0, summaryEnd), ...foot, ''].join('\n') };
}

/** The rows the README's engine comparison shows: what a manager does most. */
const ENGINE_ROWS: ReadonlyArray<readonly [key: string, label: string]> = [
  ['run', '`run`'],
  ['lifecycle', '`create` + `start` + `delete`'],
  ['state', '`state`'],
];

/**
 * The README's "why Bun" table: each tsrun column's time as a multiple of runc's on the rows a
 * manager calls most, the default engine (bun) first. Empty when runc was not measured.
 */
export function engineRatios(cols: Column[], rows: Row[]): string {
  const runc = cols.find((c) => c.kind === 'runc');
  if (!runc) return '';
  const tsruns = cols.filter((c) => c.kind === 'tsrun').sort((a, b) => Number(b.engine === 'bun') - Number(a.engine === 'bun'));
  const shown = ENGINE_ROWS.filter(([key]) => rows.some((r) => r.key === key));
  if (!tsruns.length || !shown.length) return '';
  const out = [`| tsrun's time ÷ runc's | ${shown.map(([, label]) => label).join(' | ')} |`, `|---|${shown.map(() => '---:').join('|')}|`];
  for (const c of tsruns) {
    const cells = shown.map(([key]) => {
      const row = rows.find((r) => r.key === key)!;
      return ratio(value(row, c.key), value(row, runc.key));
    });
    out.push(`| ${c.label} | ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The chart.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Group { label: string; unit: Unit; values: (number | undefined)[]; na: boolean[] }

interface Panel { title: string; log: boolean; unit: Unit; groups: Group[] }

const BAR = 15;
const BAR_GAP = 2;
const GROUP_GAP = 30;
const AXIS_W = 62;
const PLOT_H = 210;
const LABEL_H = 46;
const TITLE_H = 26;
const PANEL_GAP = 24;

function wrap(text: string, width: number): string[] {
  const max = Math.max(8, Math.floor(width / 6.2));
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && (cur + ' ' + w).length > max) { lines.push(cur); cur = w; } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.slice(0, 3);
}

function tickLabel(v: number, unit: Unit): string {
  if (unit === 'ms') return v >= 1000 ? `${v / 1000} s` : `${v} ms`;
  if (unit === 'KiB') return v >= 1024 * 1024 ? `${v / 1024 / 1024} GiB` : v >= 1024 ? `${v / 1024} MiB` : `${v} KiB`;
  return String(v);
}

function shortValue(v: number, unit: Unit): string {
  return fmt(v, unit).replace(' ms', '').replace(' KiB', 'K').replace(' MiB', 'M').replace(' s', 's');
}

const groupWidth = (cols: Column[]) => cols.length * (BAR + BAR_GAP) - BAR_GAP + GROUP_GAP;
const panelWidth = (p: Panel, cols: Column[]) => AXIS_W + p.groups.length * groupWidth(cols) + 8;

/** One panel with its top-left corner at (x0, top). */
function panelSvg(p: Panel, cols: Column[], x0: number, top: number, width: number): string {
  const out: string[] = [];
  const gw = groupWidth(cols);
  const left = x0 + AXIS_W;
  const right = x0 + width - 8;
  const plotTop = top + TITLE_H;
  const bottom = plotTop + PLOT_H;
  const all = p.groups.flatMap((g) => g.values.filter((v): v is number => v !== undefined && v > 0));
  out.push(`<text x="${left}" y="${top + 17}" class="pt">${esc(p.title)}</text>`);
  if (!all.length) return out.join('\n');
  let y: (v: number) => number;
  const ticks: number[] = [];
  const minor: number[] = [];
  if (p.log) {
    // Decades for times, powers of 4 for sizes (KiB), with the steps between as faint lines.
    const base = p.unit === 'KiB' ? 4 : 10;
    const lg = (v: number) => Math.log(v) / Math.log(base);
    const lo = Math.floor(lg(Math.min(...all)));
    const hi = lg(Math.max(...all)) + 0.5 * (base === 10 ? 1 : 1.66);
    y = (v) => bottom - ((lg(v) - lo) / (hi - lo)) * PLOT_H;
    for (let d = lo; d <= hi; d++) {
      ticks.push(base ** d);
      for (const mm of base === 10 ? [2, 5] : [2]) if (lg(mm * base ** d) <= hi) minor.push(mm * base ** d);
    }
  } else {
    const max = Math.max(...all) * 1.35;
    const step = 10 ** Math.floor(Math.log10(max / 2));
    const nice = [1, 2, 5].map((m) => m * step).find((s) => max / s <= 6) ?? step * 10;
    y = (v) => bottom - (v / max) * PLOT_H;
    for (let t = 0; t <= max; t += nice) ticks.push(t);
  }
  for (const t of minor) out.push(`<line x1="${left}" x2="${right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="g2"/>`);
  for (const t of ticks) {
    out.push(`<line x1="${left}" x2="${right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="g1"/>`);
    out.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" class="tk">${esc(tickLabel(Number(t.toPrecision(6)), p.unit))}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${plotTop}" y2="${bottom}" class="ax"/>`);
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" class="ax"/>`);
  p.groups.forEach((g, gi) => {
    const gx = left + GROUP_GAP / 2 + gi * gw;
    g.values.forEach((v, ci) => {
      const x = gx + ci * (BAR + BAR_GAP);
      const cx = x + BAR / 2;
      if (v === undefined || !(v > 0)) {
        if (g.na[ci]) out.push(`<text transform="translate(${cx + 3.5},${bottom - 4}) rotate(-90)" class="na">n/a</text>`);
        return;
      }
      const barTop = y(v);
      out.push(`<rect x="${x}" y="${barTop.toFixed(1)}" width="${BAR}" height="${(bottom - barTop).toFixed(1)}" fill="${cols[ci].color}"><title>${esc(`${g.label} — ${cols[ci].label}: ${fmt(v, g.unit)}`)}</title></rect>`);
      out.push(`<text transform="translate(${cx + 3.5},${(barTop - 3).toFixed(1)}) rotate(-90)" class="vl">${esc(shortValue(v, g.unit))}</text>`);
    });
    wrap(g.label, gw - 4).forEach((l, li) => {
      out.push(`<text x="${(gx + (gw - GROUP_GAP) / 2).toFixed(1)}" y="${bottom + 15 + li * 13}" class="gl">${esc(l)}</text>`);
    });
  });
  return out.join('\n');
}

/**
 * chart.svg: times on top (log scale), memory and threads side by side below; groups per
 * operation, a bar per column.
 */
export function chartSvg(cols: Column[], rows: Row[], engines: EngineBaseline[], subtitle: string): string {
  const groupOf = (r: Row): Group => ({
    label: (r.short ?? r.label).replace(/`/g, ''),
    unit: r.unit,
    values: cols.map((c) => value(r, c.key)),
    na: cols.map((c) => value(r, c.key) === undefined && r.na[c.key] !== undefined),
  });
  const timeGroups = rows.filter((r) => r.chart === 'time').map(groupOf);
  if (engines.length) {
    timeGroups.push({
      label: 'engine start (empty script)',
      unit: 'ms',
      values: cols.map((c) => {
        const e = engines.find((x) => x.engine === c.engine);
        return e && e.samples.length ? median(e.samples) : undefined;
      }),
      na: cols.map(() => false),
    });
  }
  const time: Panel = { title: 'Time (median, log scale; lower is better)', log: true, unit: 'ms', groups: timeGroups };
  const memory: Panel = { title: 'Memory (log scale; lower is better)', log: true, unit: 'KiB', groups: rows.filter((r) => r.chart === 'memory').map(groupOf) };
  const threads: Panel = { title: 'Threads', log: false, unit: 'count', groups: rows.filter((r) => r.chart === 'threads').map(groupOf) };
  // Layout: rows of panels; a row is laid left to right.
  const layout: Panel[][] = [[time], [memory, threads]].map((r) => r.filter((p) => p.groups.length)).filter((r) => r.length);
  const rowWidth = (r: Panel[]) => r.reduce((w, p) => w + panelWidth(p, cols), 0) + (r.length - 1) * PANEL_GAP;
  const width = Math.max(720, 16 + Math.max(...layout.map(rowWidth)));
  const header = 62;
  const panelH = TITLE_H + PLOT_H + LABEL_H + 10;
  const height = header + layout.length * panelH + 8;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Verdana, sans-serif">`);
  out.push('<style>.t{font-size:15px;font-weight:bold}.st{font-size:11px;fill:#555}.pt{font-size:12.5px;font-weight:bold;fill:#222}.tk{font-size:10px;text-anchor:end;fill:#444}.gl{font-size:11px;text-anchor:middle;fill:#222}.vl{font-size:9px;fill:#333}.na{font-size:9px;fill:#999}.lg{font-size:11.5px;fill:#222}.g1{stroke:#ccc;stroke-width:1}.g2{stroke:#eee;stroke-width:1}.ax{stroke:#444;stroke-width:1}</style>');
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${AXIS_W}" y="20" class="t">tsrun beside runc and crun</text>`);
  out.push(`<text x="${AXIS_W}" y="36" class="st">${esc(subtitle)}</text>`);
  let lx = AXIS_W;
  for (const c of cols) {
    out.push(`<rect x="${lx}" y="46" width="11" height="11" fill="${c.color}"/>`);
    out.push(`<text x="${lx + 15}" y="56" class="lg">${esc(c.label)}</text>`);
    lx += 15 + c.label.length * 7 + 18;
  }
  layout.forEach((r, ri) => {
    let x = 0;
    for (const p of r) {
      const w = r.length === 1 ? width : panelWidth(p, cols);
      out.push(panelSvg(p, cols, x, header + ri * panelH, w));
      x += w + PANEL_GAP;
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
