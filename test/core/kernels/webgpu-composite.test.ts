/**
 * The fused WebGPU compositing (kernels/webgpu-composite.ts) against compositeWeightsTf on the
 * cpu backend and against the host kernels weightsForward / weightsBackward (render/composite.ts,
 * double precision, every dense sample packed), with several shapes in a row (the kernels read
 * R and N from uniforms; a watch on the program cache fails if one key ever had two sources);
 * a finite-difference check of the hand-written gradient; the WGSL expm1 against Math.expm1; and
 * accumulateWebgpu against accumulateTf and accumulateForward / accumulateBackward.
 * Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/backend';
import {
  accumulateWebgpu,
  compositeWeightsBackwardWebgpu,
  compositeWeightsWebgpu,
  expm1Webgpu,
} from '../../../src/core/kernels/webgpu-composite';
import { T_EPS_WGSL } from '../../../src/core/kernels/wgsl/composite';
import {
  accumulateBackward,
  accumulateForward,
  T_EPS,
  weightsBackward,
  weightsForward,
  type Packing,
} from '../../../src/core/render/composite';
import { accumulateTf, compositeWeightsTf } from '../../../src/core/render/ops-tf';
import { Rng } from '../../../src/core/random';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';
import { watchShaderKeys, type ShaderKeyWatch } from './shader-key-watch';

const SCALE = 25;

/** [R, N] in a row: vec-unfriendly sizes, one sample, one ray, more rays than a workgroup, N = 443 (Lego at 128^3), and the first shape again. */
const SHAPES: [number, number][] = [
  [7, 12],
  [5, 6],
  [5, 9],
  [1, 1],
  [3, 443],
  [130, 17],
  [65, 2],
  [1, 40],
  [7, 12],
];

interface Case {
  R: number;
  N: number;
  sigma: Float32Array;
  delta: Float32Array;
  /** dL/dw, the cotangent of the gradient checks */
  g: Float32Array;
}

/** sigma spans 1e-4 .. 50 (ray 2 up to 400, so it saturates), 30% holes (sigma 0), ray 0 empty when R > 3; delta 0.005 .. 0.02, last sample 0. */
function makeCase(R: number, N: number, seed: number): Case {
  const rng = new Rng(seed);
  const sigma = new Float32Array(R * N);
  const delta = new Float32Array(R * N);
  for (let r = 0; r < R; r++) {
    for (let k = 0; k < N; k++) {
      const i = r * N + k;
      delta[i] = k === N - 1 ? 0 : rng.uniform(0.005, 0.02);
      if ((R > 3 && r === 0) || rng.next() < 0.3) continue;
      sigma[i] = Math.exp(rng.uniform(-9, r === 2 ? 6 : 4));
    }
  }
  const g = Float32Array.from({ length: R * N }, () => rng.normal());
  return { R, N, sigma, delta, g };
}

/** Every dense sample as a packed one (sigma 0 samples too: both layouts give them alpha 0). */
const packAll = (c: Case): Packing => ({ rayStart: Int32Array.from({ length: c.R + 1 }, (_, r) => r * c.N), delta: c.delta });

/** w and dL/dsigma on the active backend, read back. */
async function run(c: Case, f: typeof compositeWeightsTf): Promise<[Float32Array, Float32Array]> {
  const [w, dS] = tf.tidy(() => {
    const s = tf.tensor2d(c.sigma, [c.R, c.N]);
    const d = tf.tensor2d(c.delta, [c.R, c.N]);
    const g = tf.tensor2d(c.g, [c.R, c.N]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor2D, d, SCALE), g)))(s);
    return [f(s, d, SCALE), grad];
  });
  const out = [new Float32Array(await w.data()), new Float32Array(await dS.data())] as [Float32Array, Float32Array];
  tf.dispose([w, dS]);
  return out;
}

interface AccCase {
  R: number;
  N: number;
  w: Float32Array;
  mask: Float32Array;
  rgb: Float32Array;
  dOut: Float32Array;
}

/** Weights of a compositing case (host), mask = w > 1e-4 (the decode threshold), rgb in [0, 1), dL/drgb normal. */
function accCase(c: Case, seed: number): AccCase {
  const rng = new Rng(seed);
  const w = weightsForward(c.sigma, packAll(c), SCALE);
  const mask = Float32Array.from(w, (x) => (x > 1e-4 ? 1 : 0));
  const rgb = Float32Array.from({ length: 3 * w.length }, () => rng.next());
  const dOut = Float32Array.from({ length: 3 * c.R }, () => rng.normal());
  return { R: c.R, N: c.N, w, mask, rgb, dOut };
}

