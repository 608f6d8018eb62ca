/**
 * Decoder-comparison reports (report.json, report.md, report.html) as pure functions of the
 * recorded runs. Reading the run folders is `readRunRecord` (records.ts); nothing here does I/O
 * except through the `loadImage` callback handed to `reportHtml`.
 */
import type { RunSummary } from '../train/events';

export interface CurvePoint {
  iteration: number;
  testPSNR: number;
}

/** What one finished (or missing / incomplete) run left in its folder. */
export interface RunRecord {
  /** Run folder name, e.g. `mlp-width=119-s20211203`. */
  label: string;
  /** The decoder entry's label (shared by its seeds), e.g. `mlp-width=119`. */
  entry: string;
  decoder: string;
  options: Record<string, string>;
  seed: number;
  /** summary.json, or null when it is missing. */
  summary: (RunSummary & { complete?: boolean }) | null;
  /** Test PSNR over iterations from the 'eval' events of metrics.jsonl (the final one included). */
  curve: CurvePoint[];
  /** renders/test_NNN[_<psnr>dB].png files (render | ground truth | error), by test view id. */
  renders: { view: number; path: string }[];
}

export interface SeedValue {
  seed: number;
  label: string;
  testPSNR: number | null;
  testSSIM: number | null;
  trainSeconds: number | null;
  itsPerSecond: number | null;
  complete: boolean;
}

export interface ReportRow {
  label: string;
  decoder: string;
  options: Record<string, string>;
  decoderWidth: number | null;
  decoderParams: number | null;
  /** summary.json finalTotalParams: parameters on the final grid. */
  finalTotalParams: number | null;
  /** Complete runs / planned runs. */
  runs: number;
  planned: number;
  testPSNR: { mean: number | null; std: number | null };
  testSSIM: { mean: number | null };
  trainSeconds: { mean: number | null };
  itsPerSecond: { mean: number | null };
  /** Thesis Table 6.2 test PSNR for this configuration (thesis preset only), else null. */
  thesisPSNR: number | null;
  seeds: SeedValue[];
  /** Mean test PSNR over the complete seeds at each iteration all of them evaluated. */
  curve: CurvePoint[];
}

export interface Report {
  preset: string;
  seeds: number[];
  rows: ReportRow[];
  curves: { label: string; entry: string; seed: number; points: CurvePoint[] }[];
}

