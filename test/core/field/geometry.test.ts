/** Box / resolution / sample-count formulas of DESIGN.md section 4 against hand-computed values. */
import { describe, expect, it } from 'vitest';
import {
  type Box,
  LEGO_BOX,
  nSamplesEval,
  nSamplesTrain,
  nToReso,
  rayBox,
  stepSize,
  upsampleVoxelCounts,
} from '../../../src/core/field/geometry';

describe('nToReso', () => {
  it('128^3 voxels in the [-1.5, 1.5]^3 box -> 128 per side (no round-off to 127)', () => {
    // voxel = cbrt(27 / 128^3) = 3 / 128, side = 3 / (3 / 128) = 128
    expect(nToReso(128 ** 3, LEGO_BOX)).toEqual([128, 128, 128]);
    expect(nToReso(300 ** 3, LEGO_BOX)).toEqual([300, 300, 300]);
  });

  it('non-cubic box: sizes 3 x 1.5 x 0.75 with 64*32*16 voxels -> [64, 32, 16]', () => {
    // volume 3.375, voxel = cbrt(3.375 / 32768) = 1.5 / 32 = 0.046875; 3 / v = 64, 1.5 / v = 32, 0.75 / v = 16
    const box: Box = { min: [-1, 0, 2], max: [2, 1.5, 2.75] };
    expect(nToReso(64 * 32 * 16, box)).toEqual([64, 32, 16]);
  });

  it('non-cubic box, inexact: sizes 2 x 1 x 1 with 1000 voxels floors per axis -> [15, 7, 7]', () => {
    // voxel = cbrt(2 / 1000) = 0.125992; 2 / v = 15.874, 1 / v = 7.937
    const box: Box = { min: [0, 0, 0], max: [2, 1, 1] };
    expect(nToReso(1000, box)).toEqual([15, 7, 7]);
  });
});

describe('stepSize', () => {
  it('128^3 lego box, ratio 0.5: 3 / 127 * 0.5', () => {
    expect(stepSize(LEGO_BOX, [128, 128, 128], 0.5)).toBeCloseTo(1.5 / 127, 14);
  });
  it('is the mean over axes of size / (res - 1), times the ratio', () => {
    // units: 3 / 63, 1.5 / 31, 0.75 / 15 = 0.047619, 0.048387, 0.05; mean 0.048669; * 0.5
    const box: Box = { min: [-1, 0, 2], max: [2, 1.5, 2.75] };
    const want = ((3 / 63 + 1.5 / 31 + 0.75 / 15) / 3) * 0.5;
    expect(stepSize(box, [64, 32, 16], 0.5)).toBeCloseTo(want, 14);
    expect(want).toBeCloseTo(0.0243344, 6);
  });
});

describe('sample counts', () => {
  it('training: int(|reso| / ratio) = 443 at 128^3, 1039 at 300^3', () => {
    // 128 * sqrt(3) / 0.5 = 443.40; 300 * sqrt(3) / 0.5 = 1039.23
    expect(nSamplesTrain([128, 128, 128], 0.5)).toBe(443);
    expect(nSamplesTrain([300, 300, 300], 0.5)).toBe(1039);
  });

  it('evaluation: int(|box diagonal| / step) + 1', () => {
    // 128^3: diag 3 sqrt(3) = 5.196152, step 1.5 / 127 = 0.011811 -> 439.94 -> 439 + 1 = 440
    // 300^3: step 1.5 / 299 = 0.0050167 -> 1035.77 -> 1035 + 1 = 1036
    expect(nSamplesEval(LEGO_BOX, stepSize(LEGO_BOX, [128, 128, 128], 0.5))).toBe(440);
    expect(nSamplesEval(LEGO_BOX, stepSize(LEGO_BOX, [300, 300, 300], 0.5))).toBe(1036);
  });
});

describe('upsampleVoxelCounts', () => {
  it('128 -> 300 in 5 steps = round(exp(linspace(ln 128^3, ln 300^3, 6)))[1:]', () => {
    const a = Math.log(128 ** 3);
    const b = Math.log(300 ** 3);
    const linspace = Array.from({ length: 6 }, (_, i) => a + ((b - a) * i) / 5);
    const want = linspace.map((x) => Math.round(Math.exp(x))).slice(1);
    const got = upsampleVoxelCounts(128, 300, 5);
    expect(got).toEqual(want);
    // sides grow by (300/128)^(1/5) = 1.1855 per step: 151.7^3, 179.9^3, 213.3^3, 252.9^3, 300^3
    expect(got[got.length - 1]).toBe(300 ** 3);
    expect(got.map((n) => Math.round(Math.cbrt(n)))).toEqual([152, 180, 213, 253, 300]);
    expect(nToReso(got[0], LEGO_BOX)).toEqual([151, 151, 151]);
  });
});

describe('rayBox', () => {
  const hit = (o: number[], d: number[]) => rayBox(o, 0, d, 0, LEGO_BOX);

  it('along -z from (0, 0, 4): enters at 2.5, leaves at 5.5 (zero components -> 1e-6)', () => {
    const [a, b] = hit([0, 0, 4], [0, 0, -1]);
    expect(a).toBeCloseTo(2.5, 12);
    expect(b).toBeCloseTo(5.5, 12);
  });

  it('diagonal from (-3, -3, -3) along (1, 1, 1)/sqrt(3): t = 1.5 sqrt(3) .. 4.5 sqrt(3)', () => {
    const s = 1 / Math.sqrt(3);
    const [a, b] = hit([-3, -3, -3], [s, s, s]);
    expect(a).toBeCloseTo(1.5 * Math.sqrt(3), 12);
    expect(b).toBeCloseTo(4.5 * Math.sqrt(3), 12);
  });

  it('offsets into packed arrays', () => {
    const o = [9, 9, 9, 0, 0, 4];
    const d = [9, 9, 9, 9, 0, 0, -1];
    const [a, b] = rayBox(o, 3, d, 4, LEGO_BOX);
    expect([a, b]).toEqual([2.5, 5.5]);
  });

  it('a ray parallel to a slab and outside it misses (exit <= entry)', () => {
    // y slab: (1.5 - 3) / 1e-6 = -1.5e6, (-1.5 - 3) / 1e-6 = -4.5e6 -> exit -1.5e6 < entry
    const [a, b] = hit([0, 3, 4], [0, 0, -1]);
    expect(b).toBeLessThanOrEqual(a);
  });

  it('a slanted ray passing beside the box misses', () => {
    const s = 1 / Math.sqrt(2);
    const [a, b] = hit([-4, 2, 0], [s, s, 0]);
    expect(b).toBeLessThanOrEqual(a);
  });

  it('origin inside the box: entry is negative', () => {
    const [a, b] = hit([0.5, 0, 0], [1, 0, 0]);
    expect(a).toBeCloseTo(-2, 12);
    expect(b).toBeCloseTo(1, 12);
  });
});
