/**
 * The webgpu BatchMatMul kernels (kernels/webgpu-matmul.ts), register-tiled and subgroup, each
 * against a float64 product written here, for all four transpose variants and shapes in a row
 * that reach every register block (tiled: tm 1..8 rows, tn 1..16 columns; subgroup: 16x32, 32x16,
 * 64x8 blocks and short M), ragged edges in M and N, split-K with several chunk counts, rank-3
 * operands with a batch of 1, and a batch of 2 (the stock kernel). A watch on the program cache
 * checks that each program ran and that no cache key had two sources. On lavapipe (subgroups of
 * 8) both kernels must run: the test fails there if the subgroup device was not made.
 *
 * Tolerance: the float32 error bound of a K-term dot product, |err| <= 2 K u sum_k |a_mk b_kn|
 * with u = 2^-24 (any summation order, split sums included); a wrong index or a stale program is
 * off by far more. Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  activeMatmulKernel,
  type MatmulKernel,
  planMatmul,
  planSubgroupMatmul,
  useMatmulKernel,
} from '../../../src/core/kernels/webgpu-matmul';
import { subgroupLanes } from '../../../src/core/kernels/webgpu-subgroups';
import { Rng } from '../../../src/core/random';
import { requireWebgpu } from '../webgpu-session';
import { webgpuSuite } from './webgpu-suite';

const U = 2 ** -24;

/** C = op(A) op(B) in float64, and sum |a b| per output (for the error bound). */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, tA: boolean, tB: boolean) {
  const c = new Float64Array(m * n);
  const abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let kk = 0; kk < k; kk++) {
      const av = tA ? a[kk * m + i] : a[i * k + kk];
      for (let j = 0; j < n; j++) {
        const p = av * (tB ? b[j * k + kk] : b[kk * n + j]);
        c[i * n + j] += p;
        abs[i * n + j] += Math.abs(p);
      }
    }
  }
  return { c, abs };
}

const fill = (rng: Rng, size: number) => Float32Array.from({ length: size }, () => rng.uniform(-1, 1));

describe('planMatmul', () => {
  it('covers C with its blocks and splits K only when the blocks are few', () => {
    for (const [m, k, n] of [
      [20512, 150, 128],
      [150, 20512, 128],
      [128, 20512, 3],
      [1, 1, 1],
      [65, 33, 17],
      [600, 27, 144],
    ]) {
      const p = planMatmul(m, k, n);
      expect(p.tm * p.tn, `${m}x${k}x${n}`).toBeLessThanOrEqual(64);
      expect(p.splits * p.kChunk).toBeGreaterThanOrEqual(k);
      expect((p.splits - 1) * p.kChunk).toBeLessThan(k); // no empty chunk
      const blocks = Math.ceil(m / (64 * p.tm)) * Math.ceil(n / p.tn);
      expect(p.workgroups).toBe(blocks * p.splits);
      if (p.splits > 1) expect(blocks).toBeLessThan(256);
    }
    expect(planMatmul(20512, 150, 128)).toMatchObject({ tm: 8, tn: 8, splits: 1 });
    expect(planMatmul(150, 20512, 128).splits).toBeGreaterThan(1);
    expect(() => planMatmul(0, 3, 3)).toThrow(/M must be a positive integer/);
  });

  it('gives the subgroup kernel 64 accumulators a lane, its columns from N, and splits K when the blocks are few', () => {
    for (const [m, k, n, t, j] of [
      [20512, 150, 128, 2, 4],
      [150, 20512, 128, 2, 4],
      [128, 20512, 3, 8, 1],
      [30017, 27, 144, 2, 4],
      [30017, 128, 16, 4, 2],
      [30017, 128, 9, 4, 2],
      [5, 7, 3, 1, 1], // short M: one row group
      [20, 7, 40, 2, 4],
    ]) {
      const p = planSubgroupMatmul(m, k, n);
      expect([p.t, p.j], `${m}x${k}x${n}`).toEqual([t, j]);
      expect(p.splits * p.kChunk).toBeGreaterThanOrEqual(k);
      expect((p.splits - 1) * p.kChunk).toBeLessThan(k);
      const blocks = Math.ceil(m / (8 * p.t)) * Math.ceil(n / (8 * p.j));
      expect(p.workgroups).toBe(blocks * p.splits);
      if (p.splits > 1) expect(blocks).toBeLessThan(64);
    }
    expect(planSubgroupMatmul(150, 20512, 128).splits).toBeGreaterThan(1);
    expect(planSubgroupMatmul(20512, 150, 128).splits).toBe(1);
    expect(() => planSubgroupMatmul(3, 0, 3)).toThrow(/K must be a positive integer/);
  });
});

