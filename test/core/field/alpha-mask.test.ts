/**
 * The occupancy mask (alpha-mask.ts) and the dense alpha it is built from (alpha-update.ts):
 * maskContains = (grid_sample(align_corners, zero padding) of the binary grid > 0), maxPool3 =
 * F.max_pool3d(kernel 3, stride 1, padding 1), maskFromAlpha = pool, threshold (>=), box of the
 * occupied lattice points; denseAlpha = 1 - exp(-softplus(feature - 10) * step) at the lattice.
 */
import { describe, expect, it } from 'vitest';
import { type AlphaMask, latticePoint, maskContains, maskFromAlpha, maskLookup, maxPool3 } from '../../../src/core/field/alpha-mask';
import { ALPHA_MASK_THRESHOLD, denseAlpha, updateAlphaMask } from '../../../src/core/field/alpha-update';
import { type Box, LEGO_BOX, type Vec3 } from '../../../src/core/field/geometry';
import { createField, densityFactors } from '../../../src/core/field/vm';
import { Rng } from '../../../src/core/random';
import { densityGrid, softplus, trilinear, trilinearZeroPad } from '../naive';

const BOX: Box = { min: [-1, -0.5, 0], max: [2, 1.5, 0.8] };

function naiveContains(m: AlphaMask, x: Vec3): boolean {
  const p = [0, 1, 2].map((a) => ((x[a] - m.box.min[a]) / (m.box.max[a] - m.box.min[a])) * (m.reso[a] - 1)) as Vec3;
  return trilinearZeroPad(m.data, m.reso, p) > 0;
}

describe('maskContains', () => {
  const reso: Vec3 = [5, 4, 6];
  const rng = new Rng(2);
  const data = Uint8Array.from({ length: 5 * 4 * 6 }, () => (rng.next() < 0.1 ? 1 : 0));
  const m: AlphaMask = { box: BOX, reso, data };

  it('single occupied lattice point: true inside the 8 cells around it, false on their outer faces', () => {
    // one cell (2, 1, 3) occupied on a [5, 4, 6] lattice over BOX; spacing 0.75, 2/3, 0.16
    const one = new Uint8Array(5 * 4 * 6);
    one[2 + 5 * (1 + 4 * 3)] = 1;
    const mm: AlphaMask = { box: BOX, reso, data: one };
    const c = latticePoint(BOX, reso, 2, 1, 3); // (0.5, 1/6, 0.48)
    expect(c[0]).toBeCloseTo(0.5, 12);
    expect(maskContains(mm, c[0], c[1], c[2])).toBe(true);
    expect(maskContains(mm, c[0] + 0.7, c[1] - 0.6, c[2] + 0.15)).toBe(true); // weight > 0
    expect(maskContains(mm, c[0] + 0.75, c[1], c[2])).toBe(false); // next lattice point: weight 0
    expect(maskContains(mm, c[0], c[1] + 0.7, c[2])).toBe(false); // beyond the next lattice point
  });

  it('matches naive trilinear > 0 at random points, lattice points and cell faces, inside and just outside', () => {
    const pts: Vec3[] = [];
    for (let i = 0; i < 400; i++) pts.push([rng.uniform(-1.2, 2.2), rng.uniform(-0.7, 1.7), rng.uniform(-0.1, 0.9)]);
    for (let k = 0; k < 6; k++) for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) pts.push(latticePoint(BOX, reso, i, j, k));
    for (let i = 0; i < 100; i++) {
      // on a cell face in x (lattice x), free y and z
      const p = latticePoint(BOX, reso, Math.floor(rng.uniform(0, 5)), 0, 0);
      pts.push([p[0], rng.uniform(-0.5, 1.5), rng.uniform(0, 0.8)]);
    }
    let hits = 0;
    for (const x of pts) {
      const want = naiveContains(m, x);
      expect(maskContains(m, x[0], x[1], x[2]), `at ${x.join(', ')}`).toBe(want);
      hits += want ? 1 : 0;
    }
    expect(hits).toBeGreaterThan(20);
    expect(hits).toBeLessThan(pts.length - 20);
  });

  it('maskLookup (the fast path sample placement uses) answers as maskContains everywhere, corners and faces included', () => {
    // a denser mask, so that cells with some but not all corners occupied are common
    const dense: AlphaMask = { box: BOX, reso, data: Uint8Array.from({ length: 5 * 4 * 6 }, () => (rng.next() < 0.3 ? 1 : 0)) };
    for (const mk of [m, dense]) {
      const look = maskLookup(mk);
      const pts: Vec3[] = [];
      for (let i = 0; i < 3000; i++) pts.push([rng.uniform(-1.2, 2.2), rng.uniform(-0.7, 1.7), rng.uniform(-0.1, 0.9)]);
      for (let k = 0; k < 6; k++) for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) pts.push(latticePoint(BOX, reso, i, j, k));
      for (let i = 0; i < 600; i++) {
        // on lattice planes of one or two axes (corner weights exactly 0), the others free
        const q = latticePoint(BOX, reso, Math.floor(rng.uniform(0, 5)), Math.floor(rng.uniform(0, 4)), Math.floor(rng.uniform(0, 6)));
        const free: Vec3 = [rng.uniform(-1, 2), rng.uniform(-0.5, 1.5), rng.uniform(0, 0.8)];
        const keep = Math.floor(rng.uniform(0, 3));
        pts.push([0, 1, 2].map((a) => (a === keep || (i % 2 === 0 && a === (keep + 1) % 3) ? q[a] : free[a])) as Vec3);
      }
      pts.push([NaN, 0, 0], [BOX.max[0], BOX.max[1], BOX.max[2]], [BOX.min[0], BOX.min[1], BOX.min[2]]);
      let hits = 0;
      for (const x of pts) {
        const want = maskContains(mk, x[0], x[1], x[2]);
        expect(look(x[0], x[1], x[2]), `at ${x.join(', ')}`).toBe(want);
        hits += want ? 1 : 0;
      }
      expect(hits).toBeGreaterThan(100);
      expect(hits).toBeLessThan(pts.length - 100);
    }
  });
});