/** rgb and the gradients w.r.t. w and rgb of sum(out * dOut), on the active backend. */
async function runAcc(a: AccCase, f: typeof accumulateTf): Promise<Float32Array[]> {
  const outs = tf.tidy(() => {
    const w = tf.tensor2d(a.w, [a.R, a.N]);
    const rgb = tf.tensor3d(a.rgb, [a.R, a.N, 3]);
    const mask = tf.tensor2d(a.mask, [a.R, a.N]);
    const dOut = tf.tensor2d(a.dOut, [a.R, 3]);
    const grads = tf.grads((x: tf.Tensor, c: tf.Tensor) => f(x as tf.Tensor2D, c as tf.Tensor3D, mask))([w, rgb], dOut);
    return [f(w, rgb, mask), ...grads];
  });
  const data = await Promise.all(outs.map(async (t) => new Float32Array(await t.data())));
  tf.dispose(outs);
  return data;
}

/** The host kernels on the same samples packed: every dense sample, the decoded ones (mask 1) with a colour. */
function hostAcc(a: AccCase): Float32Array[] {
  const S = a.R * a.N;
  const rayOf = Int32Array.from({ length: S }, (_, s) => Math.floor(s / a.N));
  const idx = Int32Array.from(Array.from({ length: S }, (_, s) => s).filter((s) => a.mask[s] === 1));
  const rgbPacked = new Float32Array(3 * idx.length);
  idx.forEach((s, k) => rgbPacked.set(a.rgb.subarray(3 * s, 3 * s + 3), 3 * k));
  const out = accumulateForward(a.w, rgbPacked, idx, rayOf, a.R);
  const { dW, dRgb } = accumulateBackward(a.w, rgbPacked, idx, rayOf, a.dOut);
  const dRgbDense = new Float32Array(3 * S);
  idx.forEach((s, k) => dRgbDense.set(dRgb.subarray(3 * k, 3 * k + 3), 3 * s));
  return [out, dW, dRgbDense];
}

/** max |a - b| / max |b| */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

/** Largest |a - b| / |b| over elements with |b| > floor. */
function elemErr(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let e = 0;
  for (let i = 0; i < b.length; i++) if (Math.abs(b[i]) > floor) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return e;
}

