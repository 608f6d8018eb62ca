// The cpu kernels registered over tfjs's own (Add, Sub, Mul, Sum over axis 0, SplitV, UnsortedSegmentSum, BatchMatMul, _FusedMatMul)
// must give tfjs's results for the shapes they handle and fall back for the others.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { Rng } from '../../../src/core/random';

const rng = new Rng(11);
const rand = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-2, 2)),
    shape,
  );

// reference values computed with plain loops over broadcast indices
function broadcast(a: tf.Tensor, b: tf.Tensor, op: (x: number, y: number) => number): Float32Array {
  const rank = Math.max(a.shape.length, b.shape.length);
  const dim = (t: tf.Tensor, d: number) => t.shape[t.shape.length - rank + d] ?? 1;
  const shape = Array.from({ length: rank }, (_, d) => Math.max(dim(a, d), dim(b, d)));
  const out = new Float32Array(shape.reduce((x, y) => x * y, 1));
  const av = a.dataSync();
  const bv = b.dataSync();
  const idx = (t: tf.Tensor, flat: number) => {
    // index into t for the broadcast position `flat` of `shape`
    let rem = flat;
    let off = 0;
    let stride = 1;
    const pos: number[] = [];
    for (let d = shape.length - 1; d >= 0; d--) {
      pos[d] = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
    }
    for (let d = t.shape.length - 1, e = shape.length - 1; d >= 0; d--, e--) {
      const p = t.shape[d] === 1 ? 0 : pos[e];
      off += p * stride;
      stride *= t.shape[d];
    }
    return off;
  };
  for (let i = 0; i < out.length; i++) out[i] = op(av[idx(a, i)], bv[idx(b, i)]);
  return out;
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('fast cpu kernels', () => {
  const cases: [number[], number[]][] = [
    [
      [5, 7],
      [5, 7],
    ],
    [[5, 7], [7]],
    [[7], [5, 7]],
    [
      [5, 7],
      [1, 7],
    ],
    [[5, 7], []],
    [[], [5, 7]],
    [
      [3, 1, 4],
      [2, 4],
    ], // falls back to tfjs
  ];
  for (const [sa, sb] of cases) {
    it(`add/sub/mul ${JSON.stringify(sa)} with ${JSON.stringify(sb)}`, () => {
      const a = rand(sa);
      const b = rand(sb);
      const ops: [tf.Tensor, (x: number, y: number) => number][] = [
        [tf.add(a, b), (x, y) => x + y],
        [tf.sub(a, b), (x, y) => x - y],
        [tf.mul(a, b), (x, y) => x * y],
      ];
      for (const [got, op] of ops) {
        const ref = broadcast(a, b, op);
        const g = got.dataSync();
        expect(g.length).toBe(ref.length);
        for (let i = 0; i < ref.length; i++) expect(g[i]).toBeCloseTo(ref[i], 5);
      }
    });
  }

  it('sum over axis 0 (with and without keepDims) and other axes', () => {
    const x = rand([6, 5]);
    const v = x.dataSync();
    for (const keep of [false, true]) {
      const s = tf.sum(x, 0, keep);
      expect(s.shape).toEqual(keep ? [1, 5] : [5]);
      const d = s.dataSync();
      for (let j = 0; j < 5; j++) {
        let r = 0;
        for (let i = 0; i < 6; i++) r += v[i * 5 + j];
        expect(d[j]).toBeCloseTo(r, 5);
      }
    }
    const rows = tf.sum(x, 1).dataSync() as Float32Array;
    for (let i = 0; i < 6; i++)
      expect(rows[i]).toBeCloseTo(
        Array.from(v.slice(i * 5, i * 5 + 5)).reduce((a, b) => a + b, 0),
        5,
      );
  });

  it('split along the last axis (sizes, -1 and equal parts)', () => {
    const x = rand([4, 9]);
    const v = x.dataSync();
    for (const spec of [[2, 3, 4], [2, -1, 4], 3] as (number[] | number)[]) {
      const parts = tf.split(x, spec, 1);
      let start = 0;
      for (const p of parts) {
        const w = p.shape[1] as number;
        const d = p.dataSync();
        for (let r = 0; r < 4; r++) for (let c = 0; c < w; c++) expect(d[r * w + c]).toBe(v[r * 9 + start + c]);
        start += w;
      }
      expect(start).toBe(9);
    }
  });

  it('matMul with transposes equals a plain loop', () => {
    const a = rand([6, 4]);
    const b = rand([4, 3]);
    const c = tf.matMul(a, b).dataSync();
    const ct = tf.matMul(tf.transpose(a), b, true, false).dataSync();
    const av = a.dataSync();
    const bv = b.dataSync();
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let p = 0; p < 4; p++) s += av[i * 4 + p] * bv[p * 3 + j];
        expect(c[i * 3 + j]).toBeCloseTo(s, 5);
        expect(ct[i * 3 + j]).toBeCloseTo(s, 5);
      }
  });

  it('fused.matMul with a bias and linear or relu equals a plain loop, transposes included; prelu falls back', () => {
    const a = rand([6, 4]);
    const b = rand([4, 3]);
    const bias = rand([3]);
    const av = a.dataSync();
    const bv = b.dataSync();
    const cv = bias.dataSync();
    for (const activation of ['linear', 'relu'] as const) {
      const c = tf.fused.matMul({ a, b, bias, activation }).dataSync();
      const ct = tf.fused
        .matMul({ a: tf.transpose(a), b: tf.transpose(b), transposeA: true, transposeB: true, bias, activation })
        .dataSync();
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 3; j++) {
          let s = cv[j];
          for (let p = 0; p < 4; p++) s += av[i * 4 + p] * bv[p * 3 + j];
          const want = activation === 'relu' ? Math.max(s, 0) : s;
          expect(c[i * 3 + j]).toBeCloseTo(want, 5);
          expect(ct[i * 3 + j]).toBeCloseTo(want, 5);
        }
    }
    const alpha = tf.fill([3], 0.5);
    const p = tf.fused.matMul({ a, b, activation: 'prelu', preluActivationWeights: alpha }).dataSync();
    const plain = tf.matMul(a, b).dataSync();
    for (let i = 0; i < 18; i++) expect(p[i]).toBeCloseTo(plain[i] < 0 ? 0.5 * plain[i] : plain[i], 5);
  });

  it('unsortedSegmentSum (the gradient of gather) equals a plain loop in double, dropping ids out of range', () => {
    for (const [rows, n, c, segments] of [
      [7, 40, 3, 9],
      [1, 5, 1, 1],
      [50, 300, 16, 50],
    ] as const) {
      const x = rand([n, c]);
      const idv = Int32Array.from({ length: n }, (_, i) => (i % 11 === 5 ? -1 : Math.floor(rng.next() * rows)));
      const got = tf.unsortedSegmentSum(x, tf.tensor1d(idv, 'int32'), segments).dataSync();
      const xv = x.dataSync();
      const want = new Float64Array(segments * c);
      for (let i = 0; i < n; i++) if (idv[i] >= 0 && idv[i] < segments) for (let j = 0; j < c; j++) want[idv[i] * c + j] += xv[i * c + j];
      expect(Array.from(got)).toEqual(Array.from(Float32Array.from(want)));
    }
    // and through tf.grad of gather: each row's gradient is the sum of dy over the indices that read it
    const table = rand([4, 2]);
    const g = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(tf.gather(t, tf.tensor1d([3, 0, 3, 3], 'int32')), tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]))),
    )(table);
    expect(Array.from(g.dataSync())).toEqual([3, 4, 0, 0, 0, 0, 1 + 5 + 7, 2 + 6 + 8]);
  });
});
