/**
 * The fused decoder input (kernels/webgpu-encoding.ts) against decoderInputTf on the cpu backend:
 * values, and the gradient w.r.t. the features of sum(out * w) for a fixed random w, for several
 * row counts, feature widths and frequency counts in a row (all uniforms; a watch on the program
 * cache fails if a key had two sources). Features span [-3, 3], so sin and cos of up to 4 times
 * that are exercised. Tolerance: 2e-6 of the largest reference value (float32 sin and cos of
 * arguments up to 12 differ between implementations by a few ulps of the argument). Also: through
 * decoderInput, the webgpu backend takes the fused kernel. Skipped with TENSORF_SKIP_WEBGPU=1.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { decoderInput, decoderInputTf } from '../../../src/core/decoders/encoding';
import { decoderInputWebgpu } from '../../../src/core/kernels/webgpu-encoding';
import { Rng } from '../../../src/core/random';
import { requireWebgpu } from '../webgpu-session';
import { webgpuSuite } from './webgpu-suite';

type Run = (f: tf.Tensor2D, d: tf.Tensor2D, fePe: number, viewPe: number) => tf.Tensor2D;

/** Output and feature gradient of sum(run(f, d) * w) on the active backend. */
async function valueAndGrad(
  run: Run,
  fv: Float32Array,
  dv: Float32Array,
  n: number,
  D: number,
  fePe: number,
  viewPe: number,
  wv: Float32Array,
) {
  const f = tf.tensor2d(fv, [n, D]);
  const d = tf.tensor2d(dv, [n, 3]);
  const w = tf.tensor2d(wv, [n, wv.length / n]);
  const out = run(f, d, fePe, viewPe);
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(run(x as tf.Tensor2D, d, fePe, viewPe), w)))(f);
  const res = { out: await out.data(), grad: await g.data(), shape: out.shape };
  tf.dispose([f, d, w, out, g]);
  return res;
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('decoderInputWebgpu', () => {
  const suite = webgpuSuite();

  const CASES: [number, number, number, number][] = [
    [500, 27, 2, 2],
    [7, 27, 2, 2],
    [33, 5, 3, 1],
    [64, 12, 0, 4],
    [10, 27, 4, 0],
    [1, 27, 2, 2],
    [500, 27, 2, 2],
  ];

  it('matches decoderInputTf on cpu, values and feature gradients, several shapes in a row', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(9);
    for (const [n, D, fePe, viewPe] of CASES) {
      const fv = Float32Array.from({ length: n * D }, () => rng.uniform(-3, 3));
      const dv = Float32Array.from({ length: n * 3 }, () => rng.uniform(-1, 1));
      const width = D + 3 + 2 * D * fePe + 6 * viewPe;
      const wv = Float32Array.from({ length: n * width }, () => rng.uniform(-1, 1));
      const got = await valueAndGrad(decoderInputWebgpu, fv, dv, n, D, fePe, viewPe, wv);
      await tf.setBackend('cpu');
      const want = await valueAndGrad(decoderInputTf, fv, dv, n, D, fePe, viewPe, wv);
      await tf.setBackend('webgpu');
      const label = `n=${n} D=${D} fePe=${fePe} viewPe=${viewPe}`;
      expect(got.shape, label).toEqual(want.shape);
      expect(maxDiff(got.out, want.out), `${label}: values`).toBeLessThanOrEqual(2e-6 * maxAbs(want.out));
      expect(maxDiff(got.grad, want.grad), `${label}: gradients`).toBeLessThanOrEqual(2e-6 * maxAbs(want.grad));
    }
    expect(suite.watch?.programs().get('DecoderInputProgram')).toBe(1);
    expect(suite.watch?.programs().get('DecoderInputGradProgram')).toBe(1);
    expect(suite.watch?.clashes()).toEqual([]);
  });

  it('is what decoderInput runs on webgpu', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const be = tf.backend() as unknown as { runWebGPUProgram: (p: { constructor: { name: string } }, ...r: unknown[]) => unknown };
    const original = be.runWebGPUProgram;
    const ran: string[] = [];
    be.runWebGPUProgram = function (this: unknown, p, ...r) {
      ran.push(p.constructor.name);
      return original.call(this, p, ...r);
    };
    try {
      const f = tf.ones([4, 27]) as tf.Tensor2D;
      const d = tf.ones([4, 3]) as tf.Tensor2D;
      const out = decoderInput(f, d);
      expect(out.shape).toEqual([4, 150]);
      await out.data();
      tf.dispose([f, d, out]);
    } finally {
      be.runWebGPUProgram = original;
    }
    expect(ran).toEqual(['DecoderInputProgram']);
  });
});
