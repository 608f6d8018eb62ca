/**
 * vmForward / vmBackward against naive references (test/core/naive.ts): the factors' definition
 * in PyTorch [C, H, W] layout (bilinear plane * linear line, aligned corners) and the dense 3-D
 * grid they describe, interpolated trilinearly. Gradients by finite differences: the output is
 * linear in every single factor entry, so (L(theta + eps e_i) - L(theta)) / eps is the exact
 * derivative up to float32 round-off of the forward.
 */
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/field/geometry';
import { lineShape, planeShape, vmBackward, vmForward, type VMFactors, type VMMode } from '../../../src/core/field/vm-kernels';
import { Rng } from '../../../src/core/random';
import { denseGrids, densityGrid, maxAbs, maxAbsDiff, naiveVM, trilinear } from '../naive';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function randomFactors(rng: Rng, reso: Vec3, comps: number): VMFactors {
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  return {
    planes: [0, 1, 2].map((p) => fill(size(planeShape(reso, p, comps)))),
    lines: [0, 1, 2].map((p) => fill(size(lineShape(reso, p, comps)))),
    comps,
    reso,
  };
}

/** Random points in [-1, 1]^3, the 8 corners, points with coordinates exactly +-1 and lattice points. */
function testPoints(rng: Rng, reso: Vec3): Vec3[] {
  const pts: Vec3[] = [];
  for (let i = 0; i < 24; i++) pts.push([rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)]);
  for (const x of [-1, 1]) for (const y of [-1, 1]) for (const z of [-1, 1]) pts.push([x, y, z]);
  pts.push([1, rng.uniform(-1, 1), -1], [rng.uniform(-1, 1), 1, rng.uniform(-1, 1)], [-1, rng.uniform(-1, 1), 1]);
  // lattice point (1, 2, 1) of reso: 2 i / (n - 1) - 1
  pts.push([(2 * 1) / (reso[0] - 1) - 1, (2 * 2) / (reso[1] - 1) - 1, (2 * 1) / (reso[2] - 1) - 1]);
  return pts;
}

const pack = (pts: Vec3[]) => Float32Array.from(pts.flat());
/** The float32-rounded point, so that the reference sees the same coordinates as the kernel. */
const f32pt = (x: Vec3): Vec3 => Array.from(Float32Array.from(x)) as Vec3;

describe('layout (channels last, W along MAT_MODE[p][0], H along MAT_MODE[p][1])', () => {
  it('one texel of the XY plane and a constant Z line', () => {
    // reso [3, 4, 5]: plane 0 (XY) is [H = ny = 4, W = nx = 3, C = 2], line 0 (Z) is [5, 2].
    // plane0[c = 1] = 1 at (y = 1, x = 2) only, line0[c = 1] = 2 everywhere, everything else 0.
    // At x = +1 (pixel 2 of 3), y = 2 * 1 / 3 - 1 = -1/3 (pixel 1 of 4), any z: 1 * 2 = 2.
    // Halfway to x pixel 1 (x = 0.5 -> pixel 1.5): 0.5 * 2 = 1. At y pixel 2 (y = 1/3): 0.
    const reso: Vec3 = [3, 4, 5];
    const C = 2;
    const f: VMFactors = {
      planes: [0, 1, 2].map((p) => new Float32Array(size(planeShape(reso, p, C)))),
      lines: [0, 1, 2].map((p) => new Float32Array(size(lineShape(reso, p, C)))),
      comps: C,
      reso,
    };
    expect(planeShape(reso, 0, C)).toEqual([4, 3, 2]);
    expect(planeShape(reso, 1, C)).toEqual([5, 3, 2]); // XZ: H = nz, W = nx
    expect(planeShape(reso, 2, C)).toEqual([5, 4, 2]); // YZ: H = nz, W = ny
    expect(lineShape(reso, 0, C)).toEqual([5, 2]);
    expect(lineShape(reso, 1, C)).toEqual([4, 2]);
    expect(lineShape(reso, 2, C)).toEqual([3, 2]);
    f.planes[0][(1 * 3 + 2) * C + 1] = 1;
    for (let l = 0; l < 5; l++) f.lines[0][l * C + 1] = 2;
    const pts: Vec3[] = [
      [1, -1 / 3, -1],
      [1, -1 / 3, 0.3],
      [0.5, -1 / 3, 1],
      [1, 1 / 3, 0],
    ];
    const sum = vmForward(f, pack(pts), 4, 'sum');
    expect(Array.from(sum).map((v) => +v.toFixed(5))).toEqual([2, 2, 1, 0]);
    const prod = vmForward(f, pack(pts), 4, 'products');
    // products: [s, p * C + c]; only p = 0, c = 1 is non-zero
    expect(Array.from(prod.subarray(0, 6)).map((v) => +v.toFixed(5))).toEqual([0, 2, 0, 0, 0, 0]);
  });
});

