/**
 * The fused relu gradient (kernels/webgpu-relu-grad.ts) against tf.mul(dy, tf.step(y)) computed
 * here on the same backend: shapes in a row, vec4 (size a multiple of 4) and scalar, y with exact
 * zeros, negatives and positives; then the relu layer (decoders/layers.ts linear) takes it on
 * webgpu and its three gradients match the plain-ops formula. Skipped with TENSORF_SKIP_WEBGPU=1.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { linear } from '../../../src/core/decoders/layers';
import { reluGradWebgpu } from '../../../src/core/kernels/webgpu-relu-grad';
import { Rng } from '../../../src/core/random';
import { requireWebgpu } from '../webgpu-session';
import { webgpuSuite } from './webgpu-suite';

describe('reluGradWebgpu', () => {
  const suite = webgpuSuite();

  it('is dy where y > 0 and 0 elsewhere, shapes in a row (vec4 and scalar)', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(11);
    for (const [r, c] of [
      [300, 128],
      [7, 3],
      [5, 4],
      [1, 1],
      [300, 128],
    ]) {
      // y: a third exact zeros (relu outputs), a third negative, a third positive
      const yv = Float32Array.from({ length: r * c }, (_, i) => [0, -rng.uniform(0, 1), rng.uniform(0, 1)][i % 3]);
      const dv = Float32Array.from({ length: r * c }, () => rng.normal());
      const [dy, y] = [tf.tensor2d(dv, [r, c]), tf.tensor2d(yv, [r, c])];
      const got = reluGradWebgpu(dy, y);
      expect(got.shape).toEqual([r, c]);
      const g = await got.data();
      tf.dispose([dy, y, got]);
      for (let i = 0; i < r * c; i++)
        if (g[i] !== (yv[i] > 0 ? dv[i] : 0)) expect(g[i], `[${r}x${c}] entry ${i}`).toBe(yv[i] > 0 ? dv[i] : 0);
    }
    expect(suite.watch?.clashes()).toEqual([]);
  });

  it('is what the relu layer uses on webgpu: its gradients match the plain-ops formula', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(12);
    const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    // count the relu-gradient programs the layer's backward runs
    const be = tf.backend() as unknown as { runWebGPUProgram: (p: { constructor: { name: string } }, ...r: unknown[]) => unknown };
    const run = be.runWebGPUProgram;
    let reluGrads = 0;
    be.runWebGPUProgram = function (p, ...r) {
      if (p.constructor.name === 'ReluGradProgram') reluGrads++;
      return run.call(this, p, ...r);
    };
    ctx.onTestFinished(() => {
      be.runWebGPUProgram = run;
    });
    const [x, w, b, dy] = [
      tf.tensor2d(rand(40 * 6), [40, 6]),
      tf.tensor2d(rand(6 * 8), [6, 8]),
      tf.tensor1d(rand(8)),
      tf.tensor2d(rand(40 * 8), [40, 8]),
    ];
    const [gx, gw, gb] = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(linear(xx as tf.Tensor2D, ww, bb, 'relu'), dy)),
    )([x, w, b]);
    const y = tf.relu(tf.add(tf.matMul(x, w), b));
    const g = tf.mul(dy, tf.step(y));
    const want = [tf.matMul(g, w, false, true), tf.matMul(x, g, true, false), tf.sum(g, 0)];
    for (const [i, got] of [gx, gw, gb].entries()) {
      const [a, e] = [await got.data(), await want[i].data()];
      for (let j = 0; j < a.length; j++)
        expect(Math.abs(a[j] - e[j]), `gradient ${i} entry ${j}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(e[j])));
    }
    expect(reluGrads).toBe(1);
    tf.dispose([x, w, b, dy, gx, gw, gb, y, g, ...want]);
  });
});
