/**
 * Upsampling and shrinking (resample.ts). Upsampling = F.interpolate(align_corners=True):
 * out[i] = in at position i (n - 1) / (m - 1), bilinear on planes [C, H, W], linear on lines.
 * Shrinking = TensoRF's shrink(): tl = round((min - aabb0) / units), br = min(round((max - aabb0)
 * / units) + 1, reso), factors cropped to [tl, br), snapped box = lerp of the old box at
 * tl / (reso - 1) and (br - 1) / (reso - 1).
 */
import { describe, expect, it } from 'vitest';
import { type Box, LEGO_BOX, type Vec3 } from '../../../src/core/field/geometry';
import { resizeAxis, shrinkField, upsampleField } from '../../../src/core/field/resample';
import { appFactors, createField, densityFactors, type VMField } from '../../../src/core/field/vm';
import { vmForward } from '../../../src/core/field/vm-kernels';
import { Rng } from '../../../src/core/random';
import { bilinear, densityGrid, lerpAt, linear, maxAbsDiff, normalised, toCHW, toCL, trilinear } from '../naive';

function field(reso: Vec3, seed: number, box: Box = LEGO_BOX): VMField {
  return createField({ box, reso, densityComps: 3, appComps: 2, appDim: 4 }, new Rng(seed));
}

const density = (f: VMField, pts: Vec3[]) => vmForward(densityFactors(f), Float32Array.from(pts.flat()), pts.length, 'sum');
const appFeat = (f: VMField, pts: Vec3[]) => vmForward(appFactors(f), Float32Array.from(pts.flat()), pts.length, 'products');

function lattice(reso: Vec3): Vec3[] {
  const pts: Vec3[] = [];
  for (let k = 0; k < reso[2]; k++)
    for (let j = 0; j < reso[1]; j++)
      for (let i = 0; i < reso[0]; i++) pts.push([i, j, k].map((v, a) => (2 * v) / (reso[a] - 1) - 1) as Vec3);
  return pts;
}

describe('resizeAxis', () => {
  it('hand example: [0, 1, 4] (n = 3) -> m = 5 at positions 0, 0.5, 1, 1.5, 2 = [0, 0.5, 1, 2.5, 4]', () => {
    expect(Array.from(resizeAxis(Float32Array.from([0, 1, 4]), 1, 3, 1, 5))).toEqual([0, 0.5, 1, 2.5, 4]);
  });

  it('matches out[i] = in at i (n - 1) / (m - 1), per outer block and inner channel', () => {
    const rng = new Rng(1);
    for (const [outer, n, inner, m] of [
      [2, 4, 3, 7],
      [1, 5, 2, 9],
      [3, 6, 1, 4], // downsampling too
      [1, 2, 5, 2],
    ]) {
      const src = Float32Array.from({ length: outer * n * inner }, () => rng.uniform(-1, 1));
      const got = resizeAxis(src, outer, n, inner, m);
      const want: number[] = [];
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < m; i++)
          for (let c = 0; c < inner; c++) want.push(lerpAt(src, o * n * inner + c, inner, n, (i * (n - 1)) / (m - 1)));
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    }
  });
});