function naiveMaxPool(v: Float32Array, reso: Vec3): Float32Array {
  const [nx, ny, nz] = reso;
  const out = new Float32Array(v.length);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        let m = -Infinity;
        for (let c = -1; c <= 1; c++)
          for (let b = -1; b <= 1; b++)
            for (let a = -1; a <= 1; a++) {
              const ii = i + a;
              const jj = j + b;
              const kk = k + c;
              if (ii < 0 || jj < 0 || kk < 0 || ii >= nx || jj >= ny || kk >= nz) continue;
              m = Math.max(m, v[ii + nx * (jj + ny * kk)]);
            }
        out[i + nx * (j + ny * k)] = m;
      }
  return out;
}

describe('maxPool3', () => {
  it('matches a naive 3x3x3 max pool (borders see only the inside)', () => {
    const rng = new Rng(6);
    for (const reso of [
      [5, 4, 6],
      [1, 3, 2],
      [7, 7, 7],
    ] as Vec3[]) {
      const v = Float32Array.from({ length: reso[0] * reso[1] * reso[2] }, () => rng.uniform(-1, 1));
      expect(Array.from(maxPool3(v, reso))).toEqual(Array.from(naiveMaxPool(v, reso)));
    }
  });

  it('a single spike spreads to its 3x3x3 neighbourhood', () => {
    const reso: Vec3 = [4, 4, 4];
    const v = new Float32Array(64);
    v[0 + 4 * (0 + 4 * 0)] = 1; // corner (0, 0, 0) -> the 2x2x2 block at the corner
    v[2 + 4 * (2 + 4 * 2)] = 2; // (2, 2, 2) -> 1..3 on every axis (27 cells)
    const p = maxPool3(v, reso);
    let ones = 0;
    let twos = 0;
    for (const x of p) {
      if (x === 1) ones++;
      if (x === 2) twos++;
    }
    expect(twos).toBe(27);
    expect(ones).toBe(8 - 1); // (1,1,1) is in both blocks and takes the 2
  });
});

