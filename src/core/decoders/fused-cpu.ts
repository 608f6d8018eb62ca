/**
 * The three decoders' forward and backward written out for the CPU, on a range of rows, so that
 * the rows of a batch can be cut between threads (render/decoder-op.ts runs them behind
 * tf.customGrad; the plain-ops `Decoder.apply` is the reference a test holds them to). They share
 * one shape: input [f, d, PE(f), PE(d)], two hidden layers, a linear output layer, sigmoid.
 * Hidden activations:
 *   relu:  h = max(z, 0)
 *   sine:  h = sin(omega z)
 *   split: h = m tanh(a) sigmoid(b) sin(c) cos(e), z = [a | b | c | e] (four k-wide blocks)
 * The view directions get no gradient (they are data). Every row is computed the same way
 * whatever the range; the weight gradients of a range are that range's sums (a partial), which
 * the caller adds up in range order.
 */
import { gemm } from '../kernels/gemm';

export type HiddenActivation = { kind: 'relu' } | { kind: 'sine'; omega: number } | { kind: 'split'; m: number };

export interface FusedSpec {
  act: HiddenActivation;
  fePe: number;
  viewPe: number;
}

/** The weights [w1, b1, w2, b2, w3, b3] and their sizes: w1 [D0, Z1c], w2 [H, Z2c], w3 [H, 3]. */
export interface DecoderWeights {
  w: Float32Array[];
  F: number; // appearance features per row
  D0: number;
  Z1c: number;
  H: number;
  Z2c: number;
}

/** Per-row buffers of a batch of n rows (inputs f [n, F], d [n, 3]; the rest written by the forward). */
export interface DecoderRows {
  f: Float32Array;
  d: Float32Array;
  x0: Float32Array; // [n, D0]
  z1: Float32Array; // [n, Z1c]
  h1: Float32Array; // [n, H]
  z2: Float32Array; // [n, Z2c]
  h2: Float32Array; // [n, H]
  out: Float32Array; // [n, 3]
}

export function inputDim(F: number, fe: number, vp: number): number {
  return F + 3 + 2 * F * fe + 6 * vp;
}

/** Sizes of the weight gradients [dw1, db1, dw2, db2, dw3, db3] and their total. */
export function gradientSizes(w: DecoderWeights): { sizes: number[]; total: number } {
  const sizes = w.w.map((a) => a.length);
  return { sizes, total: sizes.reduce((a, b) => a + b, 0) };
}

/** Where buildInput reads f and writes x: row r of f at (r - fBase) * fStride, of x at (r - base) * stride. */
export interface InputLayout {
  stride: number;
  base: number;
  fStride: number;
  fBase: number;
}

/**
 * Rows lo..hi-1 of [f, d, sin PE(f), cos PE(f), sin PE(d), cos PE(d)], PE index i * freqs + k;
 * by default f is [n, F] and x [n, D] with every row in its own place (`layout` changes that).
 */
export function buildInput(
  f: Float32Array,
  d: Float32Array,
  n: number,
  F: number,
  fe: number,
  vp: number,
  x: Float32Array = new Float32Array(n * inputDim(F, fe, vp)),
  lo = 0,
  hi = n,
  layout: InputLayout = { stride: inputDim(F, fe, vp), base: 0, fStride: F, fBase: 0 },
): Float32Array {
  for (let r = lo; r < hi; r++) {
    const o = (r - layout.base) * layout.stride;
    const fo = (r - layout.fBase) * layout.fStride;
    for (let i = 0; i < F; i++) x[o + i] = f[fo + i];
    for (let i = 0; i < 3; i++) x[o + F + i] = d[3 * r + i];
    const s = o + F + 3;
    for (let i = 0; i < F; i++) encode(f[fo + i], fe, x, s + i * fe, s + F * fe + i * fe);
    const v = s + 2 * F * fe;
    for (let i = 0; i < 3; i++) encode(d[3 * r + i], vp, x, v + i * vp, v + 3 * vp + i * vp);
  }
  return x;
}

/**
 * sin(v 2^k) and cos(v 2^k), k = 0..freqs-1, into x at sOff + k and cOff + k: one sin and one cos,
 * then the double-angle identities sin 2a = 2 sin a cos a, cos 2a = (cos a - sin a)(cos a + sin a)
 * in double (error ~1e-16 per doubling, far below the float32 the values are stored in).
 */
