/**
 * The PSNR chart's data and geometry (DOM-free): train PSNR per step and test PSNR per
 * evaluation over iterations, scaled into an SVG box as path strings.
 */
import type { HistoryPoint } from '../protocol/messages';

export interface XY {
  x: number; // iteration
  y: number; // dB
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

export interface ChartGeometry {
  train: string; // SVG path `d`
  test: string;
  testDots: { x: number; y: number }[];
  xTicks: Tick[];
  yTicks: Tick[];
  empty: boolean;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Series of the chart; step events append, a `history` message replaces everything. */
export class ChartData {
  train: XY[] = [];
  test: XY[] = [];

  addTrain(iteration: number, psnr: number | null | undefined): void {
    if (finite(psnr)) this.train.push({ x: iteration, y: psnr });
  }

  addTest(iteration: number, psnr: number | null | undefined): void {
    if (finite(psnr)) this.test.push({ x: iteration, y: psnr });
  }

  replace(points: HistoryPoint[]): void {
    this.train = [];
    this.test = [];
    for (const p of points) {
      this.addTrain(p.iteration, p.trainPSNR);
      this.addTest(p.iteration, p.testPSNR);
    }
  }

  clear(): void {
    this.train = [];
    this.test = [];
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

/**
 * Scales the series into the box: x from 0 to the largest iteration, y from the smallest to the
 * largest PSNR (padded by 5% of the range, at least 0.5 dB each side). y grows upwards.
 */
export function chartGeometry(data: { train: XY[]; test: XY[] }, box: ChartBox, maxPoints = 400): ChartGeometry {
  const train = decimate(data.train, maxPoints);
  const all = [...data.train, ...data.test];
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  if (all.length === 0) return { train: '', test: '', testDots: [], xTicks: [], yTicks: [], empty: true };
  const xMax = Math.max(1, ...all.map((p) => p.x));
  let yMin = Math.min(...all.map((p) => p.y));
  let yMax = Math.max(...all.map((p) => p.y));
  const pad = Math.max(0.5, (yMax - yMin) * 0.05);
  yMin -= pad;
  yMax += pad;
  const sx = (x: number) => box.left + (x / xMax) * plotW;
  const sy = (y: number) => box.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const path = (pts: XY[]) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(' ');
  return {
    train: path(train),
    test: path(data.test),
    testDots: data.test.map((p) => ({ x: sx(p.x), y: sy(p.y) })),
    xTicks: niceTicks(0, xMax, 4).map((value) => ({ value, pos: sx(value) })),
    yTicks: niceTicks(yMin, yMax, 4).map((value) => ({ value, pos: sy(value) })),
    empty: false,
  };
}
