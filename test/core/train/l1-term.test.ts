/**
 * The density L1 term by hand (train/l1-term.ts) against the same term through tfjs's autodiff
 * (render/ops.ts meanAbsSum, as the host step used it): the loss value and every gradient entry
 * bit for bit, zeros in the factors included, and nothing added for weight 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFastCpuKernels } from '../../../src/core/kernels/register';
import { meanAbsSum } from '../../../src/core/render/ops';
import { Rng } from '../../../src/core/random';
import { addL1Gradient, l1Value } from '../../../src/core/train/l1-term';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
});

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('density L1 term by hand', () => {
  for (const weight of [8e-5, 4e-5, 1e-3, 0]) {
    it(`loss and gradients as through tfjs, bit for bit (weight ${weight})`, () => {
      const rng = new Rng(Math.round(weight * 1e6) + 1);
      const sizes = [37, 1000, 5, 123, 16, 64];
      const xs = sizes.map((n) => Float32Array.from({ length: n }, (_, i) => (i % 9 === 0 ? 0 : rng.normal() * 0.1)));
      const gs = sizes.map((n) => Float32Array.from({ length: n }, () => rng.normal() * 1e-3));
      const mse = Math.fround(0.00123 + rng.uniform(0, 1e-3));
      // through tfjs: a sampling term sum(x * g) (gradient g exactly) plus weight * meanAbsSum(xs)
      const l1Of = (ts: tf.Tensor[]) => (weight > 0 ? tf.mul(meanAbsSum(ts), weight) : tf.scalar(0));
      const want = tf.tidy(() => {
        const f = (...ts: tf.Tensor[]) => tf.add(tf.addN(ts.map((t, i) => tf.sum(tf.mul(t, tf.tensor(gs[i]))))), l1Of(ts)) as tf.Scalar;
        const { grads } = tf.valueAndGrads(f)(xs.map((x) => tf.tensor(x)));
        const loss = tf.add(tf.scalar(mse), l1Of(xs.map((x) => tf.tensor(x)))).dataSync()[0];
        return { loss, grads: grads.map((g) => Float32Array.from(g.dataSync() as Float32Array)) };
      });
      const sampled = gs.map((g) => Float32Array.from(g));
      expect(Math.fround(mse + l1Value(xs, weight))).toBe(want.loss);
      addL1Gradient(sampled, xs, weight);
      sampled.forEach((g, i) => expect(bytes(g).equals(bytes(want.grads[i])), `factor ${i}`).toBe(true));
      if (weight > 0) expect(sampled.some((g, i) => g.some((v) => v !== 0) && xs[i].some((x) => x !== 0))).toBe(true);
    });
  }
});
