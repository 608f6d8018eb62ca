/**
 * Float64 naive references for the field, sampling and compositing tests (test helper), written
 * from DESIGN.md section 4 and the PyTorch conventions TensoRF relies on, independently of src/:
 *
 * - factors in PyTorch layout: plane p is [C, H, W] with W along MAT_MODE[p][0], H along
 *   MAT_MODE[p][1]; line p is [C, L] along VEC_MODE[p]. src stores them channels last
 *   ([H, W, C], [L, C]); toCHW / toCL convert.
 * - grid_sample / interpolate with align_corners = true: normalised x in [-1, 1] maps to pixel
 *   (x + 1) / 2 * (n - 1); 1-D linear interpolation between floor and floor + 1.
 * - the VM field as the dense 3-D grid it describes: G_{p,c}[i, j, k] = plane_p[c][idx[m1]][idx[m0]]
 *   * line_p[c][idx[v]] with idx = (i, j, k); density = sum_{p,c} G_{p,c}. Because bilinear(plane)
 *   * linear(line) has weights w_x w_y w_z, sampling the factors equals trilinear interpolation
 *   of that dense grid.
 */
import { MAT_MODE, VEC_MODE, type Box, type Vec3 } from '../../src/core/field/geometry';
import type { VMFactors } from '../../src/core/field/vm-kernels';

export type Grid = { reso: Vec3; data: Float64Array }; // index i + nx * (j + ny * k)

/** Channels-last plane [H, W, C] -> [C, H, W]. */
export function toCHW(a: ArrayLike<number>, H: number, W: number, C: number): Float64Array {
  const out = new Float64Array(C * H * W);
  for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) out[c * H * W + h * W + w] = a[(h * W + w) * C + c];
  return out;
}

/** Channels-last line [L, C] -> [C, L]. */
export function toCL(a: ArrayLike<number>, L: number, C: number): Float64Array {
  const out = new Float64Array(C * L);
  for (let l = 0; l < L; l++) for (let c = 0; c < C; c++) out[c * L + l] = a[l * C + c];
  return out;
}

/** Aligned-corner pixel position of a normalised coordinate. */
export const pix = (x: number, n: number) => ((x + 1) / 2) * (n - 1);

/** 1-D linear interpolation of v[off + i * stride], i < n, at pixel position p in [0, n-1]. */
export function lerpAt(v: ArrayLike<number>, off: number, stride: number, n: number, p: number): number {
  const i0 = Math.min(Math.max(Math.floor(p), 0), n - 1);
  const i1 = Math.min(i0 + 1, n - 1);
  const f = p - i0;
  return v[off + i0 * stride] * (1 - f) + v[off + i1 * stride] * f;
}

/** Bilinear, aligned corners, of channel c of a [C, H, W] image at normalised (x along W, y along H). */
export function bilinear(img: ArrayLike<number>, C: number, H: number, W: number, c: number, x: number, y: number): number {
  void C;
  const py = pix(y, H);
  const h0 = Math.min(Math.max(Math.floor(py), 0), H - 1);
  const h1 = Math.min(h0 + 1, H - 1);
  const fy = py - h0;
  const px = pix(x, W);
  const r0 = lerpAt(img, c * H * W + h0 * W, 1, W, px);
  const r1 = lerpAt(img, c * H * W + h1 * W, 1, W, px);
  return r0 * (1 - fy) + r1 * fy;
}

/** Linear, aligned corners, of channel c of a [C, L] line at normalised x. */
export function linear(line: ArrayLike<number>, L: number, c: number, x: number): number {
  return lerpAt(line, c * L, 1, L, pix(x, L));
}

/**
 * The field by its definition: per pair p and component c, bilinear(plane) * linear(line).
 * 'sum' -> [sum over p, c]; 'products' -> P * C values, index p * C + c.
 */
export function naiveVM(f: VMFactors, x: Vec3, mode: 'sum' | 'products'): number[] {
  const C = f.comps;
  const out: number[] = [];
  let sum = 0;
  for (let p = 0; p < 3; p++) {
    const [m0, m1] = MAT_MODE[p];
    const v = VEC_MODE[p];
    const H = f.reso[m1];
    const W = f.reso[m0];
    const L = f.reso[v];
    const plane = toCHW(f.planes[p], H, W, C);
    const line = toCL(f.lines[p], L, C);
    for (let c = 0; c < C; c++) {
      const val = bilinear(plane, C, H, W, c, x[m0], x[m1]) * linear(line, L, c, x[v]);
      out.push(val);
      sum += val;
    }
  }
  return mode === 'sum' ? [sum] : out;
}

/** Dense grids G_{p,c} (index p * C + c) that the factors describe on the reso lattice. */
export function denseGrids(f: VMFactors): Grid[] {
  const C = f.comps;
  const [nx, ny, nz] = f.reso;
  const grids: Grid[] = [];
  for (let p = 0; p < 3; p++) {
    const [m0, m1] = MAT_MODE[p];
    const v = VEC_MODE[p];
    const H = f.reso[m1];
    const W = f.reso[m0];
    const L = f.reso[v];
    const plane = toCHW(f.planes[p], H, W, C);
    const line = toCL(f.lines[p], L, C);
    for (let c = 0; c < C; c++) {
      const data = new Float64Array(nx * ny * nz);
      for (let k = 0; k < nz; k++)
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) {
            const idx = [i, j, k];
            data[i + nx * (j + ny * k)] = plane[c * H * W + idx[m1] * W + idx[m0]] * line[c * L + idx[v]];
          }
      grids.push({ reso: [nx, ny, nz], data });
    }
  }
  return grids;
}

