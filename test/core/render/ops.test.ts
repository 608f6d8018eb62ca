/**
 * The customGrad wiring of ops.ts: values equal the JS kernels, and tf.grads of a random linear
 * functional sum(R * op(x)) equals the JS backward with dOut = R (vmBackward, weightsBackward,
 * accumulateBackward, sign / size for meanAbsSum); a chain vmSample -> softplus ->
 * compositeWeights equals the hand-chained backward. No tensors leak.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Vec3 } from '../../../src/core/field/geometry';
import { lineShape, planeShape, vmBackward, vmForward, type VMFactors, type VMMode } from '../../../src/core/field/vm-kernels';
import { Rng } from '../../../src/core/random';
import { accumulateBackward, accumulateForward, type Packing, weightsBackward, weightsForward } from '../../../src/core/render/composite';
import { accumulate, compositeWeights, meanAbsSum, vmSample } from '../../../src/core/render/ops';
import { maxAbs, maxAbsDiff } from '../naive';

const rng = new Rng(31);
const rand = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

const reso: Vec3 = [4, 5, 3];
const C = 2;
const planeData = [0, 1, 2].map((p) => rand(size(planeShape(reso, p, C))));
const lineData = [0, 1, 2].map((p) => rand(size(lineShape(reso, p, C))));
const factors: VMFactors = { planes: planeData, lines: lineData, comps: C, reso };
const n = 17;
const coords = rand(3 * n);
coords.set([1, 1, 1, -1, -1, -1], 0);
let planes: tf.Tensor[] = [];
let lines: tf.Tensor[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  planes = planeData.map((d, p) => tf.tensor(d, planeShape(reso, p, C)));
  lines = lineData.map((d, p) => tf.tensor(d, lineShape(reso, p, C)));
});

afterAll(() => {
  [...planes, ...lines].forEach((t) => t.dispose());
});

const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbsDiff(a, b) / Math.max(1e-6, maxAbs(b));

/** Runs fn inside tf.tidy and asserts that the number of live tensors is unchanged afterwards. */
function noLeak(fn: () => void): void {
  const before = tf.memory().numTensors;
  tf.tidy(fn);
  expect(tf.memory().numTensors).toBe(before);
}

describe('vmSample', () => {
  for (const mode of ['sum', 'products'] as VMMode[]) {
    it(`${mode}: value = vmForward, tf.grads = vmBackward`, () => {
      const outLen = mode === 'sum' ? n : n * 3 * C;
      const R = rand(outLen);
      noLeak(() => {
        const y = vmSample(planes, lines, C, reso, coords, n, mode);
        expect(y.shape).toEqual(mode === 'sum' ? [n] : [n, 3 * C]);
        expect(maxAbsDiff(y.dataSync(), vmForward(factors, coords, n, mode))).toBe(0);
        const f = (...ts: tf.Tensor[]) =>
          tf.sum(tf.mul(vmSample(ts.slice(0, 3), ts.slice(3, 6), C, reso, coords, n, mode), tf.tensor(R, y.shape)));
        const gs = tf.grads(f)([...planes, ...lines]);
        const want = vmBackward(factors, coords, n, mode, R);
        [...want.planes, ...want.lines].forEach((w, i) => {
          expect(gs[i].shape).toEqual([...planes, ...lines][i].shape);
          expect(rel(gs[i].dataSync(), w)).toBeLessThan(1e-6);
        });
      });
    });
  }
});

