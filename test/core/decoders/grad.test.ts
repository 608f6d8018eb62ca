import { DEFAULT_DECODER_OPTIONS } from '../../../src/core/decoders/defaults';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core does not register gradient functions by itself (the union package @tensorflow/tfjs does).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { createDecoder } from '../../../src/core/decoders/decoder';
import { paramTensors } from '../../../src/core/params';
import { Rng } from '../../../src/core/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * d loss / d theta from tf.grads through `apply`, against central differences of the same float32
 * forward, for one entry of each parameter tensor. loss = sum(rgb * target).
 */
describe('gradients through apply match finite differences', () => {
  const cases: [string, number][] = [
    ['mlp', 1e-2],
    ['siren', 1e-3],
    ['splitnet', 1e-2],
  ];
  for (const [name, eps] of cases) {
    it(name, () => {
      const dec = createDecoder(name, { ...DEFAULT_DECODER_OPTIONS, width: 6, splitnetM: 2 }, new Rng(3));
      const rng = new Rng(8);
      const n = 5;
      const f = tf.tensor2d(
        Array.from({ length: n * 27 }, () => rng.uniform(-1, 1)),
        [n, 27],
      );
      const d = tf.tensor2d(
        Array.from({ length: n * 3 }, () => rng.uniform(-1, 1)),
        [n, 3],
      );
      const target = tf.tensor2d(
        Array.from({ length: n * 3 }, () => rng.uniform(-1, 1)),
        [n, 3],
      );
      const loss = (...p: tf.Tensor[]) => tf.sum(tf.mul(dec.apply(p, f, d), target)) as tf.Scalar;
      const evalLoss = () => tf.tidy(() => loss(...paramTensors(dec.params)).dataSync()[0]);
      const grads = tf
        .grads(loss)(paramTensors(dec.params))
        .map((g) => g.dataSync());
      for (let k = 0; k < dec.params.length; k++) {
        const data = dec.params[k].data;
        // The entry with the largest analytic gradient (so the check is not dominated by rounding).
        let idx = 0;
        for (let i = 1; i < data.length; i++) if (Math.abs(grads[k][i]) > Math.abs(grads[k][idx])) idx = i;
        const orig = data[idx];
        data[idx] = orig + eps;
        const lp = evalLoss();
        data[idx] = orig - eps;
        const lm = evalLoss();
        data[idx] = orig;
        const fd = (lp - lm) / (2 * eps);
        const g = grads[k][idx];
        expect(Math.abs(fd - g), `${dec.params[k].name}[${idx}] fd ${fd} vs grad ${g}`).toBeLessThan(1e-2 * Math.abs(g) + 1e-4);
      }
    });
  }
});
