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
interface Taps {
  plane: Int32Array; // base offset of the (x0, y0) texel, times C
  w: Float64Array; // 4 per point (double, as computed inline before)
  line: Int32Array; // offset of l0 times C
  fl: Float32Array;
  rowStride: number; // W * C
}

function axisTap(x: number, n: number): [number, number] {
  let px = (x + 1) * 0.5 * (n - 1);
  if (px < 0) px = 0;
  else if (px > n - 1) px = n - 1;
  let i0 = Math.floor(px);
  if (i0 > n - 2) i0 = n - 2;
  return [i0, px - i0];
}

function computeTaps(reso: Vec3, p: number, comps: number, coords: Float32Array, n: number): Taps {
  const ax = MAT_MODE[p][0];
  const ay = MAT_MODE[p][1];
  const az = VEC_MODE[p];
  const W = reso[ax];
  const H = reso[ay];
  const L = reso[az];
  const t: Taps = {
    plane: new Int32Array(n),
    w: new Float64Array(4 * n),
    line: new Int32Array(n),
    fl: new Float32Array(n),
    rowStride: W * comps,
  };
  for (let s = 0; s < n; s++) {
    const [x0, fx] = axisTap(coords[3 * s + ax], W);
    const [y0, fy] = axisTap(coords[3 * s + ay], H);
    const [l0, fl] = axisTap(coords[3 * s + az], L);
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

export function vmForward(f: VMFactors, coords: Float32Array, n: number, mode: VMMode): Float32Array {
  const C = f.comps;
  const P = f.planes.length;
  const out = new Float32Array(mode === 'sum' ? n : n * P * C);
  for (let p = 0; p < P; p++) {
    const t = computeTaps(f.reso, p, C, coords, n);
    const plane = f.planes[p];
    const line = f.lines[p];
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

/** Gradients of sum(dOut * vmForward(...)) with respect to every plane and line. */
export function vmBackward(
  f: VMFactors,
  coords: Float32Array,
  n: number,
  mode: VMMode,
  dOut: Float32Array,
): { planes: Float32Array[]; lines: Float32Array[] } {
  const C = f.comps;
  const P = f.planes.length;
  const gPlanes = f.planes.map((a) => new Float32Array(a.length));
  const gLines = f.lines.map((a) => new Float32Array(a.length));
  for (let p = 0; p < P; p++) {
    const t = computeTaps(f.reso, p, C, coords, n);
    const plane = f.planes[p];
    const line = f.lines[p];
    const gp = gPlanes[p];
    const gl_ = gLines[p];
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
      for (let c = 0; c < C; c++) {
        const g = mode === 'sum' ? gs : dOut[o + c];
        if (g === 0) continue;
        const pv = plane[b00 + c] * w00 + plane[b01 + c] * w01 + plane[b10 + c] * w10 + plane[b11 + c] * w11;
        const lv = line[l0 + c] * gl + line[l1 + c] * fl;
        const gpv = g * lv;
        gp[b00 + c] += gpv * w00;
        gp[b01 + c] += gpv * w01;
        gp[b10 + c] += gpv * w10;
        gp[b11 + c] += gpv * w11;
        const glv = g * pv;
        gl_[l0 + c] += glv * gl;
        gl_[l1 + c] += glv * fl;
      }
    }
  }
  return { planes: gPlanes, lines: gLines };
}
