/**
 * Hand-written CPU kernels for sampling the VM factors at packed points, forward and backward.
 *
 * Layout (channels last, so that the C components of one texel are contiguous):
 *   plane p: [H, W, C] with W along axis MAT_MODE[p][0] and H along MAT_MODE[p][1]
 *   line  p: [L, C]    with L along axis VEC_MODE[p]
 * Coordinates are normalised to [-1, 1] over the box; sampling is bilinear (planes) / linear
 * (lines) with aligned corners: pixel = (x + 1) / 2 * (n - 1). Callers pass in-box points.
 *
 * mode 'sum':      out[s]               = sum_p sum_c plane_p[c](s) * line_p[c](s)   (density)
 * mode 'products': out[s, p * C + c]    = plane_p[c](s) * line_p[c](s)                (appearance)
 */
import { MAT_MODE, VEC_MODE, type Vec3 } from './geometry';

export type VMMode = 'sum' | 'products';

export interface VMFactors {
  planes: Float32Array[];
  lines: Float32Array[];
  comps: number;
  reso: Vec3;
}

export function planeShape(reso: Vec3, p: number, comps: number): [number, number, number] {
  return [reso[MAT_MODE[p][1]], reso[MAT_MODE[p][0]], comps];
}

export function lineShape(reso: Vec3, p: number, comps: number): [number, number] {
  return [reso[VEC_MODE[p]], comps];
}

/**
 * Interpolation taps of one pair for every point: the (x0, y0) texel offset and the 4 bilinear
 * weights [w00, w01, w10, w11] (x then y), the l0 line offset and the weight fl of l0 + 1.
 */
export interface Taps {
  plane: Int32Array; // base offset of the (x0, y0) texel, times C
  w: Float64Array; // 4 per point (double, as computed inline before)
  line: Int32Array; // offset of l0 times C
  fl: Float32Array;
  rowStride: number; // W * C
}

/** Lower texel index and the weight of the next one along an axis of n texels (aligned corners, clamped). */
export function axisTap(x: number, n: number): [number, number] {
  let px = (x + 1) * 0.5 * (n - 1);
  if (px < 0) px = 0;
  else if (px > n - 1) px = n - 1;
  let i0 = Math.floor(px);
  if (i0 > n - 2) i0 = n - 2;
  return [i0, px - i0];
}

/** Arrays for the taps of n points of pair p (`alloc` makes each array, e.g. in shared memory). */
export function tapArrays(
  reso: Vec3,
  p: number,
  comps: number,
  n: number,
  alloc: { i32: (n: number) => Int32Array; f64: (n: number) => Float64Array; f32: (n: number) => Float32Array } = {
    i32: (k) => new Int32Array(k),
    f64: (k) => new Float64Array(k),
    f32: (k) => new Float32Array(k),
  },
): Taps {
  return { plane: alloc.i32(n), w: alloc.f64(4 * n), line: alloc.i32(n), fl: alloc.f32(n), rowStride: reso[MAT_MODE[p][0]] * comps };
}

/**
 * Taps of points lo..hi-1 of pair p; entry s - base holds point s (base lo by default: fresh
 * arrays for the range; pass `into` and base 0 to fill one range of arrays for all points).
 */
export function computeTaps(
  reso: Vec3,
  p: number,
  comps: number,
  coords: Float32Array,
  lo: number,
  hi: number,
  into?: Taps,
  base = lo,
): Taps {
  const ax = MAT_MODE[p][0];
  const ay = MAT_MODE[p][1];
  const az = VEC_MODE[p];
  const W = reso[ax];
  const H = reso[ay];
  const L = reso[az];
  const t: Taps = into ?? tapArrays(reso, p, comps, hi - lo);
  for (let s = lo - base; s < hi - base; s++) {
    const q = 3 * (base + s);
    const [x0, fx] = axisTap(coords[q + ax], W);
    const [y0, fy] = axisTap(coords[q + ay], H);
    const [l0, fl] = axisTap(coords[q + az], L);
    t.plane[s] = (y0 * W + x0) * comps;
    t.w[4 * s] = (1 - fx) * (1 - fy);
    t.w[4 * s + 1] = fx * (1 - fy);
    t.w[4 * s + 2] = (1 - fx) * fy;
    t.w[4 * s + 3] = fx * fy;
    t.line[s] = l0 * comps;
    t.fl[s] = fl;
  }
  void H;
  return t;
}

/** Output length of vmForward for n points. */
export function vmOutputLength(f: VMFactors, n: number, mode: VMMode): number {
  return mode === 'sum' ? n : n * f.planes.length * f.comps;
}

/**
 * The factors sampled at points lo..hi-1 (default all n), written into `out` (entries of those
 * points only; for 'sum' they must start at 0). Each point's value is computed the same way
 * whatever the range, so splitting the points between threads changes no bit.
 */
