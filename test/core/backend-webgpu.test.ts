/**
 * Backend selection, and the same small forward + backward on the cpu backend and on WebGPU
 * (Dawn from the `webgpu` package; on a machine without a GPU, Mesa's lavapipe): VM appearance
 * sampling (vmSampleTf 'products') -> basis matmul -> MLP decoder -> MSE, and density sampling ->
 * compositing -> accumulation, with tfjs autodiff gradients w.r.t. every parameter.
 *
 * If WebGPU cannot start, the WebGPU tests fail with the reason, unless TENSORF_SKIP_WEBGPU=1
 * (then they are skipped).
 */
import { DEFAULT_DECODER_OPTIONS } from '../../src/core/decoders/defaults';
import type { Decoder } from '../../src/core/decoders/types';
import { BackendError } from '../../src/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../../src/core/backend';
import { createDecoder } from '../../src/core/decoders/decoder';
import type { Vec3 } from '../../src/core/field/geometry';
import { lineShape, planeShape } from '../../src/core/field/vm-kernels';
import { accumulateTf, compositeWeightsTf, decodeMaskTf, vmSampleTf } from '../../src/core/render/ops-tf';
import { Rng } from '../../src/core/random';

const SKIP_WEBGPU = process.env.TENSORF_SKIP_WEBGPU === '1';
const REL_TOL = 1e-4;

const RESO: Vec3 = [5, 6, 7];
const C = 4;
const S = 64;
const FEATURES = DEFAULT_DECODER_OPTIONS.inFeatures;

interface Problem {
  planes: Float32Array[];
  lines: Float32Array[];
  coords: Float32Array;
  basis: Float32Array;
  dirs: Float32Array;
  target: Float32Array;
  decoder: Decoder;
  // compositing
  R: number;
  N: number;
  rayCoords: Float32Array; // [R * N, 3]
  delta: Float32Array; // [R, N]
  sampleRgb: Float32Array; // [R, N, 3]
}

function makeProblem(): Problem {
  const rng = new Rng(7);
  const randn = (n: number, k: number) => Float32Array.from({ length: n }, () => k * rng.normal());
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const planes = [0, 1, 2].map((p) => randn(size(planeShape(RESO, p, C)), 0.5));
  const lines = [0, 1, 2].map((p) => randn(size(lineShape(RESO, p, C)), 0.5));
  const coords = Float32Array.from({ length: 3 * S }, () => rng.uniform(-1, 1));
  coords.set([1, 1, 1, -1, -1, -1, 1, -1, 0.5, -0.25, 1, -1]); // on the faces and corners
  const basis = randn(3 * C * FEATURES, 0.3);
  const dirs = new Float32Array(3 * S);
  for (let s = 0; s < S; s++) {
    const v = [rng.normal(), rng.normal(), rng.normal()];
    const n = Math.hypot(...v);
    for (let a = 0; a < 3; a++) dirs[3 * s + a] = v[a] / n;
  }
  const target = Float32Array.from({ length: 3 * S }, () => rng.next());
  const decoder = createDecoder('mlp', { ...DEFAULT_DECODER_OPTIONS, width: 16 }, new Rng(1));
  const R = 6;
  const N = 10;
  // rays: straight lines through the box along x at random (y, z)
  const rayCoords = new Float32Array(R * N * 3);
  const delta = new Float32Array(R * N);
  for (let r = 0; r < R; r++) {
    const y = rng.uniform(-1, 1);
    const z = rng.uniform(-1, 1);
    for (let k = 0; k < N; k++) {
      rayCoords.set([-1 + (2 * k) / (N - 1), y, z], 3 * (r * N + k));
      delta[r * N + k] = k === N - 1 ? 0 : 0.05;
    }
  }
  const sampleRgb = Float32Array.from({ length: R * N * 3 }, () => rng.next());
  return { planes, lines, coords, basis, dirs, target, decoder, R, N, rayCoords, delta, sampleRgb };
}

interface Result {
  value: Float32Array;
  grads: Float32Array[];
}

/** loss and gradients w.r.t. planes, lines, basis and the decoder's parameters, read back async. */
async function appearanceLoss(pr: Problem): Promise<Result> {
  const xs = [
    ...pr.planes.map((d, p) => tf.tensor3d(d, planeShape(RESO, p, C))),
    ...pr.lines.map((d, p) => tf.tensor2d(d, lineShape(RESO, p, C))),
    tf.tensor2d(pr.basis, [3 * C, FEATURES]),
    ...pr.decoder.params.map((p) => tf.tensor(p.data, p.shape)),
  ];
  const coords = tf.tensor2d(pr.coords, [S, 3]);
  const dirs = tf.tensor2d(pr.dirs, [S, 3]);
  const target = tf.tensor2d(pr.target, [S, 3]);
  const f = (...t: tf.Tensor[]) => {
    const app = vmSampleTf(t.slice(0, 3), t.slice(3, 6), coords, 'products') as tf.Tensor2D;
    const feat = tf.matMul(app, t[6] as tf.Tensor2D) as tf.Tensor2D;
    const rgb = pr.decoder.apply(t.slice(7), feat, dirs);
    return tf.mean(tf.squaredDifference(rgb, target)) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(f)(xs);
  const out = { value: (await value.data()) as Float32Array, grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] };
  tf.dispose([value, ...grads, ...xs, coords, dirs, target]);
  return out;
}