/** Density grid: sum of all G_{p,c}. */
export function densityGrid(f: VMFactors): Grid {
  const gs = denseGrids(f);
  const data = new Float64Array(gs[0].data.length);
  for (const g of gs) for (let i = 0; i < data.length; i++) data[i] += g.data[i];
  return { reso: gs[0].reso, data };
}

/** Trilinear interpolation (aligned corners) of a grid at normalised coords in [-1, 1]^3. */
export function trilinear(g: Grid, x: Vec3): number {
  const [nx, ny, nz] = g.reso;
  const px = pix(x[0], nx);
  const py = pix(x[1], ny);
  const pz = pix(x[2], nz);
  const planeAt = (k: number) => {
    const row = (j: number) => lerpAt(g.data, nx * (j + ny * k), 1, nx, px);
    const j0 = Math.min(Math.max(Math.floor(py), 0), ny - 1);
    const j1 = Math.min(j0 + 1, ny - 1);
    return row(j0) * (1 - (py - j0)) + row(j1) * (py - j0);
  };
  const k0 = Math.min(Math.max(Math.floor(pz), 0), nz - 1);
  const k1 = Math.min(k0 + 1, nz - 1);
  return planeAt(k0) * (1 - (pz - k0)) + planeAt(k1) * (pz - k0);
}

/**
 * grid_sample(align_corners=True, padding zeros) of a grid at pixel coords: the sum over the 8
 * corners of weight * value, corners outside the grid counting 0.
 */
export function trilinearZeroPad(data: ArrayLike<number>, reso: Vec3, p: Vec3): number {
  const [nx, ny, nz] = reso;
  const b = p.map(Math.floor);
  let s = 0;
  for (let dz = 0; dz < 2; dz++)
    for (let dy = 0; dy < 2; dy++)
      for (let dx = 0; dx < 2; dx++) {
        const i = b[0] + dx;
        const j = b[1] + dy;
        const k = b[2] + dz;
        if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
        const w = (dx ? p[0] - b[0] : 1 - (p[0] - b[0])) * (dy ? p[1] - b[1] : 1 - (p[1] - b[1])) * (dz ? p[2] - b[2] : 1 - (p[2] - b[2]));
        s += w * data[i + nx * (j + ny * k)];
      }
  return s;
}

/** World point -> normalised coords over a box. */
export function normalised(box: Box, x: Vec3): Vec3 {
  return [0, 1, 2].map((a) => ((x[a] - box.min[a]) / (box.max[a] - box.min[a])) * 2 - 1) as Vec3;
}

export function softplus(x: number): number {
  return Math.log1p(Math.exp(x));
}

/** Plain compositing loop of one ray: alpha, T (with the 1e-10), w. */
export function naiveComposite(sigma: number[], delta: number[], scale: number): { alpha: number[]; T: number[]; w: number[] } {
  const alpha: number[] = [];
  const T: number[] = [];
  const w: number[] = [];
  let t = 1;
  for (let k = 0; k < sigma.length; k++) {
    const a = 1 - Math.exp(-sigma[k] * delta[k] * scale);
    alpha.push(a);
    T.push(t);
    w.push(a * t);
    t *= 1 - a + 1e-10;
  }
  return { alpha, T, w };
}

/** TensoRF's slab test (zero direction components replaced by 1e-6): [t entry, t exit]. */
export function naiveRayBox(o: Vec3, d: Vec3, box: Box): [number, number] {
  const v = d.map((x) => (x === 0 ? 1e-6 : x));
  const ra = [0, 1, 2].map((a) => (box.max[a] - o[a]) / v[a]);
  const rb = [0, 1, 2].map((a) => (box.min[a] - o[a]) / v[a]);
  const tIn = Math.max(...[0, 1, 2].map((a) => Math.min(ra[a], rb[a])));
  const tOut = Math.min(...[0, 1, 2].map((a) => Math.max(ra[a], rb[a])));
  return [tIn, tOut];
}

export interface NaiveSample {
  k: number;
  t: number;
  x: Vec3; // world
  inBox: boolean;
  delta: number;
}

/**
 * TensoRF's sample_ray for one ray, all N samples: t_min = entry clamped to [near, far],
 * t_k = t_min + step * (k + u), delta = step except 0 for k = N-1, inBox = not outside (inclusive).
 */
export function naiveRaySamples(o: Vec3, d: Vec3, box: Box, step: number, n: number, near: number, far: number, u: number): NaiveSample[] {
  const [tIn] = naiveRayBox(o, d, box);
  const tMin = Math.min(Math.max(tIn, near), far);
  const out: NaiveSample[] = [];
  for (let k = 0; k < n; k++) {
    const t = tMin + step * (k + u);
    const x = [0, 1, 2].map((a) => o[a] + d[a] * t) as Vec3;
    const inBox = [0, 1, 2].every((a) => !(x[a] < box.min[a] || x[a] > box.max[a]));
    out.push({ k, t, x, inBox, delta: k === n - 1 ? 0 : step });
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