function encode(v: number, freqs: number, x: Float32Array, sOff: number, cOff: number): void {
  if (freqs <= 0) return;
  let sn = Math.sin(v);
  let cs = Math.cos(v);
  x[sOff] = sn;
  x[cOff] = cs;
  for (let k = 1; k < freqs; k++) {
    const s2 = 2 * sn * cs;
    cs = (cs - sn) * (cs + sn);
    sn = s2;
    x[sOff + k] = sn;
    x[cOff + k] = cs;
  }
}

export const sigm = (x: number) => 1 / (1 + Math.exp(-x));

/** z (n rows of zc) += the bias row. */
function addBias(z: Float32Array, b: Float32Array, n: number, c: number): void {
  for (let r = 0; r < n; r++) for (let j = 0, o = r * c; j < c; j++) z[o + j] += b[j];
}

/**
 * h = act(z) per row (the bias is added already), z and h strided (zs, hs; for split z holds
 * four k-wide blocks); h's padding columns beyond k set to 0.
 */
export function activate(act: HiddenActivation, z: Float32Array, zs: number, h: Float32Array, hs: number, k: number, rows: number): void {
  if (act.kind === 'relu') {
    for (let r = 0; r < rows; r++) {
      const zo = r * zs;
      const ho = r * hs;
      for (let j = 0; j < k; j++) h[ho + j] = Math.max(z[zo + j], 0);
    }
  } else if (act.kind === 'sine') {
    const w = act.omega;
    for (let r = 0; r < rows; r++) {
      const zo = r * zs;
      const ho = r * hs;
      for (let j = 0; j < k; j++) h[ho + j] = Math.sin(w * z[zo + j]);
    }
  } else {
    const m = act.m;
    for (let r = 0; r < rows; r++) {
      const zo = r * zs;
      const ho = r * hs;
      for (let j = 0; j < k; j++)
        h[ho + j] = m * Math.tanh(z[zo + j]) * sigm(z[zo + k + j]) * Math.sin(z[zo + 2 * k + j]) * Math.cos(z[zo + 3 * k + j]);
    }
  }
  if (hs > k) for (let r = 0; r < rows; r++) h.fill(0, r * hs + k, r * hs + hs);
}

/** dz (strided zs, zero padded) from dh (strided hs) and z, for `rows` rows. One loop per activation. */
export function activationGrad(
  act: HiddenActivation,
  z: Float32Array,
  dh: Float32Array,
  dz: Float32Array,
  zs: number,
  hs: number,
  k: number,
  rows: number,
): void {
  const zc = act.kind === 'split' ? 4 * k : k;
  if (zs > zc) dz.fill(0);
  if (act.kind === 'relu') {
    for (let r = 0; r < rows; r++) {
      const zo = r * zs;
      const ho = r * hs;
      for (let j = 0; j < k; j++) dz[zo + j] = z[zo + j] > 0 ? dh[ho + j] : 0;
    }
  } else if (act.kind === 'sine') {
    const w = act.omega;
    for (let r = 0; r < rows; r++) {
      const zo = r * zs;
      const ho = r * hs;
      for (let j = 0; j < k; j++) dz[zo + j] = dh[ho + j] * w * Math.cos(w * z[zo + j]);
    }
  } else {
    const m = act.m;
    for (let r = 0; r < rows; r++) {
      const zo = r * zs;
      const ho = r * hs;
      for (let j = 0; j < k; j++) {
        const g = dh[ho + j] * m;
        const t = Math.tanh(z[zo + j]);
        const s = sigm(z[zo + k + j]);
        const c = z[zo + 2 * k + j];
        const e = z[zo + 3 * k + j];
        const sn = Math.sin(c);
        const cs = Math.cos(e);
        dz[zo + j] = g * (1 - t * t) * s * sn * cs;
        dz[zo + k + j] = g * t * s * (1 - s) * sn * cs;
        dz[zo + 2 * k + j] = g * t * s * Math.cos(c) * cs;
        dz[zo + 3 * k + j] = -g * t * s * sn * Math.sin(e);
      }
    }
  }
}

/** Column sums (double) of the first `cols` columns of a [rows, stride] region, into out. */
export function colSum(v: Float32Array, rows: number, stride: number, cols: number, out: Float32Array): void {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0, o = r * stride; j < cols; j++) acc[j] += v[o + j];
  out.set(acc);
}

const rows = (a: Float32Array, lo: number, hi: number, c: number) => a.subarray(lo * c, hi * c);

