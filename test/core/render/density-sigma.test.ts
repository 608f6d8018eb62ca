/**
 * sigma = softplus(feature + shift) as one op (render/density-sigma.ts) against the tf ops it
 * replaces, tf.softplus(tf.add(feature, shift)), on the cpu backend with the fast kernels
 * registered as in training: values and the gradient bit for bit, over features that reach
 * softplus's three branches (exp below the low threshold, identity above the high one, log1p
 * between).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFastCpuKernels } from '../../../src/core/kernels/register';
import { densitySigma, densitySigmaValues } from '../../../src/core/render/density-sigma';
import { Rng } from '../../../src/core/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
});

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('densitySigma', () => {
  it('gives the values and gradient of tf.softplus(tf.add(feature, shift)), bit for bit', () => {
    const rng = new Rng(11);
    const n = 5000;
    // feature + shift spans [-40, 40]: softplus's thresholds are at about -13.9 and +13.9
    const feature = Float32Array.from({ length: n }, (_, i) => (i % 50 === 0 ? 10 : rng.uniform(-30, 50)));
    const dy = Float32Array.from({ length: n }, () => rng.normal());
    for (const shift of [-10, 0, -3.7]) {
      const want = tf.tidy(() => {
        const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.softplus(tf.add(x, shift)), tf.tensor1d(dy))) as tf.Scalar;
        const g = tf.grad(f)(tf.tensor1d(feature));
        return {
          v: Float32Array.from(tf.softplus(tf.add(tf.tensor1d(feature), shift)).dataSync() as Float32Array),
          g: Float32Array.from(g.dataSync() as Float32Array),
        };
      });
      const got = tf.tidy(() => {
        const f = (x: tf.Tensor) => tf.sum(tf.mul(densitySigma(x as tf.Tensor1D, shift), tf.tensor1d(dy))) as tf.Scalar;
        const g = tf.grad(f)(tf.tensor1d(feature));
        return {
          v: Float32Array.from(densitySigma(tf.tensor1d(feature), shift).dataSync() as Float32Array),
          g: Float32Array.from(g.dataSync() as Float32Array),
        };
      });
      expect(bytes(got.v).equals(bytes(want.v))).toBe(true);
      expect(bytes(got.g).equals(bytes(want.g))).toBe(true);
      expect(bytes(densitySigmaValues(feature, n, shift)).equals(bytes(want.v))).toBe(true);
      // all three branches were reached
      const x = Array.from(feature, (f) => Math.fround(f + shift));
      expect(x.some((v) => v < -14) && x.some((v) => v > 14) && x.some((v) => Math.abs(v) < 5)).toBe(true);
    }
  });
});