export function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1); null below two values. */
export function std(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Thesis Table 6.2 (Lego, 7000 iterations): test PSNR per decoder configuration. */
export const THESIS_TABLE_6_2 = [
  { name: 'MLP', decoder: 'mlp', width: 128, psnr: 34.01 },
  { name: 'MLP width 119', decoder: 'mlp', width: 119, psnr: 33.93 },
  { name: 'SIREN', decoder: 'siren', width: 128, psnr: 32.11 },
  { name: 'SplitNet 45', decoder: 'splitnet', width: 45, psnr: 34.16 },
  { name: 'SplitNet 42', decoder: 'splitnet', width: 42, psnr: 34.0 },
] as const;

const DEFAULT_WIDTH: Record<string, number> = { mlp: 128, siren: 128, splitnet: 45 };

/** The thesis value for a decoder with only (at most) a width option; null otherwise. */
export function thesisPSNR(decoder: string, options: Record<string, string>, width: number | null): number | null {
  if (Object.keys(options).some((k) => k !== 'width')) return null;
  const w = width ?? (options.width !== undefined ? Number(options.width) : DEFAULT_WIDTH[decoder]);
  const hit = THESIS_TABLE_6_2.find((t) => t.decoder === decoder && t.width === (w === 0 ? DEFAULT_WIDTH[decoder] : w));
  return hit ? hit.psnr : null;
}

function finite(x: number | undefined | null): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function meanCurve(curves: CurvePoint[][]): CurvePoint[] {
  if (curves.length === 0) return [];
  const maps = curves.map((c) => new Map(c.map((p) => [p.iteration, p.testPSNR])));
  const its = [...maps[0].keys()].filter((it) => maps.every((m) => finite(m.get(it)))).sort((a, b) => a - b);
  return its.map((iteration) => ({ iteration, testPSNR: mean(maps.map((m) => m.get(iteration)!))! }));
}

/** Groups runs by entry (in first-seen order) and summarises each over its seeds. */
export function buildReport(records: RunRecord[], preset: string, seeds: number[]): Report {
  const entries: string[] = [];
  for (const r of records) if (!entries.includes(r.entry)) entries.push(r.entry);
  const rows = entries.map((entry): ReportRow => {
    const runs = records.filter((r) => r.entry === entry);
    const done = runs.filter((r) => r.summary?.complete === true && finite(r.summary.testPSNR));
    const any = runs.find((r) => r.summary) ?? runs[0];
    const s = any.summary;
    const seedValues: SeedValue[] = runs.map((r) => {
      const rs = r.summary;
      const ok = rs?.complete === true;
      return {
        seed: r.seed,
        label: r.label,
        testPSNR: ok && finite(rs!.testPSNR) ? rs!.testPSNR : null,
        testSSIM: ok && finite(rs!.testSSIM) ? rs!.testSSIM : null,
        trainSeconds: ok ? rs!.trainSeconds : null,
        itsPerSecond: ok && rs!.trainSeconds > 0 ? rs!.iterations / rs!.trainSeconds : null,
        complete: ok,
      };
    });
    const vals = (f: (v: SeedValue) => number | null) => seedValues.map(f).filter(finite);
    return {
      label: entry,
      decoder: any.decoder,
      options: any.options,
      decoderWidth: s ? s.decoderWidth : null,
      decoderParams: s ? s.decoderParams : null,
      finalTotalParams: s ? finalTotalParams(s) : null,
      runs: done.length,
      planned: runs.length,
      testPSNR: { mean: mean(vals((v) => v.testPSNR)), std: std(vals((v) => v.testPSNR)) },
      testSSIM: { mean: mean(vals((v) => v.testSSIM)) },
      trainSeconds: { mean: mean(vals((v) => v.trainSeconds)) },
      itsPerSecond: { mean: mean(vals((v) => v.itsPerSecond)) },
      thesisPSNR: preset === 'thesis' ? thesisPSNR(any.decoder, any.options, s ? s.decoderWidth : null) : null,
      seeds: seedValues,
      curve: meanCurve(done.map((r) => r.curve)),
    };
  });
  return { preset, seeds, rows, curves: records.map((r) => ({ label: r.label, entry: r.entry, seed: r.seed, points: r.curve })) };
}

/** A summary's final parameter count; summaries written before it was named so call it totalParams. */
function finalTotalParams(s: RunSummary): number | null {
  const n = s.finalTotalParams ?? (s as { totalParams?: unknown }).totalParams;
  return typeof n === 'number' ? n : null;
}

const fmt = (x: number | null, digits: number): string => (x === null ? '–' : x.toFixed(digits));
const fmtInt = (x: number | null): string => (x === null ? '–' : String(x));

function psnrCell(r: ReportRow): string {
  if (r.testPSNR.mean === null) return 'missing';
  return r.testPSNR.std === null ? r.testPSNR.mean.toFixed(2) : `${r.testPSNR.mean.toFixed(2)} ± ${r.testPSNR.std.toFixed(2)}`;
}

function tableCells(report: Report): { head: string[]; rows: string[][] } {
  const thesis = report.preset === 'thesis';
  const head = [
    'decoder',
    'decoder params',
    'total params (final grid)',
    'test PSNR (dB)',
    ...(thesis ? ['thesis Table 6.2'] : []),
    'test SSIM',
    'train s',
    'it/s',
    'runs',
  ];
  const rows = report.rows.map((r) => [
    r.label,
    fmtInt(r.decoderParams),
    fmtInt(r.finalTotalParams),
    psnrCell(r),
    ...(thesis ? [fmt(r.thesisPSNR, 2)] : []),
    fmt(r.testSSIM.mean, 4),
    fmt(r.trainSeconds.mean, 1),
    fmt(r.itsPerSecond.mean, 2),
    `${r.runs}/${r.planned}`,
  ]);
  return { head, rows };
}

/** report.md: one table row per decoder entry. */
export function reportMarkdown(report: Report): string {
  const { head, rows } = tableCells(report);
  const seedNote = report.seeds.length > 1 ? `mean ± sample std over seeds ${report.seeds.join(', ')}` : `seed ${report.seeds.join(', ')}`;
  const lines = [
    `# Decoder comparison (preset ${report.preset})`,
    '',
    `Test PSNR: ${seedNote}. "runs" counts complete runs out of those planned; a missing run shows "missing".`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  if (report.preset === 'thesis')
    lines.push('', 'Thesis Table 6.2: MLP 34.01, MLP width 119 33.93, SIREN 32.11, SplitNet 45 34.16, SplitNet 42 34.00 dB.');
  return `${lines.join('\n')}\n`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Inline SVG line chart of (mean) test PSNR against iteration, one line per entry. */
export function psnrChartSvg(report: Report, width = 640, height = 320): string {
  const series = report.rows.filter((r) => r.curve.length > 0);
  const pad = { l: 50, r: 150, t: 20, b: 40 };
  const pts = series.flatMap((r) => r.curve);
  const open = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`;
  if (pts.length === 0) return `${open}<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no test PSNR recorded</text></svg>`;
  const x0 = 0;
  const x1 = Math.max(...pts.map((p) => p.iteration), 1);
  let y0 = Math.floor(Math.min(...pts.map((p) => p.testPSNR)));
  let y1 = Math.ceil(Math.max(...pts.map((p) => p.testPSNR)));
  if (y1 <= y0) {
    y0 -= 1;
    y1 += 1;
  }
  const W = width - pad.l - pad.r;
  const H = height - pad.t - pad.b;
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * W;
  const sy = (y: number) => pad.t + H - ((y - y0) / (y1 - y0)) * H;
  const parts = [open, `<rect x="${pad.l}" y="${pad.t}" width="${W}" height="${H}" fill="none" stroke="#999"/>`];
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<line x1="${pad.l}" x2="${pad.l + W}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${pad.l - 4}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${y.toFixed(1)}</text>`);
    const x = x0 + ((x1 - x0) * i) / 4;
    parts.push(`<text x="${sx(x).toFixed(1)}" y="${pad.t + H + 15}" text-anchor="middle">${Math.round(x)}</text>`);
  }
  parts.push(`<text x="${pad.l + W / 2}" y="${height - 5}" text-anchor="middle">iteration</text>`);
  parts.push(`<text x="12" y="${pad.t + H / 2}" text-anchor="middle" transform="rotate(-90 12 ${pad.t + H / 2})">test PSNR (dB)</text>`);
  series.forEach((r, i) => {
    const c = COLOURS[i % COLOURS.length];
    const d = r.curve.map((p, k) => `${k === 0 ? 'M' : 'L'}${sx(p.iteration).toFixed(1)},${sy(p.testPSNR).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const p of r.curve)
      parts.push(`<circle cx="${sx(p.iteration).toFixed(1)}" cy="${sy(p.testPSNR).toFixed(1)}" r="2.5" fill="${c}"/>`);
    const ly = pad.t + 12 + 16 * i;
    parts.push(`<line x1="${pad.l + W + 10}" x2="${pad.l + W + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${c}" stroke-width="2"/>`);
    parts.push(`<text x="${pad.l + W + 34}" y="${ly}">${escapeHtml(r.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Up to `max` test views that every entry rendered (first complete seed of each), with the files:
 * view -> [{entry label, path}].
 */
export function sharedRenders(records: RunRecord[], max = 3): { view: number; images: { label: string; path: string }[] }[] {
  const entries: string[] = [];
  for (const r of records) if (!entries.includes(r.entry)) entries.push(r.entry);
  const pick = entries
    .map((e) => records.find((r) => r.entry === e && r.summary?.complete === true && r.renders.length > 0))
    .filter((r): r is RunRecord => r !== undefined);
  if (pick.length === 0) return [];
  const views = pick[0].renders.map((x) => x.view).filter((v) => pick.every((r) => r.renders.some((x) => x.view === v)));
  views.sort((a, b) => a - b);
  const chosen = views.length <= max ? views : Array.from({ length: max }, (_, i) => views[Math.floor((i * views.length) / max)]);
  return chosen.map((view) => ({
    view,
    images: pick.map((r) => ({ label: r.entry, path: r.renders.find((x) => x.view === view)!.path })),
  }));
}

/** report.html: self-contained (inline CSS, SVG and base64 PNGs). `loadImage` returns a file's bytes or null. */
export function reportHtml(report: Report, records: RunRecord[], loadImage: (path: string) => Uint8Array | null): string {
  const { head, rows } = tableCells(report);
  const table = [
    '<table>',
    `<tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`,
    ...rows.map(
      (r) => `<tr>${r.map((c, i) => (i === 0 ? `<td>${escapeHtml(c)}</td>` : `<td class="n">${escapeHtml(c)}</td>`)).join('')}</tr>`,
    ),
    '</table>',
  ].join('\n');
  const views = sharedRenders(records).map(({ view, images }) => {
    const figs = images.map(({ label, path }) => {
      const bytes = loadImage(path);
      const img = bytes
        ? `<img src="data:image/png;base64,${Buffer.from(bytes).toString('base64')}" alt="${escapeHtml(label)} view ${view}">`
        : '<em>missing</em>';
      return `<figure>${img}<figcaption>${escapeHtml(label)}</figcaption></figure>`;
    });
    return `<h3>Test view ${view}</h3>\n<p class="note">each image: render | ground truth | error</p>\n<div class="views">${figs.join('\n')}</div>`;
  });
  const seedNote = report.seeds.length > 1 ? `mean ± sample std over seeds ${report.seeds.join(', ')}` : `seed ${report.seeds.join(', ')}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Decoder comparison (${escapeHtml(report.preset)})</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}
.views{display:flex;flex-direction:column;gap:8px}figure{margin:0}img{image-rendering:pixelated;width:480px;max-width:100%}
figcaption,.note{font-size:12px;color:#555}
</style></head><body>
<h1>Decoder comparison (preset ${escapeHtml(report.preset)})</h1>
<p class="note">Test PSNR: ${escapeHtml(seedNote)}.</p>
${table}
<h2>Test PSNR over iterations</h2>
<p class="note">Running test PSNR on the --vis-views preview views; the last point of each line is the final evaluation (all --eval-views views). Mean over complete seeds.</p>
${psnrChartSvg(report)}
<h2>Renders</h2>
${views.length > 0 ? views.join('\n') : '<p>no shared test renders</p>'}
</body></html>
`;
}
