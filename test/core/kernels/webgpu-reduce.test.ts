/**
 * The webgpu Sum and All of kernels/webgpu-reduce.ts against sums and conjunctions written here,
 * shapes in a row: short rows (1 to SMALL_REDUCE values, one and two innermost axes, keepDims,
 * negative axes); column sums over one and two leading axes, with one chunk of rows and with
 * several (a partial chunk at the end); and the cases left to the stock kernel (a middle axis,
 * rows longer than SMALL_REDUCE, a reduction to a scalar), which must be right too. A watch on the program cache checks that both programs ran and no cache key had two
 * sources.
 * Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { COLUMN_CHUNK, reducePlan, SMALL_REDUCE } from '../../../src/core/kernels/webgpu-reduce';
import { Rng } from '../../../src/core/random';
import { requireWebgpu } from '../webgpu-session';
import { webgpuSuite } from './webgpu-suite';

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

describe('reducePlan', () => {
  it('takes short innermost rows, and leading axes when column sums are allowed', () => {
    expect(reducePlan([20512, 27, 2], 2, false, true)).toEqual({ kind: 'rows', outShape: [20512, 27], reduceSize: 2 });
    expect(reducePlan([5, 3, 4], [-1, -2], true, true)).toEqual({ kind: 'rows', outShape: [5, 1, 1], reduceSize: 12 });
    expect(reducePlan([20512, 128], 0, false, true)).toEqual({ kind: 'columns', outShape: [128], reduceSize: 20512 });
    expect(reducePlan([4, 5, 6], [1, 0], true, true)).toEqual({ kind: 'columns', outShape: [1, 1, 6], reduceSize: 20 });
    expect(reducePlan([5, 3], 0, false, false)).toBeNull(); // columns not allowed (All)
    expect(reducePlan([4, 5, 6], 1, false, true)).toBeNull(); // a middle axis
    expect(reducePlan([5, SMALL_REDUCE + 1], 1, false, true)).toBeNull(); // long rows
    expect(reducePlan([7], 0, false, true)).toBeNull(); // to a scalar
  });
});

describe('Sum and All on webgpu', () => {
  const suite = webgpuSuite();

  const CASES: [number[], number | number[], boolean][] = [
    [[20512, 27, 2], 2, false],
    [[9, 3], 1, false],
    [[4, 5, 6], -1, true],
    [[6, 1], 1, false],
    [[7, 2, 16], [1, 2], false],
    [[70, 32], 1, false],
    [[5, 3, 4], [-1, -2], true],
    [[3, 5], 0, false], // columns, one chunk (All: stock)
    [[COLUMN_CHUNK * 3 + 17, 128], 0, false], // columns, 4 chunks
    [[20512, 3], 0, true],
    [[40, 30, 6], [0, 1], false], // columns over two axes, 5 chunks
    [[4, 5, 6], 1, false], // stock: a middle axis
    [[4, 100], 1, false], // stock: long rows
    [[11], 0, false], // stock: scalar
    [[20512, 27, 2], 2, false],
  ];

  it('sums float32 rows in a row of shapes', async (ctx) => {
    requireWebgpu(suite.session, ctx);
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
      // float32 error bound of an n-term sum in any order: n u sum |x| (u = 2^-24), twice for margin
      const n = size / want.out.length;
      const abs = reduceNaive(xv, shape, axes, (a, v) => a + Math.abs(v), 0).out;
      for (let i = 0; i < want.out.length; i++)
        expect(Math.abs(got[i] - want.out[i]), `${shape} axis ${axis} [${i}]`).toBeLessThanOrEqual(2 * n * 2 ** -24 * abs[i]);
      tf.dispose([x, s]);
    }
    expect(suite.watch?.programs().get('SmallReduceProgram') ?? 0).toBeGreaterThanOrEqual(1);
    expect(suite.watch?.programs().get('ColumnSumProgram') ?? 0).toBeGreaterThanOrEqual(1);
    expect(suite.watch?.clashes()).toEqual([]);
  });

  it('takes the conjunction of bool rows (tf.all), as the in-box test does', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(4);
    // Not over leading axes: tfjs-backend-webgpu 4.22's own All fails to compile its shader there
    // (bool through its transpose: "type mismatch ... setOutputAtIndex"); nothing here asks for it.
    const cases = CASES.filter(([shape, axis]) => reducePlan(shape, axis, false, true)?.kind !== 'columns');
    for (const [shape, axis, keepDims] of cases) {
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
    expect(suite.watch?.clashes()).toEqual([]);
  });
});
