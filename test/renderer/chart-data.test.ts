import { describe, expect, it } from 'vitest';
import {
  ChartData,
  chartGeometry,
  chartLegend,
  decimate,
  logTicks,
  niceTicks,
  SINGLE_RUN,
  type ChartBox,
} from '../../src/renderer/chart-data';

const BOX: ChartBox = { width: 110, height: 60, left: 10, right: 0, top: 0, bottom: 10 }; // plot 100 x 50
const path = (g: ReturnType<typeof chartGeometry>, kind: string, run = SINGLE_RUN) => g.paths.find((p) => p.kind === kind && p.run === run);

describe('chartGeometry', () => {
  it('scales iterations from 0 to the last and PSNR between the padded extremes', () => {
    const data = new ChartData();
    data.addStep(SINGLE_RUN, 0, 20);
    data.addStep(SINGLE_RUN, 50, 25);
    data.addStep(SINGLE_RUN, 100, 30);
    // y range 20..30 padded by max(0.5, 5%) = 0.5 -> 19.5..30.5 over 50 px
    const g = chartGeometry(data, BOX);
    const y = (db: number) => Math.round((1 - (db - 19.5) / 11) * 50 * 100) / 100;
    expect(path(g, 'train')?.d).toBe(`M10,${y(20)} L60,${y(25)} L110,${y(30)}`);
    expect(g.empty).toBe(false);
  });

  it('draws the running test PSNR as a line with dots and the final one as markers of its own, not joined', () => {
    const data = new ChartData();
    data.addStep(SINGLE_RUN, 0, 10);
    data.addStep(SINGLE_RUN, 200, 30);
    data.addEval(SINGLE_RUN, 100, 20, false, 3);
    data.addEval(SINGLE_RUN, 200, 25, true, 200);
    const g = chartGeometry(data, BOX);
    // y range 10..30 padded by 5% (1 dB) -> 9..31 over 50 px
    const y = (db: number) => (1 - (db - 9) / 22) * 50;
    expect(path(g, 'test')).toMatchObject({ d: 'M60,25', points: [{ x: 60, y: y(20) }] });
    expect(path(g, 'final')?.d).toBe(''); // a marker, no line from the running one
    expect(path(g, 'final')?.points).toEqual([{ x: 110, y: y(25) }]);
  });

  it("draws every comparison entry's curves, each its own colour index", () => {
    const data = new ChartData();
    data.addStep('mlp', 10, 12, 0.05);
    data.addStep('siren', 10, 14, 0.04);
    data.addEval('siren', 10, 13, true, 20);
    const g = chartGeometry(data, BOX);
    expect(g.paths.map((p) => `${p.run}:${p.kind}:${p.index}`)).toEqual(['mlp:train:0', 'siren:train:1', 'siren:final:1']);
    expect(chartGeometry(data, BOX, 'loss').paths.map((p) => `${p.run}:${p.kind}`)).toEqual(['mlp:loss', 'siren:loss']);
  });

  it('draws the loss on a log scale', () => {
    const data = new ChartData();
    data.addStep(SINGLE_RUN, 0, 10, 0.1);
    data.addStep(SINGLE_RUN, 100, 20, 0.001);
    const g = chartGeometry(data, BOX, 'loss');
    // log10: -1 .. -3, padded by max(0.05, 0.1) = 0.1 -> -3.1 .. -0.9 over 50 px
    const y = (l: number) => Math.round((1 - (Math.log10(l) + 3.1) / 2.2) * 50 * 100) / 100;
    expect(path(g, 'loss')?.d).toBe(`M10,${y(0.1)} L110,${y(0.001)}`);
    expect(g.yTicks.map((t) => t.value)).toEqual([0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]);
  });

  it('skips missing values and is empty without data', () => {
    const data = new ChartData();
    data.addStep(SINGLE_RUN, 1, null as unknown as number, NaN);
    data.addEval(SINGLE_RUN, 1, NaN, false);
    expect(chartGeometry(data, BOX)).toMatchObject({ empty: true, paths: [] });
    expect(chartGeometry(data, BOX, 'loss')).toMatchObject({ empty: true, paths: [] });
  });

  it("replaces a run's series with a history, keeping running and final evaluations apart", () => {
    const data = new ChartData();
    data.addStep(SINGLE_RUN, 5, 12);
    data.addStep('mlp', 5, 11);
    data.replace(SINGLE_RUN, [
      { iteration: 10, trainPSNR: 15, loss: 0.03 },
      { iteration: 20, trainPSNR: 16 },
      { iteration: 20, testPSNR: 14, final: false, views: 3 },
      { iteration: 20, testPSNR: 14.5, final: true, views: 200 },
      { iteration: 30 },
    ]);
    const r = data.runs.get(SINGLE_RUN)!;
    expect(r.train).toEqual([
      { x: 10, y: 15 },
      { x: 20, y: 16 },
    ]);
    expect(r.loss).toEqual([{ x: 10, y: 0.03 }]);
    expect(r.test).toEqual([{ x: 20, y: 14 }]);
    expect(r.final).toEqual([{ x: 20, y: 14.5 }]);
    expect(data.runs.get('mlp')?.train).toHaveLength(1);
    expect(data.lastTest(SINGLE_RUN)).toBe(14.5);
  });
});

describe('chart legend', () => {
  it('labels the series, the test ones with their views', () => {
    const data = new ChartData();
    data.addStep(SINGLE_RUN, 1, 10, 0.1);
    data.addEval(SINGLE_RUN, 50, 15, false, 3);
    data.addEval(SINGLE_RUN, 100, 18, true, 200);
    expect(chartLegend(data).map((i) => i.label)).toEqual(['train', 'test, 3 views', 'final, 200 views']);
    expect(chartLegend(data, 'loss').map((i) => i.label)).toEqual(['loss']);
  });

  it('names each comparison entry', () => {
    const data = new ChartData();
    data.addStep('mlp', 1, 10);
    data.addStep('siren', 1, 11);
    expect(chartLegend(data).map((i) => `${i.kind}:${i.label}:${i.index}`)).toEqual(['train:train:0', 'run:mlp:0', 'run:siren:1']);
  });
});

describe('decimate and ticks', () => {
  it('averages buckets down to the maximum count', () => {
    const pts = Array.from({ length: 10 }, (_, i) => ({ x: i, y: i * 2 }));
    expect(decimate(pts, 20)).toBe(pts);
    expect(decimate(pts, 5)).toEqual([
      { x: 0.5, y: 1 },
      { x: 2.5, y: 5 },
      { x: 4.5, y: 9 },
      { x: 6.5, y: 13 },
      { x: 8.5, y: 17 },
    ]);
  });

  it('picks round tick values inside the range', () => {
    expect(niceTicks(0, 1000, 4)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(niceTicks(0, 7000, 4)).toEqual([0, 2000, 4000, 6000]);
    expect(niceTicks(19.5, 30.5, 4)).toEqual([20, 22, 24, 26, 28, 30]);
    expect(niceTicks(0.1, 0.75, 3)).toEqual([0.2, 0.4, 0.6]);
  });

  it('puts log ticks at powers of ten (and 2, 5 between over few decades)', () => {
    expect(logTicks(0.003, 0.06)).toEqual([0.005, 0.01, 0.02, 0.05]);
    expect(logTicks(0.0001, 1)).toEqual([0.0001, 0.001, 0.01, 0.1, 1]);
  });
});
