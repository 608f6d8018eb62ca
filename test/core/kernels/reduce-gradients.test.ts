/**
 * The device-side Sum and Mean gradients (kernels/reduce-gradients.ts) give exactly the stock
 * gradients' numbers (dy broadcast instead of dy * ones): gradients through sums and means over
 * every axis choice, with keepDims, are compared with hand-computed values on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';

beforeAll(async () => {
  await initBackend('cpu'); // registers the gradients
});

const x = () =>
  tf.tensor3d(
    Array.from({ length: 24 }, (_, i) => i * 0.25 - 2),
    [2, 3, 4],
  );
// a weight per output entry, so the gradient of sum(w * reduce(x)) w.r.t. x is w broadcast back
const weighted = (y: tf.Tensor) =>
  tf.sum(
    tf.mul(
      y,
      tf.tensor(
        Array.from({ length: y.size }, (_, i) => i + 1),
        y.shape,
      ),
    ),
  );

describe('Sum and Mean gradients on the device', () => {
  for (const [axis, keepDims] of [
    [1, false],
    [[0, 2], false],
    [2, true],
    [undefined, false],
  ] as const) {
    it(`sum and mean over ${JSON.stringify(axis)}${keepDims ? ' (keepDims)' : ''}`, () => {
      const a = axis as number | number[] | undefined;
      const gs = tf.grad((t: tf.Tensor) => weighted(tf.sum(t, a, keepDims)))(x());
      const gm = tf.grad((t: tf.Tensor) => weighted(tf.mean(t, a, keepDims)))(x());
      // expected: entry (i, j, k) gets the weight of the output it was reduced into
      const axes = a === undefined ? [0, 1, 2] : ([] as number[]).concat(a);
      const outShape = [2, 3, 4].map((n, d) => (axes.includes(d) ? 1 : n));
      const count = axes.reduce((n, d) => n * [2, 3, 4][d], 1);
      const want: number[] = [];
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          for (let k = 0; k < 4; k++) {
            const o = [i, j, k].map((v, d) => (axes.includes(d) ? 0 : v));
            want.push(1 + o[0] * outShape[1] * outShape[2] + o[1] * outShape[2] + o[2]);
          }
        }
      }
      expect(Array.from(gs.dataSync())).toEqual(want);
      expect(Array.from(gm.dataSync())).toEqual(want.map((w) => Math.fround(w / count)));
    });
  }
});