describe('compositeWeightsWebgpu and accumulateWebgpu', () => {
  const cases = SHAPES.map(([R, N], i) => makeCase(R, N, 100 + i));
  const accCases = cases.map((c, i) => accCase(c, 200 + i));
  const tfRef: [Float32Array, Float32Array][] = [];
  const tfAcc: Float32Array[][] = [];
  let gpu: WebgpuSession;
  let watch: ShaderKeyWatch | undefined;

  beforeAll(async () => {
    await initBackend('cpu');
    for (const c of cases) tfRef.push(await run(c, compositeWeightsTf));
    for (const a of accCases) tfAcc.push(await runAcc(a, accumulateTf));
    gpu = await startWebgpu();
    if (gpu.info) {
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      watch = watchShaderKeys(tf.backend());
    }
  });

  afterAll(async () => {
    watch?.stop();
    await stopWebgpu();
  });

  it('uses the host kernels T epsilon', () => {
    expect(Number(T_EPS_WGSL)).toBe(T_EPS);
  });

  it('refuses to run on another backend, naming the plain-ops version', async () => {
    await tf.setBackend('cpu');
    try {
      expect(() => compositeWeightsWebgpu(tf.zeros([2, 3]), tf.zeros([2, 3]), SCALE)).toThrow(/webgpu backend only.*compositeWeightsTf/);
    } finally {
      if (gpu.info) await tf.setBackend('webgpu');
    }
  });

  it('a hand-computed ray', async (ctx) => {
    requireWebgpu(gpu, ctx);
    // x = sigma delta 25 = [0, ln 2, ln 2, ln 4] (delta 0.04, so sigma = x): alpha = [0, 0.5, 0.5, 0.75]
    // T = [1, 1, 0.5, 0.25] (up to 1e-10), w = [0, 0.5, 0.25, 0.1875]
    const sigma = tf.tensor2d([[0, Math.LN2, Math.LN2, Math.log(4)]]);
    const delta = tf.fill([1, 4], 0.04) as tf.Tensor2D;
    const w = await compositeWeightsWebgpu(sigma, delta, SCALE).data();
    [0, 0.5, 0.25, 0.1875].forEach((want, k) => expect(w[k]).toBeCloseTo(want, 6));
    tf.dispose([sigma, delta]);
  });

  it(`forward and d/dsigma match compositeWeightsTf (cpu) and the host kernels for ${SHAPES.length} shapes in a row`, async (ctx) => {
    requireWebgpu(gpu, ctx);
    const before = tf.memory().numTensors;
    const worst = { tf: 0, tfGrad: 0, host: 0, hostElem: 0, hostGrad: 0 };
    for (const [i, c] of cases.entries()) {
      const [w, dS] = await run(c, compositeWeightsWebgpu);
      const pk = packAll(c);
      const hostW = weightsForward(c.sigma, pk, SCALE);
      const hostG = weightsBackward(c.sigma, pk, SCALE, c.g);
      const e = {
        tf: relErr(w, tfRef[i][0]),
        tfGrad: relErr(dS, tfRef[i][1]),
        host: relErr(w, hostW),
        hostElem: elemErr(w, hostW, 1e-20),
        hostGrad: relErr(dS, hostG),
      };
      for (const k of Object.keys(worst) as (keyof typeof worst)[]) worst[k] = Math.max(worst[k], e[k]);
      // missing samples get weight exactly 0
      for (let j = 0; j < w.length; j++) if (c.sigma[j] === 0) expect(w[j]).toBe(0);
    }
    console.log(
      `compositeWeightsWebgpu, largest errors: vs compositeWeightsTf w ${worst.tf.toExponential(2)}, d/dsigma ${worst.tfGrad.toExponential(2)}; ` +
        `vs host w ${worst.host.toExponential(2)} (per element ${worst.hostElem.toExponential(2)}), d/dsigma ${worst.hostGrad.toExponential(2)}`,
    );
    expect(worst.tf).toBeLessThan(1e-5);
    expect(worst.tfGrad).toBeLessThan(1e-5);
    expect(worst.host).toBeLessThan(1e-6);
    expect(worst.hostElem).toBeLessThan(1e-4);
    expect(worst.hostGrad).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('d/dsigma agrees with central differences of the webgpu forward', async (ctx) => {
    requireWebgpu(gpu, ctx);
    // One ray of 20 samples with x = sigma delta 25 in 0.05 .. 1.5 (alpha 0.05 .. 0.78, T down to
    // ~1e-4), L = sum_k c_k w_k. Row 2k (2k + 1) is the ray with sigma_k + h (- h): one forward
    // call gives every difference. float32 rounding of L (~1e-7) over 2h = 0.02 is ~1e-5 of the
    // gradient's scale; the truncation error h^2/6 L''' is smaller still.
    const N = 20;
    const h = 0.01;
    const rng = new Rng(3);
    const sigma = Float32Array.from({ length: N }, () => rng.uniform(0.2, 6));
    const delta = new Float32Array(N).fill(0.01);
    const cw = Float32Array.from({ length: N }, () => rng.normal());
    const rows = new Float32Array(2 * N * N);
    for (let k = 0; k < N; k++) {
      rows.set(sigma, 2 * k * N);
      rows.set(sigma, (2 * k + 1) * N);
      rows[2 * k * N + k] += h;
      rows[(2 * k + 1) * N + k] -= h;
    }
    const [L, grad] = tf.tidy(() => {
      const d = tf.tensor2d(new Float32Array(2 * N * N).fill(0.01), [2 * N, N]);
      const L = tf.sum(tf.mul(compositeWeightsWebgpu(tf.tensor2d(rows, [2 * N, N]), d, SCALE), tf.tensor1d(cw)), 1);
      const grad = compositeWeightsBackwardWebgpu(tf.tensor2d(sigma, [1, N]), tf.tensor2d(delta, [1, N]), tf.tensor2d(cw, [1, N]), SCALE);
      return [L, grad];
    });
    const l = await L.data();
    const g = await grad.data();
    const fd = Float64Array.from({ length: N }, (_, k) => (l[2 * k] - l[2 * k + 1]) / (2 * h));
    const err = relErr(g, fd);
    console.log(
      `finite differences: rel err ${err.toExponential(2)} (max |grad| ${Math.max(...Array.from(fd, Math.abs)).toExponential(2)})`,
    );
    expect(err).toBeLessThan(1e-3);
    tf.dispose([L, grad]);
  });

  it('has no gradient w.r.t. delta or mask (constants), and says so instead of returning zeros', (ctx) => {
    requireWebgpu(gpu, ctx);
    const s = tf.ones([2, 3]) as tf.Tensor2D;
    const d = tf.fill([2, 3], 0.01) as tf.Tensor2D;
    const rgb = tf.ones([2, 3, 3]) as tf.Tensor3D;
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(compositeWeightsWebgpu(s, x as tf.Tensor2D, SCALE)))(d)).toThrow(/gradient/i);
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(accumulateWebgpu(s, rgb, x as tf.Tensor2D)))(d)).toThrow(/gradient/i);
    tf.dispose([s, d, rgb]);
  });

  it(`accumulate: rgb and the gradients w.r.t. w and rgb match accumulateTf (cpu) and the host kernels for ${SHAPES.length} shapes in a row`, async (ctx) => {
    requireWebgpu(gpu, ctx);
    const before = tf.memory().numTensors;
    let worstTf = 0;
    let worstHost = 0;
    for (const [i, a] of accCases.entries()) {
      const got = await runAcc(a, accumulateWebgpu);
      const host = hostAcc(a);
      got.forEach((g, k) => {
        worstTf = Math.max(worstTf, relErr(g, tfAcc[i][k]));
        worstHost = Math.max(worstHost, relErr(g, host[k]));
      });
    }
    console.log(
      `accumulateWebgpu, largest rel err over rgb, d/dw, d/drgb: vs accumulateTf ${worstTf.toExponential(2)}, vs host ${worstHost.toExponential(2)}`,
    );
    expect(worstTf).toBeLessThan(1e-5);
    expect(worstHost).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads float32 tensors whose buffer is int32 (zero-copy casts from int32 and bool)', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const [w, wRef, acc, accRef] = tf.tidy(() => {
      const sigmaInt = tf.cast(
        tf.tensor2d(
          [
            [0, 1, 2, 3],
            [4, 0, 1, 7],
          ],
          [2, 4],
          'int32',
        ),
        'float32',
      ) as tf.Tensor2D;
      const sigma = tf.tensor2d([
        [0, 1, 2, 3],
        [4, 0, 1, 7],
      ]);
      const delta = tf.fill([2, 4], 0.01) as tf.Tensor2D;
      const wt = compositeWeightsWebgpu(sigma, delta, SCALE);
      const maskBool = tf.cast(tf.greater(wt, 0.2), 'float32') as tf.Tensor2D;
      const rgb = tf.fill([2, 4, 3], 0.5) as tf.Tensor3D;
      return [compositeWeightsWebgpu(sigmaInt, delta, SCALE), wt, accumulateWebgpu(wt, rgb, maskBool), maskBool];
    });
    expect(maxAbsDiff(await w.data(), await wRef.data())).toBe(0);
    // rgb = 0.5 * sum(w over decoded) + 1 - sum(w)
    const wv = await wRef.data();
    const m = await accRef.data();
    const want = [0, 1].map((r) => {
      let dec = 0;
      let all = 0;
      for (let k = 0; k < 4; k++) {
        all += wv[4 * r + k];
        dec += m[4 * r + k] * wv[4 * r + k];
      }
      return 0.5 * dec + 1 - all;
    });
    const got = await acc.data();
    for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) expect(got[3 * r + c]).toBeCloseTo(want[r], 6);
    expect(Array.from(m).some((x) => x === 1) && Array.from(m).some((x) => x === 0)).toBe(true);
    tf.dispose([w, wRef, acc, accRef]);
  });

  it('expm1 in WGSL is accurate near 0, where exp(x) - 1 (tfjs webgpu expm1) is not', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const xs = new Float32Array([
      ...Array.from({ length: 301 }, (_, i) => -30 + i * 0.1),
      ...[1e-30, 1e-12, 1e-7, 3e-5, 1e-3, 0.0999, 0.4999, 0.5, 0.5001, 2.5, 10].flatMap((x) => [x, -x]),
      0,
    ]);
    const x = tf.tensor1d(xs);
    const ours = await expm1Webgpu(x).data();
    const err = Array.from(xs, (v, i) => (v === 0 ? Math.abs(ours[i]) : Math.abs(ours[i] - Math.expm1(v)) / Math.abs(Math.expm1(v))));
    const worst = Math.max(...err);
    const stock = await tf.expm1(tf.tensor1d([1e-7, -1e-7])).data();
    console.log(`expm1Webgpu: largest rel err ${worst.toExponential(2)}; tf.expm1 on webgpu at +-1e-7: ${Array.from(stock).join(', ')}`);
    expect(worst).toBeLessThan(6e-7); // a few float32 ulps (2^-23 = 1.2e-7)
    tf.dispose(x);
  });

  it('no program cache key was run with two different shader sources', (ctx) => {
    requireWebgpu(gpu, ctx);
    if (!watch?.supported) ctx.skip('tfjs-backend-webgpu internals changed: runWebGPUProgram not found');
    const programs = watch!.programs();
    console.log(`programs run (distinct cache keys): ${[...programs].map(([n, k]) => `${n} ${k}`).join(', ')}`);
    expect(programs.get('CompositeForwardProgram')).toBeGreaterThan(0);
    expect(programs.get('CompositeBackwardProgram')).toBeGreaterThan(0);
    expect(programs.get('AccumulateForwardProgram')).toBeGreaterThan(0);
    expect(programs.get('AccumulateBackwardProgram')).toBeGreaterThan(1);
    expect(watch!.clashes()).toEqual([]);
  });
});