describe('vmForward vs naive references', () => {
  for (const [reso, comps] of [
    [[4, 5, 3], 3],
    [[2, 2, 2], 1],
    [[6, 3, 7], 2],
  ] as [Vec3, number][]) {
    it(`reso ${reso.join('x')}, ${comps} comps`, () => {
      const rng = new Rng(11 + reso[0]);
      const f = randomFactors(rng, reso, comps);
      const pts = testPoints(rng, reso);
      const n = pts.length;
      const sum = vmForward(f, pack(pts), n, 'sum');
      const prod = vmForward(f, pack(pts), n, 'products');
      const dense = densityGrid(f);
      const grids = denseGrids(f);
      for (let s = 0; s < n; s++) {
        const x = f32pt(pts[s]);
        const ref = naiveVM(f, x, 'sum')[0];
        expect(Math.abs(sum[s] - ref)).toBeLessThan(1e-5);
        expect(Math.abs(trilinear(dense, x) - ref)).toBeLessThan(1e-9); // the two references agree
        const refP = naiveVM(f, x, 'products');
        expect(maxAbsDiff(prod.subarray(s * 3 * comps, (s + 1) * 3 * comps), refP)).toBeLessThan(1e-5);
        for (let g = 0; g < grids.length; g++) expect(Math.abs(trilinear(grids[g], x) - refP[g])).toBeLessThan(1e-9);
      }
    });
  }

  it('at a corner of the box the value is the dense grid corner value', () => {
    const reso: Vec3 = [4, 5, 3];
    const f = randomFactors(new Rng(5), reso, 2);
    const dense = densityGrid(f);
    const [nx, ny] = reso;
    const v = vmForward(
      f,
      pack([
        [1, 1, 1],
        [-1, -1, -1],
        [1, -1, 1],
      ]),
      3,
      'sum',
    );
    expect(v[0]).toBeCloseTo(dense.data[dense.data.length - 1], 5);
    expect(v[1]).toBeCloseTo(dense.data[0], 5);
    expect(v[2]).toBeCloseTo(dense.data[nx - 1 + nx * (0 + ny * 2)], 5);
  });

  it('n = 0 gives an empty output', () => {
    const f = randomFactors(new Rng(1), [2, 2, 2], 1);
    expect(vmForward(f, new Float32Array(0), 0, 'sum').length).toBe(0);
    expect(vmForward(f, new Float32Array(0), 0, 'products').length).toBe(0);
  });
});

describe('vmBackward vs finite differences', () => {
  for (const mode of ['sum', 'products'] as VMMode[]) {
    it(mode, () => {
      const reso: Vec3 = [4, 5, 3];
      const C = 2;
      const rng = new Rng(mode === 'sum' ? 21 : 22);
      const f = randomFactors(rng, reso, C);
      const pts = testPoints(rng, reso);
      const n = pts.length;
      const coords = pack(pts);
      const outLen = mode === 'sum' ? n : n * 3 * C;
      const dOut = Float32Array.from({ length: outLen }, () => rng.uniform(-1, 1));
      // L(theta) = sum dOut * out, in float64 from the float32 forward
      const L = () => {
        const out = vmForward(f, coords, n, mode);
        let s = 0;
        for (let i = 0; i < outLen; i++) s += dOut[i] * out[i];
        return s;
      };
      const g = vmBackward(f, coords, n, mode, dOut);
      const eps = 1e-2;
      const check = (arr: Float32Array, grad: Float32Array) => {
        const fd = new Float64Array(arr.length);
        for (let i = 0; i < arr.length; i++) {
          const old = arr[i];
          const l0 = L();
          arr[i] = old + eps;
          const l1 = L();
          arr[i] = old;
          fd[i] = (l1 - l0) / eps;
        }
        // forward error ~ 1e-7 * sum |dOut * out| ~ 1e-5, divided by eps -> ~1e-3
        expect(maxAbsDiff(grad, fd)).toBeLessThan(2e-3 * Math.max(1, maxAbs(fd)));
        return fd;
      };
      let nonZero = 0;
      for (let p = 0; p < 3; p++) {
        nonZero += maxAbs(check(f.planes[p], g.planes[p])) > 0 ? 1 : 0;
        nonZero += maxAbs(check(f.lines[p], g.lines[p])) > 0 ? 1 : 0;
      }
      expect(nonZero).toBe(6);
    });
  }

  it('is zero for dOut = 0', () => {
    const reso: Vec3 = [3, 3, 3];
    const rng = new Rng(4);
    const f = randomFactors(rng, reso, 2);
    const pts = testPoints(rng, reso);
    const n = pts.length;
    const zero = vmBackward(f, pack(pts), n, 'sum', new Float32Array(n));
    for (const a of [...zero.planes, ...zero.lines]) expect(maxAbs(a)).toBe(0);
  });
});
