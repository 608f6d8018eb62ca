/**
 * The small-row Sum and All on webgpu (kernels/webgpu-small-reduce.ts) against sums and
 * conjunctions written here, shapes in a row: rows of 1 to SMALL_REDUCE values, one and two
 * innermost axes, keepDims, negative axes; and the cases left to the stock kernel (an axis that is
 * not innermost, rows longer than SMALL_REDUCE, a reduction to a scalar), which must be right too.
 * A watch on the program cache checks that the program ran and no cache key had two sources.
 * Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { SMALL_REDUCE, smallReducePlan } from '../../../src/core/kernels/webgpu-small-reduce';
import { Rng } from '../../../src/core/random';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';
import { watchShaderKeys, type ShaderKeyWatch } from './shader-key-watch';

/** Reduces x (row-major, shape) over axes with f, starting from init: the plain definition. */
function reduceNaive(x: ArrayLike<number>, shape: number[], axes: number[], f: (acc: number, v: number) => number, init: number) {
  const rank = shape.length;
  const keptAxes = [...Array(rank).keys()].filter((a) => !axes.includes(a));
  const outShape = keptAxes.map((a) => shape[a]);
  const out = new Array(outShape.reduce((p, d) => p * d, 1)).fill(init);
  const idx = new Array(rank).fill(0);
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (const a of keptAxes) o = o * shape[a] + idx[a];
    out[o] = f(out[o], x[i]);
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return { out, outShape };
}

describe('smallReducePlan', () => {
  it('takes innermost axes with short rows only', () => {
    expect(smallReducePlan([20512, 27, 2], 2, false)).toEqual({ outShape: [20512, 27], reduceSize: 2 });
    expect(smallReducePlan([5, 3, 4], [-1, -2], true)).toEqual({ outShape: [5, 1, 1], reduceSize: 12 });
    expect(smallReducePlan([5, 3], 0, false)).toBeNull(); // not innermost
    expect(smallReducePlan([5, SMALL_REDUCE + 1], 1, false)).toBeNull(); // long rows
    expect(smallReducePlan([7], 0, false)).toBeNull(); // to a scalar
  });
});

describe('small-row reductions on webgpu', () => {
  let session: WebgpuSession;
  let watch: ShaderKeyWatch | undefined;
  beforeAll(async () => {
    session = await startWebgpu();
    if (session.info) watch = watchShaderKeys(tf.backend());
  });
  afterAll(async () => {
    watch?.stop();
    await stopWebgpu();
  });

  const CASES: [number[], number | number[], boolean][] = [
    [[20512, 27, 2], 2, false],
    [[9, 3], 1, false],
    [[4, 5, 6], -1, true],
    [[6, 1], 1, false],
    [[7, 2, 16], [1, 2], false],
    [[70, 32], 1, false],
    [[5, 3, 4], [-1, -2], true],
    [[3, 5], 0, false], // stock: not innermost
    [[4, 100], 1, false], // stock: long rows
    [[11], 0, false], // stock: scalar
    [[20512, 27, 2], 2, false],
  ];

  it('sums float32 rows in a row of shapes', async (ctx) => {
    requireWebgpu(session, ctx);
    const rng = new Rng(3);
    for (const [shape, axis, keepDims] of CASES) {
      const size = shape.reduce((p, d) => p * d, 1);
      const xv = Float32Array.from({ length: size }, () => rng.uniform(-1, 1));
      const x = tf.tensor(xv, shape);
      const s = tf.sum(x, axis, keepDims);
      const got = await s.data();
      const axes = tf.util.parseAxisParam(axis, shape);
      const want = reduceNaive(xv, shape, axes, (a, v) => a + v, 0);
      expect(s.shape, `${shape} axis ${axis}`).toEqual(keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : want.outShape);
      const n = size / want.out.length;
      for (let i = 0; i < want.out.length; i++)
        expect(Math.abs(got[i] - want.out[i]), `${shape} axis ${axis} [${i}]`).toBeLessThanOrEqual(n * 1.2e-7);
      tf.dispose([x, s]);
    }
    expect(watch?.programs().get('SmallReduceProgram') ?? 0).toBeGreaterThanOrEqual(1);
    expect(watch?.clashes()).toEqual([]);
  });

  it('takes the conjunction of bool rows (tf.all), as the in-box test does', async (ctx) => {
    requireWebgpu(session, ctx);
    const rng = new Rng(4);
    for (const [shape, axis, keepDims] of CASES) {
      const size = shape.reduce((p, d) => p * d, 1);
      const bits = Array.from({ length: size }, () => rng.uniform(0, 1) < 0.8);
      const x = tf.tensor(bits, shape, 'bool');
      const s = tf.all(x, axis, keepDims);
      expect(s.dtype).toBe('bool');
      const got = await s.data();
      const axes = tf.util.parseAxisParam(axis, shape);
      const want = reduceNaive(bits.map(Number), shape, axes, (a, v) => a & v, 1);
      expect(Array.from(got), `${shape} axis ${axis}`).toEqual(want.out);
      tf.dispose([x, s]);
    }
    expect(watch?.clashes()).toEqual([]);
  });
});