describe('matmul kernels on webgpu', () => {
  const suite = webgpuSuite();
  /** The kernels this device runs: the tiled one, and the subgroup one where lanes are 8 (lavapipe must have them). */
  const kernels = (): ('tiled' | 'subgroup')[] => {
    if (suite.session.info?.device.match(/llvmpipe/)) expect(subgroupLanes(), 'lavapipe: subgroups of 8').toBe(8);
    return subgroupLanes() === 8 ? ['tiled', 'subgroup'] : ['tiled'];
  };
  const withKernel = async (kind: MatmulKernel, f: () => Promise<void>) => {
    useMatmulKernel(kind);
    try {
      expect(activeMatmulKernel()).toBe(kind);
      await f();
    } finally {
      useMatmulKernel('auto');
    }
  };

  // [M, K, N]: tm 8/3/2/1 with tn 8/16/4/1/2, edges, split-K (K >= 512 with few blocks), the first again.
  const SHAPES = [
    [700, 150, 128],
    [7, 5, 3],
    [150, 3000, 128],
    [65, 33, 17],
    [128, 5000, 3],
    [600, 27, 144],
    [1, 1, 1],
    [64, 700, 1],
    [129, 513, 2],
    [700, 150, 128],
  ];

  it('matches a float64 product for every transpose variant, shapes in a row, with each kernel', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(5);
    for (const kind of kernels())
      await withKernel(kind, async () => {
        for (const [m, k, n] of SHAPES) {
          for (const [tA, tB] of [
            [false, false],
            [true, false],
            [false, true],
            [true, true],
          ]) {
            const av = fill(rng, m * k);
            const bv = fill(rng, k * n);
            const a = tf.tensor2d(av, tA ? [k, m] : [m, k]);
            const b = tf.tensor2d(bv, tB ? [n, k] : [k, n]);
            const c = tf.matMul(a, b, tA, tB);
            expect(c.shape).toEqual([m, n]);
            const got = await c.data();
            tf.dispose([a, b, c]);
            const want = reference(av, bv, m, k, n, tA, tB);
            let worst = 0;
            for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(got[i] - want.c[i]) / (2 * k * U * want.abs[i] + 1e-30));
            expect(worst, `${kind} [${m}x${k}] x [${k}x${n}] tA=${tA} tB=${tB}: error / bound`).toBeLessThanOrEqual(1);
          }
        }
      });
    expect(suite.watch?.programs().get('TiledMatmulProgram') ?? 0).toBeGreaterThanOrEqual(4);
    if (subgroupLanes() === 8) expect(suite.watch?.programs().get('SubgroupMatmulProgram') ?? 0).toBeGreaterThanOrEqual(3);
    expect(suite.watch?.programs().get('SplitSumProgram') ?? 0).toBe(1);
    expect(suite.watch?.clashes()).toEqual([]);
  });

  it('adds the bias and applies relu as tf.fused.matMul does, with and without a K split, with each kernel', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(7);
    for (const kind of kernels())
      await withKernel(kind, async () => {
        for (const [m, k, n] of [
          [700, 150, 128],
          [150, 3000, 128], // split-K: the split sum applies the epilogue
          [65, 33, 17],
          [129, 513, 3],
        ]) {
          for (const activation of ['linear', 'relu'] as const) {
            for (const withBias of [true, false]) {
              const [av, bv, cv] = [fill(rng, m * k), fill(rng, k * n), fill(rng, n)];
              const [a, b, bias] = [tf.tensor2d(av, [m, k]), tf.tensor2d(bv, [k, n]), tf.tensor1d(cv)];
              const c = tf.fused.matMul({ a, b, bias: withBias ? bias : undefined, activation });
              const got = await c.data();
              tf.dispose([a, b, bias, c]);
              const want = reference(av, bv, m, k, n, false, false);
              let worst = 0;
              for (let i = 0; i < m * n; i++) {
                const pre = want.c[i] + (withBias ? cv[i % n] : 0);
                const v = activation === 'relu' ? Math.max(pre, 0) : pre;
                const bound = 2 * (k + 1) * U * (want.abs[i] + Math.abs(withBias ? cv[i % n] : 0)) + 1e-30;
                worst = Math.max(worst, Math.abs(got[i] - v) / bound);
              }
              expect(worst, `${kind} [${m}x${k}x${n}] ${activation} bias=${withBias}: error / bound`).toBeLessThanOrEqual(1);
            }
          }
        }
      });
    expect(suite.watch?.clashes()).toEqual([]);
  });

  it('is right when its workgroups overflow one dispatch dimension (tfjs folds them into two)', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(8);
    const [m, k, n] = [270_000, 2, 120]; // subgroup kernel: 16875 x 4 = 67500 workgroups > 65535; the output just under 128 MiB
    for (const kind of kernels()) {
      await withKernel(kind, async () => {
        if (kind === 'subgroup') expect(planSubgroupMatmul(m, k, n).workgroups).toBeGreaterThan(65_535);
        const [av, bv] = [fill(rng, m * k), fill(rng, k * n)];
        const a = tf.tensor2d(av, [m, k]);
        const b = tf.tensor2d(bv, [k, n]);
        const c = tf.matMul(a, b);
        const got = await c.data();
        tf.dispose([a, b, c]);
        const want = reference(av, bv, m, k, n, false, false);
        let worst = 0;
        for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(got[i] - want.c[i]) / (2 * k * U * want.abs[i] + 1e-30));
        expect(worst, `${kind}: error / bound`).toBeLessThanOrEqual(1);
      });
    }
  });

  it('keeps the batch dims of rank-3 operands, and leaves batched products to the stock kernel', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(6);
    for (const batch of [1, 2]) {
      const av = fill(rng, batch * 9 * 4);
      const bv = fill(rng, batch * 4 * 5);
      const a = tf.tensor3d(av, [batch, 9, 4]);
      const b = tf.tensor3d(bv, [batch, 4, 5]);
      const c = tf.matMul(a, b);
      expect(c.shape).toEqual([batch, 9, 5]);
      const got = await c.data();
      tf.dispose([a, b, c]);
      for (let s = 0; s < batch; s++) {
        const want = reference(av.subarray(s * 36), bv.subarray(s * 20), 9, 4, 5, false, false);
        for (let i = 0; i < 45; i++) expect(Math.abs(got[s * 45 + i] - want.c[i])).toBeLessThanOrEqual(8 * U * want.abs[i] + 1e-30);
      }
    }
  });
});
