/**
 * The charts' data and geometry (DOM-free). Per run (the single training, or each comparison
 * entry by its label): train PSNR and loss per step, the running test PSNR (a few views) and the
 * final test PSNR (all the views) per evaluation, kept apart. Scaled into an SVG box as path
 * strings: the PSNR chart draws train as a line, the running test as a line with dots and the
 * final as markers of their own; the loss chart draws the loss on a log scale.
 */
import type { HistoryPoint } from '../protocol/messages';

export interface XY {
  x: number; // iteration
  y: number; // dB, or the loss
}

export interface ChartBox {
  width: number;
  height: number;
  left: number; // margins, pixels
  right: number;
  top: number;
  bottom: number;
}

export interface Tick {
  value: number;
  pos: number; // pixel coordinate along its axis
}

/** One run's series. */
export interface RunSeries {
  train: XY[];
  loss: XY[];
  /** Running evaluations (a few views). */
  test: XY[];
  /** The final evaluation (all the views). */
  final: XY[];
  testViews: number | null;
  finalViews: number | null;
}

export type SeriesKind = 'train' | 'test' | 'final' | 'loss';

export interface SeriesPath {
  run: string;
  /** The run's place among the runs drawn (its colour). */
  index: number;
  kind: SeriesKind;
  /** SVG path `d` ('' for markers only). */
  d: string;
  /** Marked points (test dots, final markers). */
  points: { x: number; y: number }[];
}

export interface ChartGeometry {
  paths: SeriesPath[];
  xTicks: Tick[];
  yTicks: Tick[];
  empty: boolean;
}

export type ChartKind = 'psnr' | 'loss';

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const emptyRun = (): RunSeries => ({ train: [], loss: [], test: [], final: [], testViews: null, finalViews: null });

/** The single training's key; comparison entries are keyed by their labels. */
export const SINGLE_RUN = '';

/** Series of the charts; step and eval events append, a `history` message replaces a run's. */
export class ChartData {
  readonly runs = new Map<string, RunSeries>();

  private run(key: string): RunSeries {
    let r = this.runs.get(key);
    if (!r) {
      r = emptyRun();
      this.runs.set(key, r);
    }
    return r;
  }

  addStep(key: string, iteration: number, psnr: number | null | undefined, loss?: number | null): void {
    const r = this.run(key);
    if (finite(psnr)) r.train.push({ x: iteration, y: psnr });
    if (finite(loss) && loss > 0) r.loss.push({ x: iteration, y: loss });
  }

  addEval(key: string, iteration: number, psnr: number | null | undefined, final: boolean, views?: number): void {
    const r = this.run(key);
    if (!finite(psnr)) return;
    (final ? r.final : r.test).push({ x: iteration, y: psnr });
    if (typeof views === 'number') {
      if (final) r.finalViews = views;
      else r.testViews = views;
    }
  }

  /** Replaces one run's series with a history. */
  replace(key: string, points: readonly HistoryPoint[]): void {
    this.runs.set(key, emptyRun());
    for (const p of points) {
      if (p.trainPSNR !== undefined || p.loss !== undefined) this.addStep(key, p.iteration, p.trainPSNR, p.loss);
      if (p.testPSNR !== undefined) this.addEval(key, p.iteration, p.testPSNR, p.final === true, p.views);
    }
  }

  /** Forgets one run (a comparison entry trained again). */
  clearRun(key: string): void {
    this.runs.set(key, emptyRun());
  }

  clear(): void {
    this.runs.clear();
  }

  /** The newest test PSNR of a run (final or running), if any. */
  lastTest(key: string): number | undefined {
    const r = this.runs.get(key);
    if (!r) return undefined;
    const all = [...r.test, ...r.final].sort((a, b) => a.x - b.x);
    return all.at(-1)?.y;
  }
}

/** Averages consecutive points into at most `max` points (train PSNR per step is long and noisy). */
export function decimate(points: XY[], max: number): XY[] {
  if (points.length <= max) return points;
  const out: XY[] = [];
  const per = points.length / max;
  for (let b = 0; b < max; b++) {
    const lo = Math.floor(b * per);
    const hi = Math.max(lo + 1, Math.floor((b + 1) * per));
    let sx = 0;
    let sy = 0;
    for (let i = lo; i < hi; i++) {
      sx += points[i].x;
      sy += points[i].y;
    }
    out.push({ x: sx / (hi - lo), y: sy / (hi - lo) });
  }
  return out;
}

/** Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi] with about `count` ticks. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const err = raw / pow; // in [1, 10): round to the nearest of 1, 2, 5, 10 (geometrically)
  const step = pow * (err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.sqrt(2) ? 2 : 1);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

/** Tick values of a log-scaled axis over [lo, hi] (values, not logs): powers of ten, with 2 and 5 between when few. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return lo > 0 ? [lo] : [];
  const out: number[] = [];
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const steps = Math.log10(hi / lo) <= 2.5 ? [1, 2, 5] : [1];
  for (let e = e0; e <= e1; e++) {
    for (const m of steps) {
      const v = Number((m * 10 ** e).toPrecision(6));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/**
 * Scales every run's series into the box: x from 0 to the largest iteration; y, for 'psnr', from
 * the smallest to the largest PSNR (padded by 5% of the range, at least 0.5 dB each side), for
 * 'loss', log10 of the loss between its extremes (padded by 5% of the decades). y grows upwards.
 */
export function chartGeometry(data: ChartData, box: ChartBox, kind: ChartKind = 'psnr', maxPoints = 400): ChartGeometry {
  const runs = [...data.runs.entries()];
  const series = (r: RunSeries): [SeriesKind, XY[]][] =>
    kind === 'loss'
      ? [['loss', r.loss.map((p) => ({ x: p.x, y: Math.log10(p.y) }))]]
      : [
          ['train', r.train],
          ['test', r.test],
          ['final', r.final],
        ];
  const all = runs.flatMap(([, r]) => series(r).flatMap(([, pts]) => pts));
  if (all.length === 0) return { paths: [], xTicks: [], yTicks: [], empty: true };
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const xMax = Math.max(1, ...all.map((p) => p.x));
  let yMin = Math.min(...all.map((p) => p.y));
  let yMax = Math.max(...all.map((p) => p.y));
  const pad = kind === 'loss' ? Math.max(0.05, (yMax - yMin) * 0.05) : Math.max(0.5, (yMax - yMin) * 0.05);
  yMin -= pad;
  yMax += pad;
  const sx = (x: number) => box.left + (x / xMax) * plotW;
  const sy = (y: number) => box.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const path = (pts: XY[]) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(' ');
  const paths: SeriesPath[] = [];
  runs.forEach(([run, r], index) => {
    for (const [k, pts] of series(r)) {
      if (pts.length === 0) continue;
      const line = k === 'final' ? '' : path(k === 'train' || k === 'loss' ? decimate(pts, maxPoints) : pts);
      const marked = k === 'test' || k === 'final' ? pts.map((p) => ({ x: sx(p.x), y: sy(p.y) })) : [];
      paths.push({ run, index, kind: k, d: line, points: marked });
    }
  });
  const yTicks =
    kind === 'loss'
      ? logTicks(10 ** yMin, 10 ** yMax).map((value) => ({ value, pos: sy(Math.log10(value)) }))
      : niceTicks(yMin, yMax, 4).map((value) => ({ value, pos: sy(value) }));
  return { paths, xTicks: niceTicks(0, xMax, 4).map((value) => ({ value, pos: sx(value) })), yTicks, empty: false };
}

export interface LegendItem {
  /** 'train' | 'test' | 'final' | 'loss' for a line style, 'run' for a run's colour. */
  kind: SeriesKind | 'run';
  label: string;
  /** The run's colour index (for 'run' items, and for every item of a single run). */
  index: number;
}

/**
 * The legend of a chart: the line styles present, the test ones with their views ("test, 3
 * views" for the running PSNR, "final, 200 views" for the final one), then, for a comparison, one
 * colour per entry.
 */
export function chartLegend(data: ChartData, kind: ChartKind = 'psnr'): LegendItem[] {
  const runs = [...data.runs.entries()];
  const items: LegendItem[] = [];
  const views = (n: number | null) => (n === null ? '' : `, ${n} view${n === 1 ? '' : 's'}`);
  const viewsOf = (pick: (r: RunSeries) => number | null) => {
    const ns = [...new Set(runs.map(([, r]) => pick(r)).filter((n): n is number => n !== null))];
    return ns.length === 1 ? ns[0] : null;
  };
  if (kind === 'loss') {
    if (runs.some(([, r]) => r.loss.length > 0)) items.push({ kind: 'loss', label: 'loss', index: 0 });
  } else {
    if (runs.some(([, r]) => r.train.length > 0)) items.push({ kind: 'train', label: 'train', index: 0 });
    if (runs.some(([, r]) => r.test.length > 0)) items.push({ kind: 'test', label: `test${views(viewsOf((r) => r.testViews))}`, index: 0 });
    if (runs.some(([, r]) => r.final.length > 0))
      items.push({ kind: 'final', label: `final${views(viewsOf((r) => r.finalViews))}`, index: 0 });
  }
  const named = runs.filter(([key]) => key !== SINGLE_RUN);
  if (named.length > 0) runs.forEach(([key], index) => key !== SINGLE_RUN && items.push({ kind: 'run', label: key, index }));
  return items;
}