describe('upsampleField', () => {
  it('planes and lines = aligned-corner bilinear / linear of the old ones ([C, H, W] layout)', () => {
    const f = field([4, 3, 5], 2);
    const old = {
      planes: f.densityPlanes.map((p) => ({ data: p.data, shape: p.shape })),
      lines: f.densityLines.map((p) => ({ data: p.data, shape: p.shape })),
    };
    const reso: Vec3 = [7, 6, 8];
    upsampleField(f, reso);
    expect(f.reso).toEqual(reso);
    const C = 3;
    for (let p = 0; p < 3; p++) {
      const [h, w] = old.planes[p].shape;
      const [H, W] = f.densityPlanes[p].shape;
      expect(f.appPlanes[p].shape).toEqual([H, W, 2]);
      const src = toCHW(old.planes[p].data, h, w, C);
      const got = toCHW(f.densityPlanes[p].data, H, W, C);
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const want = bilinear(src, C, h, w, c, (2 * x) / (W - 1) - 1, (2 * y) / (H - 1) - 1);
            expect(Math.abs(got[c * H * W + y * W + x] - want)).toBeLessThan(1e-6);
          }
      const [l] = old.lines[p].shape;
      const [L] = f.densityLines[p].shape;
      const lsrc = toCL(old.lines[p].data, l, C);
      const lgot = toCL(f.densityLines[p].data, L, C);
      for (let c = 0; c < C; c++)
        for (let i = 0; i < L; i++) expect(Math.abs(lgot[c * L + i] - linear(lsrc, l, c, (2 * i) / (L - 1) - 1))).toBeLessThan(1e-6);
    }
    expect(f.densityPlanes.map((p) => p.shape)).toEqual([
      [6, 7, 3],
      [8, 7, 3],
      [8, 6, 3],
    ]);
    expect(f.densityLines.map((p) => p.shape)).toEqual([
      [8, 3],
      [6, 3],
      [7, 3],
    ]);
  });

  it('5 -> 9: density and appearance at the old lattice points are unchanged', () => {
    // (9 - 1) = 2 (5 - 1): old lattice point i is new lattice point 2i, where the resized factors
    // take the old values exactly.
    const f = field([5, 5, 5], 3);
    const pts = lattice([5, 5, 5]);
    const d0 = density(f, pts);
    const a0 = appFeat(f, pts);
    upsampleField(f, [9, 9, 9]);
    expect(maxAbsDiff(density(f, pts), d0)).toBeLessThan(1e-5);
    expect(maxAbsDiff(appFeat(f, pts), a0)).toBeLessThan(1e-5);
  });

  it('any size: density at the new lattice points = trilinear of the old dense grid there', () => {
    // bilinear(plane) * linear(line) at the new lattice point = trilinear of G_{p,c} of the old grid
    const f = field([4, 3, 5], 4);
    const g = densityGrid(densityFactors(f));
    const reso: Vec3 = [7, 6, 8];
    upsampleField(f, reso);
    const pts = lattice(reso);
    const got = density(f, pts);
    expect(
      maxAbsDiff(
        got,
        pts.map((x) => trilinear(g, x)),
      ),
    ).toBeLessThan(1e-5);
  });
});