describe('maskFromAlpha', () => {
  it('threshold after pooling, and the box of the occupied lattice points', () => {
    // reso [5, 4, 6] over BOX; alpha 1e-4 (exactly the threshold, >= keeps it) at (1, 1, 2),
    // 0.9e-4 (below) at (4, 3, 5). Pooling makes (0..2, 0..2, 1..3) occupied:
    // box min = lattice (0, 0, 1) = (-1, -0.5, 0.16), max = lattice (2, 2, 3) = (0.5, 5/6, 0.48)
    const reso: Vec3 = [5, 4, 6];
    const alpha = new Float32Array(5 * 4 * 6);
    alpha[1 + 5 * (1 + 4 * 2)] = Math.fround(1e-4);
    alpha[4 + 5 * (3 + 4 * 5)] = 0.9e-4;
    const { mask, occupied } = maskFromAlpha(alpha, BOX, reso, Math.fround(1e-4));
    expect(mask.reso).toEqual(reso);
    expect(mask.box).toEqual(BOX);
    let n = 0;
    for (const x of mask.data) n += x;
    expect(n).toBe(27);
    expect(mask.data[0 + 5 * (0 + 4 * 1)]).toBe(1);
    expect(mask.data[0 + 5 * (0 + 4 * 0)]).toBe(0);
    expect(occupied).not.toBeNull();
    const o = occupied as Box;
    [-1, -0.5, 0.16].forEach((v, a) => expect(o.min[a]).toBeCloseTo(v, 12));
    [0.5, 5 / 6, 0.48].forEach((v, a) => expect(o.max[a]).toBeCloseTo(v, 12));
  });

  it('nothing occupied -> occupied null', () => {
    const { mask, occupied } = maskFromAlpha(new Float32Array(8), LEGO_BOX, [2, 2, 2], 1e-4);
    expect(occupied).toBeNull();
    expect(Array.from(mask.data)).toEqual(new Array(8).fill(0));
  });
});

describe('denseAlpha', () => {
  const field = createField({ box: BOX, reso: [4, 5, 3], densityComps: 2, appComps: 1, appDim: 3 }, new Rng(4));
  // make features around 10 so alpha spans (0, 1): planes and lines ~ U(0.5, 1.6)
  const rng = new Rng(12);
  for (const p of [...field.densityPlanes, ...field.densityLines])
    for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(0.5, 1.6);
  const grid = densityGrid(densityFactors(field));
  const step = 0.05;

  it('on the field grid: alpha = 1 - exp(-softplus(G[i,j,k] - 10) step), index i + nx (j + ny k)', () => {
    const reso = field.reso;
    const a = denseAlpha(field, reso, step, null, -10);
    expect(a.length).toBe(4 * 5 * 3);
    for (let id = 0; id < a.length; id++) {
      const want = 1 - Math.exp(-softplus(grid.data[id] - 10) * step);
      expect(Math.abs(a[id] - want)).toBeLessThan(1e-6 * Math.max(want, 1e-3));
    }
  });

  it('on a finer lattice: trilinear feature of the dense grid at the lattice point normalised over the box', () => {
    const reso: Vec3 = [7, 6, 5];
    const a = denseAlpha(field, reso, step, null, -10);
    for (let k = 0; k < 5; k++)
      for (let j = 0; j < 6; j++)
        for (let i = 0; i < 7; i++) {
          const p = latticePoint(BOX, reso, i, j, k);
          const x = [0, 1, 2].map((ax) => ((p[ax] - BOX.min[ax]) / (BOX.max[ax] - BOX.min[ax])) * 2 - 1) as Vec3;
          const want = 1 - Math.exp(-softplus(trilinear(grid, x) - 10) * step);
          expect(Math.abs(a[i + 7 * (j + 6 * k)] - want)).toBeLessThan(1e-6 * Math.max(want, 1e-3));
        }
  });

  it('zero where the previous mask is empty', () => {
    const reso = field.reso;
    const data = new Uint8Array(2 * 2 * 2);
    data[0] = 1; // only the (-x, -y, -z) corner of a 2^3 mask: the open half-box around it is kept
    const prev: AlphaMask = { box: BOX, reso: [2, 2, 2], data };
    const a = denseAlpha(field, reso, step, prev, -10);
    const full = denseAlpha(field, reso, step, null, -10);
    let kept = 0;
    for (let k = 0; k < 3; k++)
      for (let j = 0; j < 5; j++)
        for (let i = 0; i < 4; i++) {
          const id = i + 4 * (j + 5 * k);
          const inside = i < 3 && j < 4 && k < 2; // lattice points strictly before the far faces
          expect(a[id]).toBe(inside ? full[id] : 0);
          kept += inside ? 1 : 0;
        }
    expect(kept).toBe(24);
  });

  it('updateAlphaMask = maskFromAlpha(denseAlpha, threshold 1e-4)', () => {
    const reso: Vec3 = [6, 6, 6];
    const { mask, occupied } = updateAlphaMask(field, reso, step, null, -10);
    const ref = maskFromAlpha(denseAlpha(field, reso, step, null, -10), BOX, reso, ALPHA_MASK_THRESHOLD);
    expect(ALPHA_MASK_THRESHOLD).toBe(1e-4);
    expect(Array.from(mask.data)).toEqual(Array.from(ref.mask.data));
    expect(occupied).toEqual(ref.occupied);
  });
});
