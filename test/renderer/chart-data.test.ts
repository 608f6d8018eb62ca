import { describe, expect, it } from 'vitest';
import { ChartData, chartGeometry, decimate, niceTicks, type ChartBox } from '../../src/renderer/chart-data';

const BOX: ChartBox = { width: 110, height: 60, left: 10, right: 0, top: 0, bottom: 10 }; // plot 100 x 50

describe('chartGeometry', () => {
  it('scales iterations from 0 to the last and PSNR between the padded extremes', () => {
    const data = new ChartData();
    data.addTrain(0, 20);
    data.addTrain(50, 25);
    data.addTrain(100, 30);
    // y range 20..30 padded by max(0.5, 5%) = 0.5 -> 19.5..30.5 over 50 px
    const g = chartGeometry(data, BOX);
    const y = (db: number) => Math.round((1 - (db - 19.5) / 11) * 50 * 100) / 100;
    expect(g.train).toBe(`M10,${y(20)} L60,${y(25)} L110,${y(30)}`);
    expect(g.empty).toBe(false);
  });

  it('draws test points on the same scales', () => {
    const data = new ChartData();
    data.addTrain(0, 10);
    data.addTrain(200, 30);
    data.addTest(100, 20);
    const g = chartGeometry(data, BOX);
    expect(g.testDots).toEqual([{ x: 60, y: 25 }]);
    expect(g.test).toBe('M60,25');
  });

  it('skips missing values and is empty without data', () => {
    const data = new ChartData();
    data.addTrain(1, null as unknown as number);
    data.addTest(1, NaN);
    expect(chartGeometry(data, BOX)).toMatchObject({ empty: true, train: '', test: '' });
  });

  it('replaces everything with a history', () => {
    const data = new ChartData();
    data.addTrain(5, 12);
    data.replace([{ iteration: 10, trainPSNR: 15 }, { iteration: 20, trainPSNR: 16, testPSNR: 14 }, { iteration: 30 }]);
    expect(data.train).toEqual([
      { x: 10, y: 15 },
      { x: 20, y: 16 },
    ]);
    expect(data.test).toEqual([{ x: 20, y: 14 }]);
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
});