describe('shrinkField', () => {
  // reso [7, 9, 5] over [-1.5, 1.5]^3: units 0.5, 0.375, 0.75
  // new box min (-0.6, -1.0, -0.2), max (0.9, 1.2, 1.5):
  //   tl = round(0.9 / 0.5, 0.5 / 0.375, 1.3 / 0.75) = round(1.8, 1.33, 1.73) = (2, 1, 2)
  //   br = round(2.4 / 0.5, 2.7 / 0.375, 3.0 / 0.75) + 1 = (5, 7, 4) + 1 = (6, 8, 5), clamped to reso -> (6, 8, 5)
  //   new reso = br - tl = (4, 7, 3)
  //   snapped box: min = -1.5 + 3 (2/6, 1/8, 2/4) = (-0.5, -1.125, 0); max = -1.5 + 3 (5/6, 7/8, 4/4) = (1, 1.125, 1.5)
  const reso: Vec3 = [7, 9, 5];
  const newBox: Box = { min: [-0.6, -1.0, -0.2], max: [0.9, 1.2, 1.5] };
  const tl = [2, 1, 2];
  const br = [6, 8, 5];

  it('crop indices, new reso and the snapped box', () => {
    const f = field(reso, 5);
    const before = f.densityPlanes.map((p) => toCHW(p.data, p.shape[0], p.shape[1], 3));
    const beforeLines = f.densityLines.map((p) => toCL(p.data, p.shape[0], 3));
    shrinkField(f, newBox, true);
    expect(f.reso).toEqual([4, 7, 3]);
    [-0.5, -1.125, 0].forEach((v, a) => expect(f.box.min[a]).toBeCloseTo(v, 12));
    [1, 1.125, 1.5].forEach((v, a) => expect(f.box.max[a]).toBeCloseTo(v, 12));
    // plane 0 (XY): [H = y, W = x]; crop rows tl_y..br_y, cols tl_x..br_x
    const mat = [
      [0, 1],
      [0, 2],
      [1, 2],
    ];
    const vec = [2, 1, 0];
    for (let p = 0; p < 3; p++) {
      const [m0, m1] = mat[p];
      const [h, w] = [reso[m1], reso[m0]];
      const [H, W] = f.densityPlanes[p].shape;
      expect([H, W]).toEqual([br[m1] - tl[m1], br[m0] - tl[m0]]);
      const got = toCHW(f.densityPlanes[p].data, H, W, 3);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) expect(got[c * H * W + y * W + x]).toBe(before[p][c * h * w + (y + tl[m1]) * w + (x + tl[m0])]);
      const L = f.densityLines[p].shape[0];
      expect(L).toBe(br[vec[p]] - tl[vec[p]]);
      const lg = toCL(f.densityLines[p].data, L, 3);
      for (let c = 0; c < 3; c++) for (let i = 0; i < L; i++) expect(lg[c * L + i]).toBe(beforeLines[p][c * reso[vec[p]] + i + tl[vec[p]]]);
      expect(f.appPlanes[p].shape).toEqual([H, W, 2]);
      expect(f.appLines[p].shape).toEqual([L, 2]);
    }
  });

  it('density and appearance at world points inside the snapped box are unchanged', () => {
    const f = field(reso, 6);
    const oldBox = f.box;
    const rng = new Rng(9);
    const world: Vec3[] = [];
    const snapped: Box = { min: [-0.5, -1.125, 0], max: [1, 1.125, 1.5] };
    for (let i = 0; i < 60; i++) world.push([0, 1, 2].map((a) => rng.uniform(snapped.min[a], snapped.max[a])) as Vec3);
    world.push([...snapped.min], [...snapped.max]);
    const d0 = density(
      f,
      world.map((x) => normalised(oldBox, x)),
    );
    const a0 = appFeat(
      f,
      world.map((x) => normalised(oldBox, x)),
    );
    shrinkField(f, newBox, true);
    expect(
      maxAbsDiff(
        density(
          f,
          world.map((x) => normalised(f.box, x)),
        ),
        d0,
      ),
    ).toBeLessThan(1e-5);
    expect(
      maxAbsDiff(
        appFeat(
          f,
          world.map((x) => normalised(f.box, x)),
        ),
        a0,
      ),
    ).toBeLessThan(1e-5);
  });

  it('without snapping the box is the given one (same mask and field grid: it is lattice-aligned)', () => {
    const f = field(reso, 7);
    const aligned: Box = { min: [-0.5, -1.125, 0], max: [1, 1.125, 1.5] };
    const rng = new Rng(10);
    const world: Vec3[] = [];
    for (let i = 0; i < 30; i++) world.push([0, 1, 2].map((a) => rng.uniform(aligned.min[a], aligned.max[a])) as Vec3);
    const d0 = density(
      f,
      world.map((x) => normalised(f.box, x)),
    );
    shrinkField(f, aligned, false);
    expect(f.box).toEqual(aligned);
    expect(f.reso).toEqual([4, 7, 3]);
    expect(
      maxAbsDiff(
        density(
          f,
          world.map((x) => normalised(f.box, x)),
        ),
        d0,
      ),
    ).toBeLessThan(1e-5);
  });

  it('a box reaching the far faces clamps br to reso', () => {
    // max 1.5 + 0.2: round((3.2) / 0.5) + 1 = 7 + 1 = 8 > 7 -> 7
    const f = field(reso, 8);
    shrinkField(f, { min: [-1.5, -1.5, -1.5], max: [1.7, 1.5, 1.5] }, true);
    expect(f.reso).toEqual(reso);
    expect(f.box.max[0]).toBeCloseTo(1.5, 12);
  });
});
