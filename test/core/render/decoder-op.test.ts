/**
 * appearanceDecoder (the basis matrix and the fused decoder as one threaded op) against what it
 * replaces, tf.matMul(appFeat, basis) followed by fusedDecoder: on one thread the same bits for
 * the value and every gradient (both run the same SIMD kernels on the same sums); on two threads
 * the values and dL/dappFeat keep their bits and the weight gradients agree to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecoder } from '../../../src/core/decoders/decoder';
import { DEFAULT_DECODER_OPTIONS } from '../../../src/core/decoders/defaults';
import { registerFastCpuKernels } from '../../../src/core/kernels/register';
import { startThreads, stopThreads } from '../../../src/core/parallel/threads';
import { Rng } from '../../../src/core/random';
import { appearanceDecoder, fusedDecoder } from '../../../src/core/render/decoder-op';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
});
afterAll(async () => {
  await stopThreads();
});

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('appearanceDecoder', () => {
  for (const [name, width, n] of [
    ['mlp', 16, 37],
    ['siren', 8, 64],
    ['splitnet', 45, 21],
  ] as const) {
    it(`${name} (width ${width}, ${n} rows): the unfused pair's value and gradients`, async () => {
      const rng = new Rng(n);
      const dec = createDecoder(name, { ...DEFAULT_DECODER_OPTIONS, width }, rng);
      const P = 144;
      const a = tf.tensor2d(
        Float32Array.from({ length: n * P }, () => rng.uniform(-0.5, 0.5)),
        [n, P],
      );
      const basis = tf.tensor2d(
        Float32Array.from({ length: P * 27 }, () => rng.uniform(-0.2, 0.2)),
        [P, 27],
      );
      const dirs = tf.tensor2d(
        Float32Array.from({ length: n * 3 }, () => rng.normal()),
        [n, 3],
      );
      const wts = tf.tensor2d(
        Float32Array.from({ length: n * 3 }, () => rng.normal()),
        [n, 3],
      );
      const params = dec.params.map((p) => tf.tensor(p.data, p.shape));
      const loss =
        (fusedHead: boolean) =>
        (x: tf.Tensor, b: tf.Tensor, ...ps: tf.Tensor[]) => {
          const out = fusedHead
            ? appearanceDecoder(dec.fused!, b, ps, x as tf.Tensor2D, dirs)
            : fusedDecoder(dec.fused!, ps, tf.matMul(x as tf.Tensor2D, b as tf.Tensor2D), dirs);
          return tf.sum(tf.mul(out, wts)) as tf.Scalar;
        };
      for (const threads of [1, 2]) {
        await startThreads(threads);
        const ref = tf.valueAndGrads(loss(false))([a, basis, ...params]);
        const got = tf.valueAndGrads(loss(true))([a, basis, ...params]);
        expect(bits(got.value)).toEqual(bits(ref.value));
        expect(bits(got.grads[0]), 'dL/dappFeat').toEqual(bits(ref.grads[0]));
        got.grads.slice(1).forEach((g, i) => {
          if (threads === 1) expect(bits(g), `gradient ${i + 1}`).toEqual(bits(ref.grads[i + 1]));
          else {
            const r = ref.grads[i + 1].dataSync() as Float32Array;
            const v = g.dataSync() as Float32Array;
            const scale = Math.max(1e-6, ...Array.from(r, Math.abs));
            for (let j = 0; j < v.length; j++) expect(Math.abs(v[j] - r[j]) / scale).toBeLessThan(1e-5);
          }
        });
      }
    });
  }
});
