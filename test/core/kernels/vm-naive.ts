/**
 * Float64 naive reference of the VM factor sampling and its gradients for the webgpu-vm tests
 * (test helper), written from vmSampleTf's contract (render/ops-tf.ts): channels-last planes
 * [H, W, C] with W along MAT_MODE[p][0], lines [L, C] along VEC_MODE[p], aligned-corner taps with
 * the kernels' float32 tap arithmetic, everything after the taps in float64. Besides the gradients
 * it returns, per gradient entry, the number of contributions and the sum of their magnitudes
 * with every term made non-negative, which the fixed-point error bound is stated in.
 */
import { MAT_MODE, VEC_MODE, type Vec3 } from '../../../src/core/field/geometry';

export type Mode = 'sum' | 'products';

export interface Data {
  reso: Vec3;
  C: number;
  S: number;
  planes: Float32Array[];
  lines: Float32Array[];
  coords: Float32Array;
  valid?: Float32Array;
}

export const planeHW = (reso: Vec3, p: number): [number, number] => [reso[MAT_MODE[p][1]], reso[MAT_MODE[p][0]]];

/** Aligned-corner tap with the kernels' float32 arithmetic. */
function tap(x: number, n: number): { i0: number; f: number } {
  const px = Math.min(Math.max(Math.fround(Math.fround(x + 1) * (0.5 * (n - 1))), 0), n - 1);
  const i0 = Math.min(Math.floor(px), n - 2);
  return { i0, f: Math.fround(px - i0) };
}

export interface Naive {
  out: Float64Array;
  /** plane0..2 then line0..2 */
  grads: Float64Array[];
  /** per gradient entry: sum of |contribution| and number of contributions */
  absSum: Float64Array[];
  count: Float64Array[];
}

/** Float64 reference: value and gradients of sum(out * dy). */
export function naive(d: Data, mode: Mode, dy: Float32Array): Naive {
  const { reso, C, S } = d;
  const out = new Float64Array(mode === 'sum' ? S : S * 3 * C);
  const sizes = [...d.planes.map((x) => x.length), ...d.lines.map((x) => x.length)];
  const grads = sizes.map((n) => new Float64Array(n));
  const absSum = sizes.map((n) => new Float64Array(n));
  const count = sizes.map((n) => new Float64Array(n));
  // absV: the contribution with every term made non-negative (its float32 rounding is relative to that)
  const add = (k: number, i: number, v: number, absV: number) => {
    grads[k][i] += v;
    absSum[k][i] += absV;
    count[k][i]++;
  };
  for (let s = 0; s < S; s++) {
    const v = d.valid ? d.valid[s] : 1;
    for (let p = 0; p < 3; p++) {
      const [H, W] = planeHW(reso, p);
      const L = reso[VEC_MODE[p]];
      const tx = tap(d.coords[3 * s + MAT_MODE[p][0]], W);
      const ty = tap(d.coords[3 * s + MAT_MODE[p][1]], H);
      const tl = tap(d.coords[3 * s + VEC_MODE[p]], L);
      const w0 = (1 - ty.f) * (1 - tx.f);
      const w1 = (1 - ty.f) * tx.f;
      const w2 = ty.f * (1 - tx.f);
      const w3 = ty.f * tx.f;
      const wl0 = 1 - tl.f;
      const wl1 = tl.f;
      const P = d.planes[p];
      const Ln = d.lines[p];
      for (let c = 0; c < C; c++) {
        const r0 = (ty.i0 * W + tx.i0) * C + c;
        const r1 = r0 + C;
        const r2 = r0 + W * C;
        const r3 = r2 + C;
        const l0 = tl.i0 * C + c;
        const l1 = l0 + C;
        const pv = P[r0] * w0 + P[r1] * w1 + P[r2] * w2 + P[r3] * w3;
        const lv = Ln[l0] * wl0 + Ln[l1] * wl1;
        if (mode === 'sum') out[s] += pv * lv * v;
        else out[s * 3 * C + p * C + c] = pv * lv * v;
        if (v === 0) continue;
        const g = (mode === 'sum' ? dy[s] : dy[s * 3 * C + p * C + c]) * v;
        const pvAbs = Math.abs(P[r0] * w0) + Math.abs(P[r1] * w1) + Math.abs(P[r2] * w2) + Math.abs(P[r3] * w3);
        const lvAbs = Math.abs(Ln[l0] * wl0) + Math.abs(Ln[l1] * wl1);
        const gl = g * lv;
        const gla = Math.abs(g) * lvAbs;
        add(p, r0, gl * w0, gla * w0);
        add(p, r1, gl * w1, gla * w1);
        add(p, r2, gl * w2, gla * w2);
        add(p, r3, gl * w3, gla * w3);
        add(3 + p, l0, g * pv * wl0, Math.abs(g) * pvAbs * wl0);
        add(3 + p, l1, g * pv * wl1, Math.abs(g) * pvAbs * wl1);
      }
    }
  }
  return { out, grads, absSum, count };
}