export function vmForward(
  f: VMFactors,
  coords: Float32Array,
  n: number,
  mode: VMMode,
  out: Float32Array = new Float32Array(vmOutputLength(f, n, mode)),
  lo = 0,
  hi = n,
): Float32Array {
  const C = f.comps;
  const P = f.planes.length;
  for (let p = 0; p < P; p++) {
    const t = computeTaps(f.reso, p, C, coords, lo, hi);
    const plane = f.planes[p];
    const line = f.lines[p];
    const rs = t.rowStride;
    for (let q = 0; q < hi - lo; q++) {
      const s = lo + q;
      const b00 = t.plane[q];
      const b01 = b00 + C;
      const b10 = b00 + rs;
      const b11 = b10 + C;
      const w00 = t.w[4 * q];
      const w01 = t.w[4 * q + 1];
      const w10 = t.w[4 * q + 2];
      const w11 = t.w[4 * q + 3];
      const l0 = t.line[q];
      const l1 = l0 + C;
      const fl = t.fl[q];
      const gl = 1 - fl;
      if (mode === 'sum') {
        let acc = 0;
        for (let c = 0; c < C; c++) {
          const pv = plane[b00 + c] * w00 + plane[b01 + c] * w01 + plane[b10 + c] * w10 + plane[b11 + c] * w11;
          acc += pv * (line[l0 + c] * gl + line[l1 + c] * fl);
        }
        out[s] += acc;
      } else {
        const o = s * P * C + p * C;
        for (let c = 0; c < C; c++) {
          const pv = plane[b00 + c] * w00 + plane[b01 + c] * w01 + plane[b10 + c] * w10 + plane[b11 + c] * w11;
          out[o + c] = pv * (line[l0 + c] * gl + line[l1 + c] * fl);
        }
      }
    }
  }
  return out;
}

export interface VMGradients {
  planes: Float32Array[];
  lines: Float32Array[];
}

/** Zeroed gradient arrays shaped like the factors. */
export function vmGradientArrays(f: VMFactors, alloc: (n: number) => Float32Array = (n) => new Float32Array(n)): VMGradients {
  return { planes: f.planes.map((a) => alloc(a.length)), lines: f.lines.map((a) => alloc(a.length)) };
}

/**
 * Adds the gradients of sum(dOut * vmForward(...)) with respect to every plane and line into
 * `g` (default: new zeroed arrays), for the components c0..c1-1 only (default all). Each gradient
 * entry belongs to one component and sums its points in point order whatever the component range,
 * so splitting the components between threads changes no bit and needs no reduction.
 */
export function vmBackward(
  f: VMFactors,
  coords: Float32Array,
  n: number,
  mode: VMMode,
  dOut: Float32Array,
  g: VMGradients = vmGradientArrays(f),
  c0 = 0,
  c1 = f.comps,
): VMGradients {
  const taps = f.planes.map((_, p) => computeTaps(f.reso, p, f.comps, coords, 0, n));
  return vmBackwardTaps(f, taps, n, mode, dOut, g, c0, c1);
}

/**
 * vmBackward with every point's taps computed already (taps[p] for pair p, all n points), for the
 * components c0..c1-1 of the pairs p0..p1-1 only.
 */
export function vmBackwardTaps(
  f: VMFactors,
  taps: Taps[],
  n: number,
  mode: VMMode,
  dOut: Float32Array,
  g: VMGradients,
  c0: number,
  c1: number,
  p0 = 0,
  p1 = f.planes.length,
): VMGradients {
  const C = f.comps;
  const P = f.planes.length;
  for (let p = p0; p < p1; p++) {
    const t = taps[p];
    const plane = f.planes[p];
    const line = f.lines[p];
    const gp = g.planes[p];
    const gl_ = g.lines[p];
    const rs = t.rowStride;
    for (let s = 0; s < n; s++) {
      const b00 = t.plane[s];
      const b01 = b00 + C;
      const b10 = b00 + rs;
      const b11 = b10 + C;
      const w00 = t.w[4 * s];
      const w01 = t.w[4 * s + 1];
      const w10 = t.w[4 * s + 2];
      const w11 = t.w[4 * s + 3];
      const l0 = t.line[s];
      const l1 = l0 + C;
      const fl = t.fl[s];
      const gl = 1 - fl;
      const o = mode === 'sum' ? 0 : s * P * C + p * C;
      const gs = mode === 'sum' ? dOut[s] : 0;
      for (let c = c0; c < c1; c++) {
        const gv = mode === 'sum' ? gs : dOut[o + c];
        if (gv === 0) continue;
        const pv = plane[b00 + c] * w00 + plane[b01 + c] * w01 + plane[b10 + c] * w10 + plane[b11 + c] * w11;
        const lv = line[l0 + c] * gl + line[l1 + c] * fl;
        const gpv = gv * lv;
        gp[b00 + c] += gpv * w00;
        gp[b01 + c] += gpv * w01;
        gp[b10 + c] += gpv * w10;
        gp[b11 + c] += gpv * w11;
        const glv = gv * pv;
        gl_[l0 + c] += glv * gl;
        gl_[l1 + c] += glv * fl;
      }
    }
  }
  return g;
}
