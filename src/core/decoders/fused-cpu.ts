/**
 * A fused CPU forward/backward for the three decoders (they share one shape: input
 * [f, d, PE(f), PE(d)], two hidden layers, a linear output layer, sigmoid), behind tf.customGrad
 * so it drops in for `Decoder.apply` on the cpu backend. The plain-ops `apply` is the reference; a
 * test holds the two to the same values and gradients. Hidden activations:
 *   relu:  h = max(z, 0)
 *   sine:  h = sin(omega z)
 *   split: h = m tanh(a) sigmoid(b) sin(c) cos(e), z = [a | b | c | e] (four k-wide blocks)
 * The view directions get no gradient (they are data).
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemm } from '../kernels/gemm';

export type HiddenActivation = { kind: 'relu' } | { kind: 'sine'; omega: number } | { kind: 'split'; m: number };

export interface FusedSpec {
  act: HiddenActivation;
  fePe: number;
  viewPe: number;
}

/** [f, d, sin PE(f), cos PE(f), sin PE(d), cos PE(d)], PE index i * freqs + k. */
export function buildInput(f: Float32Array, d: Float32Array, n: number, F: number, fe: number, vp: number): Float32Array {
  const D = F + 3 + 2 * F * fe + 6 * vp;
  const x = new Float32Array(n * D);
  for (let r = 0; r < n; r++) {
    const o = r * D;
    const fo = r * F;
    for (let i = 0; i < F; i++) x[o + i] = f[fo + i];
    for (let i = 0; i < 3; i++) x[o + F + i] = d[3 * r + i];
    let s = o + F + 3;
    for (let i = 0; i < F; i++) for (let k = 0; k < fe; k++) x[s + i * fe + k] = Math.sin(f[fo + i] * 2 ** k);
    s += F * fe;
    for (let i = 0; i < F; i++) for (let k = 0; k < fe; k++) x[s + i * fe + k] = Math.cos(f[fo + i] * 2 ** k);
    s += F * fe;
    for (let i = 0; i < 3; i++) for (let k = 0; k < vp; k++) x[s + i * vp + k] = Math.sin(d[3 * r + i] * 2 ** k);
    s += 3 * vp;
    for (let i = 0; i < 3; i++) for (let k = 0; k < vp; k++) x[s + i * vp + k] = Math.cos(d[3 * r + i] * 2 ** k);
  }
  return x;
}

function addBias(z: Float32Array, b: Float32Array, n: number, c: number): void {
  for (let r = 0; r < n; r++) for (let j = 0, o = r * c; j < c; j++) z[o + j] += b[j];
}

function colSum(g: Float32Array, n: number, c: number): Float32Array {
  const acc = new Float64Array(c);
  for (let r = 0; r < n; r++) for (let j = 0, o = r * c; j < c; j++) acc[j] += g[o + j];
  return Float32Array.from(acc);
}

const sigm = (x: number) => 1 / (1 + Math.exp(-x));

/** h = act(z); z is [n, zc] (zc = 4k for split), h is [n, k]. */
function activate(act: HiddenActivation, z: Float32Array, n: number, k: number): Float32Array {
  const h = new Float32Array(n * k);
  if (act.kind === 'relu') for (let i = 0; i < h.length; i++) h[i] = Math.max(z[i], 0);
  else if (act.kind === 'sine') for (let i = 0; i < h.length; i++) h[i] = Math.sin(act.omega * z[i]);
  else {
    const m = act.m;
    for (let r = 0; r < n; r++) {
      const zo = r * 4 * k;
      for (let j = 0; j < k; j++) {
        h[r * k + j] = m * Math.tanh(z[zo + j]) * sigm(z[zo + k + j]) * Math.sin(z[zo + 2 * k + j]) * Math.cos(z[zo + 3 * k + j]);
      }
    }
  }
  return h;
}