/** The forward of rows lo..hi-1: x0, z1, h1, z2, h2 and out of those rows. */
export function decoderForwardRows(spec: FusedSpec, w: DecoderWeights, b: DecoderRows, lo: number, hi: number): void {
  const m = hi - lo;
  if (m <= 0) return;
  const { F, D0, Z1c, H, Z2c } = w;
  const [w1, b1, w2, b2, w3, b3] = w.w;
  buildInput(b.f, b.d, hi, F, spec.fePe, spec.viewPe, b.x0, lo, hi);
  const z1 = rows(b.z1, lo, hi, Z1c);
  z1.set(gemm(rows(b.x0, lo, hi, D0), w1, m, D0, Z1c));
  addBias(z1, b1, m, Z1c);
  const h1 = rows(b.h1, lo, hi, H);
  activate(spec.act, z1, Z1c, h1, H, H, m);
  const z2 = rows(b.z2, lo, hi, Z2c);
  z2.set(gemm(h1, w2, m, H, Z2c));
  addBias(z2, b2, m, Z2c);
  const h2 = rows(b.h2, lo, hi, H);
  activate(spec.act, z2, Z2c, h2, H, H, m);
  const z3 = gemm(h2, w3, m, H, 3);
  addBias(z3, b3, m, 3);
  const out = rows(b.out, lo, hi, 3);
  for (let i = 0; i < 3 * m; i++) out[i] = sigm(z3[i]);
}

/**
 * The backward of rows lo..hi-1 from dL/dout (g [n, 3]): dL/df of those rows into df, and the
 * weight gradients summed over those rows into `partial` ([dw1, db1, dw2, db2, dw3, db3] flat).
 */
export function decoderBackwardRows(
  spec: FusedSpec,
  w: DecoderWeights,
  b: DecoderRows,
  g: Float32Array,
  df: Float32Array,
  partial: Float32Array,
  lo: number,
  hi: number,
): void {
  const m = hi - lo;
  const { F, D0, Z1c, H, Z2c } = w;
  const { sizes } = gradientSizes(w);
  const offs = sizes.map((_, i) => sizes.slice(0, i).reduce((a, c) => a + c, 0));
  const at = (i: number) => partial.subarray(offs[i], offs[i] + sizes[i]);
  if (m <= 0) {
    partial.fill(0);
    return;
  }
  const [w1, , w2, , w3] = w.w;
  const out = rows(b.out, lo, hi, 3);
  const gr = rows(g, lo, hi, 3);
  const h1 = rows(b.h1, lo, hi, H);
  const h2 = rows(b.h2, lo, hi, H);
  const x0 = rows(b.x0, lo, hi, D0);
  const dz3 = new Float32Array(m * 3);
  for (let i = 0; i < dz3.length; i++) dz3[i] = gr[i] * out[i] * (1 - out[i]);
  at(4).set(gemm(h2, dz3, H, m, 3, true));
  colSum(dz3, m, 3, 3, at(5));
  const dz2 = new Float32Array(m * Z2c);
  activationGrad(spec.act, rows(b.z2, lo, hi, Z2c), gemm(dz3, w3, m, 3, H, false, true), dz2, Z2c, H, H, m);
  at(2).set(gemm(h1, dz2, H, m, Z2c, true));
  colSum(dz2, m, Z2c, Z2c, at(3));
  const dz1 = new Float32Array(m * Z1c);
  activationGrad(spec.act, rows(b.z1, lo, hi, Z1c), gemm(dz2, w2, m, Z2c, H, false, true), dz1, Z1c, H, H, m);
  at(0).set(gemm(x0, dz1, D0, m, Z1c, true));
  colSum(dz1, m, Z1c, Z1c, at(1));
  const dx0 = gemm(dz1, w1, m, Z1c, D0, false, true);
  const fe = spec.fePe;
  for (let q = 0; q < m; q++) {
    const r = lo + q;
    const o = q * D0;
    const sOff = o + F + 3;
    const cOff = sOff + F * fe;
    const xo = r * D0; // the forward's sin and cos, kept in x0: no trigonometry here
    for (let i = 0; i < F; i++) {
      let acc = dx0[o + i];
      for (let k = 0; k < fe; k++) {
        const j = i * fe + k;
        acc += 2 ** k * (dx0[sOff + j] * b.x0[xo + F + 3 + F * fe + j] - dx0[cOff + j] * b.x0[xo + F + 3 + j]);
      }
      df[r * F + i] = acc;
    }
  }
}
