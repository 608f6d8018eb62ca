import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decoderInput, decoderInputDim, positionalEncoding } from '../../../src/core/decoders/encoding';
import { naiveInput } from './naive';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('positionalEncoding', () => {
  it('orders input by input, frequency fastest, all sines then all cosines', () => {
    // x = [0.5, 1], freqs 2: pts = [0.5, 1, 1, 2]
    // -> [sin .5, sin 1, sin 1, sin 2, cos .5, cos 1, cos 1, cos 2]
    const out = positionalEncoding(tf.tensor2d([[0.5, 1]]), 2);
    expect(out.shape).toEqual([1, 8]);
    const want = [Math.sin(0.5), Math.sin(1), Math.sin(1), Math.sin(2), Math.cos(0.5), Math.cos(1), Math.cos(1), Math.cos(2)];
    const got = Array.from(out.dataSync());
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
  });

  it('handles several rows and three frequencies', () => {
    const x = [
      [0.1, -0.3],
      [0.7, 0.2],
    ];
    const got = positionalEncoding(tf.tensor2d(x), 3).arraySync();
    x.forEach((row, r) => {
      const pts = row.flatMap((v) => [v, 2 * v, 4 * v]);
      const want = [...pts.map(Math.sin), ...pts.map(Math.cos)];
      want.forEach((w, i) => expect(got[r][i]).toBeCloseTo(w, 6));
    });
  });
});

describe('decoderInput', () => {
  it('has 27 + 3 + 108 + 12 = 150 columns for 27 features', () => {
    expect(decoderInputDim(27)).toBe(150);
    const out = decoderInput(tf.zeros([5, 27]) as tf.Tensor2D, tf.zeros([5, 3]) as tf.Tensor2D);
    expect(out.shape).toEqual([5, 150]);
  });

  it('is [f, d, PE(f), PE(d)]', () => {
    const f = [0.2, -0.4];
    const d = [0.6, 0.0, -0.8];
    // f, d, then PE(f) = sin(.2, .4, -.4, -.8), cos(...), then PE(d) likewise: 2 + 3 + 8 + 12 = 25
    const got = Array.from(decoderInput(tf.tensor2d([f]), tf.tensor2d([d])).dataSync());
    const want = naiveInput(f, d);
    expect(got.length).toBe(25);
    expect(got[5]).toBeCloseTo(Math.sin(0.2), 6);
    expect(got[8]).toBeCloseTo(Math.sin(-0.8), 6);
    expect(got[9]).toBeCloseTo(Math.cos(0.2), 6);
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
  });
});