describe('compositeWeights', () => {
  const pk: Packing = {
    rayStart: Int32Array.from([0, 4, 4, 9]),
    delta: Float32Array.from([0.01, 0.01, 0.01, 0, 0.02, 0.02, 0.02, 0.02, 0]),
  };
  const sigma = rand(9, 0, 4);

  it('value = weightsForward, tf.grads = weightsBackward', () => {
    const R = rand(9);
    noLeak(() => {
      const s = tf.tensor1d(sigma);
      expect(maxAbsDiff(compositeWeights(s, pk, 25).dataSync(), weightsForward(sigma, pk, 25))).toBe(0);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(compositeWeights(x as tf.Tensor1D, pk, 25), tf.tensor1d(R))))(s);
      expect(rel(g.dataSync(), weightsBackward(sigma, pk, 25, R))).toBeLessThan(1e-6);
    });
  });

  it('chained after vmSample and softplus: d/dfactors = vmBackward(weightsBackward(R) * sigmoid(f - 10))', () => {
    // the sample coordinates of the packing: use the first 9 of the 17 points
    const R = rand(9);
    noLeak(() => {
      const f = (...ts: tf.Tensor[]) => {
        const feat = vmSample(ts.slice(0, 3), ts.slice(3, 6), C, reso, coords, 9, 'sum');
        const sg = tf.softplus(tf.add(tf.mul(feat, 4), 2)) as tf.Tensor1D; // sigma = softplus(4 f + 2)
        return tf.sum(tf.mul(compositeWeights(sg, pk, 25), tf.tensor1d(R)));
      };
      const gs = tf.grads(f)([...planes, ...lines]);
      const feat = vmForward(factors, coords, 9, 'sum');
      const sg = Float32Array.from(feat, (v) => Math.log1p(Math.exp(4 * v + 2)));
      const dSigma = weightsBackward(sg, pk, 25, R);
      const dFeat = Float32Array.from(dSigma, (d, i) => (d * 4) / (1 + Math.exp(-(4 * feat[i] + 2))));
      const want = vmBackward(factors, coords, 9, 'sum', dFeat);
      [...want.planes, ...want.lines].forEach((w, i) => expect(rel(gs[i].dataSync(), w)).toBeLessThan(1e-5));
    });
  });
});

describe('accumulate', () => {
  it('value = accumulateForward, tf.grads = accumulateBackward (for w and rgb)', () => {
    const rayOf = Int32Array.from([0, 0, 1, 1, 1, 3]);
    const idx = Int32Array.from([1, 2, 4]);
    const w = rand(6, 0, 0.4);
    const rgb = rand(9, 0, 1);
    const R = rand(12);
    noLeak(() => {
      const wt = tf.tensor1d(w);
      const ct = tf.tensor2d(rgb, [3, 3]);
      const y = accumulate(wt, ct, idx, rayOf, 4);
      expect(y.shape).toEqual([4, 3]);
      expect(maxAbsDiff(y.dataSync(), accumulateForward(w, rgb, idx, rayOf, 4))).toBe(0);
      const [gw, gc] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(accumulate(a as tf.Tensor1D, b as tf.Tensor2D, idx, rayOf, 4), tf.tensor2d(R, [4, 3]))),
      )([wt, ct]);
      const want = accumulateBackward(w, rgb, idx, rayOf, R);
      expect(rel(gw.dataSync(), want.dW)).toBeLessThan(1e-6);
      expect(gc.shape).toEqual([3, 3]);
      expect(rel(gc.dataSync(), want.dRgb)).toBeLessThan(1e-6);
    });
  });
});

describe('meanAbsSum', () => {
  it('value = sum of mean |x|, gradient = dy * sign(x) / size', () => {
    // a = [1, -2, 0, 3] -> mean 1.5; b = [[-0.5, 0.5]] -> mean 0.5; total 2
    // d(3 * total)/da = 3 * [1, -1, 0, 1] / 4, d/db = 3 * [-1, 1] / 2
    noLeak(() => {
      const a = tf.tensor1d([1, -2, 0, 3]);
      const b = tf.tensor2d([[-0.5, 0.5]]);
      expect(meanAbsSum([a, b]).dataSync()[0]).toBeCloseTo(2, 6);
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.mul(meanAbsSum([x, y]), 3))([a, b]);
      expect(Array.from(ga.dataSync())).toEqual([0.75, -0.75, 0, 0.75]);
      expect(gb.shape).toEqual([1, 2]);
      expect(Array.from(gb.dataSync())).toEqual([-1.5, 1.5]);
    });
  });
});

describe('no leaks across repeated steps', () => {
  it('numTensors is stable over 3 forward + backward passes', () => {
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const f = (...ts: tf.Tensor[]) => {
          const feat = vmSample(ts.slice(0, 3), ts.slice(3, 6), C, reso, coords, n, 'sum');
          const l1 = meanAbsSum(ts);
          return tf.add(tf.sum(feat), l1) as tf.Scalar;
        };
        tf.valueAndGrads(f)([...planes, ...lines]);
      });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
  });
});