/** dL/dz from dL/dh. */
function activationGrad(act: HiddenActivation, z: Float32Array, dh: Float32Array, n: number, k: number): Float32Array {
  if (act.kind === 'relu') {
    const dz = new Float32Array(n * k);
    for (let i = 0; i < dz.length; i++) dz[i] = z[i] > 0 ? dh[i] : 0;
    return dz;
  }
  if (act.kind === 'sine') {
    const dz = new Float32Array(n * k);
    for (let i = 0; i < dz.length; i++) dz[i] = dh[i] * act.omega * Math.cos(act.omega * z[i]);
    return dz;
  }
  const m = act.m;
  const dz = new Float32Array(n * 4 * k);
  for (let r = 0; r < n; r++) {
    const zo = r * 4 * k;
    for (let j = 0; j < k; j++) {
      const g = dh[r * k + j] * m;
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
  return dz;
}

const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;

/** rgb [N, 3] = decoder(features [N, F], dirs [N, 3]) with params [w1, b1, w2, b2, w3, b3]. */
export function fusedDecoder(spec: FusedSpec, p: tf.Tensor[], features: tf.Tensor2D, dirs: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ts = args.slice(0, 8) as tf.Tensor[];
    const [fT, dT, w1T, b1T, w2T, b2T, w3T, b3T] = ts;
    const [n, F] = fT.shape as [number, number];
    const f = f32(fT);
    const d = f32(dT);
    const [w1, b1, w2, b2, w3, b3] = [w1T, b1T, w2T, b2T, w3T, b3T].map(f32);
    const [D0, Z1c] = w1T.shape as number[];
    const [H, Z2c] = w2T.shape as number[];
    const x0 = buildInput(f, d, n, F, spec.fePe, spec.viewPe);
    const z1 = gemm(x0, w1, n, D0, Z1c);
    addBias(z1, b1, n, Z1c);
    const h1 = activate(spec.act, z1, n, H);
    const z2 = gemm(h1, w2, n, H, Z2c);
    addBias(z2, b2, n, Z2c);
    const h2 = activate(spec.act, z2, n, H);
    const z3 = gemm(h2, w3, n, H, 3);
    addBias(z3, b3, n, 3);
    const out = new Float32Array(n * 3);
    for (let i = 0; i < out.length; i++) out[i] = sigm(z3[i]);
    const gradFunc = (dy: tf.Tensor) => {
      const g = f32(dy);
      const dz3 = new Float32Array(n * 3);
      for (let i = 0; i < dz3.length; i++) dz3[i] = g[i] * out[i] * (1 - out[i]);
      const dw3 = gemm(h2, dz3, H, n, 3, true);
      const db3 = colSum(dz3, n, 3);
      const dz2 = activationGrad(spec.act, z2, gemm(dz3, w3, n, 3, H, false, true), n, H);
      const dw2 = gemm(h1, dz2, H, n, Z2c, true);
      const db2 = colSum(dz2, n, Z2c);
      const dz1 = activationGrad(spec.act, z1, gemm(dz2, w2, n, Z2c, H, false, true), n, H);
      const dw1 = gemm(x0, dz1, D0, n, Z1c, true);
      const db1 = colSum(dz1, n, Z1c);
      const dx0 = gemm(dz1, w1, n, Z1c, D0, false, true);
      const df = new Float32Array(n * F);
      const fe = spec.fePe;
      for (let r = 0; r < n; r++) {
        const o = r * D0;
        const sOff = o + F + 3;
        const cOff = sOff + F * fe;
        for (let i = 0; i < F; i++) {
          const x = f[r * F + i];
          let acc = dx0[o + i];
          for (let k = 0; k < fe; k++) {
            const s = 2 ** k;
            acc += s * (dx0[sOff + i * fe + k] * Math.cos(x * s) - dx0[cOff + i * fe + k] * Math.sin(x * s));
          }
          df[r * F + i] = acc;
        }
      }
      return [
        tf.tensor2d(df, [n, F]),
        tf.zerosLike(dT),
        tf.tensor(dw1, w1T.shape),
        tf.tensor(db1, b1T.shape),
        tf.tensor(dw2, w2T.shape),
        tf.tensor(db2, b2T.shape),
        tf.tensor(dw3, w3T.shape),
        tf.tensor(db3, b3T.shape),
      ];
    };
    return { value: tf.tensor2d(out, [n, 3]), gradFunc };
  });
  return op(features, dirs, ...p) as tf.Tensor2D;
}