/** Density sampling -> softplus -> weights -> decode mask -> accumulate; grads w.r.t. planes, lines, rgb. */
async function compositingLoss(pr: Problem): Promise<Result> {
  const { R, N } = pr;
  const xs = [
    ...pr.planes.map((d, p) => tf.tensor3d(d, planeShape(RESO, p, C))),
    ...pr.lines.map((d, p) => tf.tensor2d(d, lineShape(RESO, p, C))),
    tf.tensor3d(pr.sampleRgb, [R, N, 3]),
  ];
  const coords = tf.tensor2d(pr.rayCoords, [R * N, 3]);
  const delta = tf.tensor2d(pr.delta, [R, N]);
  const f = (...t: tf.Tensor[]) => {
    const feature = vmSampleTf(t.slice(0, 3), t.slice(3, 6), coords, 'sum');
    const sigma = tf.reshape(tf.softplus(tf.add(feature, 1)), [R, N]) as tf.Tensor2D;
    const w = compositeWeightsTf(sigma, delta, 25);
    const rgb = accumulateTf(w, t[6] as tf.Tensor3D, decodeMaskTf(w, 1e-4));
    return tf.sum(tf.square(rgb)) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(f)(xs);
  const out = { value: (await value.data()) as Float32Array, grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] };
  tf.dispose([value, ...grads, ...xs, coords, delta]);
  return out;
}

/** max |a - b| / max |b| */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

function compare(name: string, got: Result, want: Result): void {
  const errs = [relErr(got.value, want.value), ...got.grads.map((g, i) => relErr(g, want.grads[i]))];
  console.log(
    `${name}: webgpu vs cpu, loss rel err ${errs[0].toExponential(2)}, gradient rel err max ${Math.max(...errs.slice(1)).toExponential(2)}`,
  );
  expect(got.grads.length).toBe(want.grads.length);
  for (let i = 0; i < got.grads.length; i++) expect(got.grads[i].length).toBe(want.grads[i].length);
  errs.forEach((e, i) => expect(e, i === 0 ? 'loss' : `gradient ${i - 1}`).toBeLessThan(REL_TOL));
  // the problem is not degenerate: every gradient has non-zero entries
  for (const g of want.grads) expect(g.some((x) => x !== 0)).toBe(true);
}

describe('initBackend', () => {
  it('cpu reports cpu', async () => {
    const info = await initBackend('cpu');
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.reason).toMatch(/cpu/);
  });

  it('tensorflow without tfjs-node is a BackendError naming the package', async () => {
    let err: unknown;
    try {
      await initBackend('tensorflow');
    } catch (e) {
      err = e;
    }
    // tfjs-node is an optional dependency; where it is installed this test has nothing to check
    if (err === undefined) return;
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/@tensorflow\/tfjs-node/);
  });
});

describe('cpu and webgpu agree (values and gradients)', () => {
  const problem = makeProblem();
  let cpuApp: Result;
  let cpuComp: Result;
  let webgpu: BackendInfo | undefined;
  let webgpuError = '';

  beforeAll(async () => {
    await initBackend('cpu');
    cpuApp = await appearanceLoss(problem);
    cpuComp = await compositingLoss(problem);
    try {
      webgpu = await initBackend('webgpu');
      console.log(`webgpu: ${webgpu.device} (${webgpu.reason})`);
    } catch (e) {
      webgpuError = e instanceof Error ? e.message : String(e);
    }
  });

  afterAll(async () => {
    // Dawn keeps the process alive while a device exists: drop the tfjs backend (destroys its device).
    if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
    await tf.setBackend('cpu');
  });

  const needWebgpu = (ctx: { skip: (note?: string) => void }) => {
    if (webgpu) return;
    if (SKIP_WEBGPU) ctx.skip(`WebGPU unavailable: ${webgpuError}`);
    throw new Error(`WebGPU could not start: ${webgpuError} (set TENSORF_SKIP_WEBGPU=1 to skip)`);
  };

  it('webgpu starts', (ctx) => {
    needWebgpu(ctx);
    expect(webgpu!.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('vmSampleTf products -> basis -> mlp decoder -> MSE', async (ctx) => {
    needWebgpu(ctx);
    const before = tf.memory().numTensors;
    const got = await appearanceLoss(problem);
    expect(tf.memory().numTensors).toBe(before);
    compare('appearance', got, cpuApp);
  });

  it('vmSampleTf sum -> compositeWeightsTf -> accumulateTf', async (ctx) => {
    needWebgpu(ctx);
    const got = await compositingLoss(problem);
    compare('compositing', got, cpuComp);
  });
});
