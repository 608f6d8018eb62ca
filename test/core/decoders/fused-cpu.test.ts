// The fused CPU decoder kernel must give the plain-ops reference's values and gradients.
import { DEFAULT_DECODER_OPTIONS } from '../../../src/core/decoders/defaults';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDecoder } from '../../../src/core/decoders/decoder';
import { fusedDecoder } from '../../../src/core/render/decoder-op';
import { Rng } from '../../../src/core/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxRel(a: Float32Array, b: Float32Array): number {
  let m = 0;
  let s = 1e-6;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return m / s;
}

describe('fusedDecoder', () => {
  for (const name of ['mlp', 'siren', 'splitnet'] as const) {
    it(`${name}: values and gradients equal decoder.apply`, () => {
      const rng = new Rng(7);
      const dec = createDecoder(name, { ...DEFAULT_DECODER_OPTIONS, width: 12 }, rng);
      const n = 37;
      const feats = tf.tensor2d(
        Float32Array.from({ length: n * 27 }, () => rng.uniform(-1, 1)),
        [n, 27],
      );
      const dv = Float32Array.from({ length: n * 3 }, () => rng.normal());
      for (let r = 0; r < n; r++) {
        const l = Math.hypot(dv[3 * r], dv[3 * r + 1], dv[3 * r + 2]);
        for (let c = 0; c < 3; c++) dv[3 * r + c] /= l;
      }
      const dirs = tf.tensor2d(dv, [n, 3]);
      const wts = tf.tensor2d(
        Float32Array.from({ length: n * 3 }, () => rng.normal()),
        [n, 3],
      );
      const params = dec.params.map((p) => tf.tensor(p.data, p.shape));
      const loss =
        (useFused: boolean) =>
        (f: tf.Tensor, ...ps: tf.Tensor[]) => {
          const out = useFused ? fusedDecoder(dec.fused!, ps, f as tf.Tensor2D, dirs) : dec.apply(ps, f as tf.Tensor2D, dirs);
          return tf.sum(tf.mul(out, wts)) as tf.Scalar;
        };
      const ref = tf.valueAndGrads(loss(false))([feats, ...params]);
      const got = tf.valueAndGrads(loss(true))([feats, ...params]);
      expect(got.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 4);
      const errs = ref.grads.map((g, i) => maxRel(got.grads[i].dataSync() as Float32Array, g.dataSync() as Float32Array));
      expect(Math.max(...errs), `gradient errors ${errs.map((e) => e.toExponential(1)).join(', ')}`).toBeLessThan(1e-4);
    });
  }
});
