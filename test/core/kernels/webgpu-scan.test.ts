/**
 * The blocked 1-D scan behind tf.cumsum on webgpu (kernels/webgpu-cumsum.ts, wgsl/scan.ts)
 * against a prefix sum written here, lengths in a row that reach one block, one block plus one,
 * two levels and three levels of block sums (n > 256^2), int32 (0/1 flags as the slot compaction
 * has them, and signed values) exactly, float32 integers exactly and float32 values within the
 * float32 error bound of a sequential sum. Cumsums it does not take (exclusive, reverse, 2-D)
 * still match the reference. Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/random';
import { requireWebgpu } from '../webgpu-session';
import { webgpuSuite } from './webgpu-suite';

/** Inclusive prefix sums in float64, and the running sum of |x| (for the float32 bound). */
function prefix(x: ArrayLike<number>): { sum: Float64Array; abs: Float64Array } {
  const sum = new Float64Array(x.length);
  const abs = new Float64Array(x.length);
  let s = 0;
  let a = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i];
    a += Math.abs(x[i]);
    sum[i] = s;
    abs[i] = a;
  }
  return { sum, abs };
}

describe('blocked cumsum on webgpu', () => {
  const suite = webgpuSuite();
  const LENGTHS = [1, 255, 256, 257, 1000, 65_537, 402_500, 7];

  it('int32: exact prefix sums, lengths in a row', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(3);
    for (const n of LENGTHS) {
      for (const kind of ['flags', 'signed'] as const) {
        const v = Int32Array.from({ length: n }, () =>
          kind === 'flags' ? (rng.uniform(0, 1) < 0.3 ? 1 : 0) : Math.floor(rng.uniform(-1000, 1000)),
        );
        const y = tf.cumsum(tf.tensor1d(v, 'int32'));
        expect(y.dtype).toBe('int32');
        const got = await y.data();
        y.dispose();
        const want = prefix(v).sum;
        let bad = -1;
        for (let i = 0; i < n && bad < 0; i++) if (got[i] !== want[i]) bad = i;
        expect(bad, `${kind} n ${n}: first wrong entry ${bad}: ${got[bad]} vs ${want[bad]}`).toBe(-1);
      }
    }
    expect(suite.watch?.programs().get('ScanProgram') ?? 0).toBeGreaterThanOrEqual(2);
    expect(suite.watch?.programs().get('ScanBlockSumsProgram') ?? 0).toBeGreaterThanOrEqual(1);
    expect(suite.watch?.clashes()).toEqual([]);
  });

  it('float32: integers exactly (0, 1, ..., n - 1 as deviceRange makes them), values within the sequential bound', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(4);
    for (const n of LENGTHS) {
      const ones = tf.cumsum(tf.fill([n], 1));
      const counted = await ones.data();
      ones.dispose();
      for (let i = 0; i < n; i++) if (counted[i] !== i + 1) expect(counted[i], `ones n ${n} entry ${i}`).toBe(i + 1);
      const v = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
      const y = tf.cumsum(tf.tensor1d(v));
      const got = await y.data();
      y.dispose();
      const { sum, abs } = prefix(v);
      // any order of float32 additions: |err| <= (i + 1) 2^-24 sum |x| (first order)
      for (let i = 0; i < n; i++) {
        const bound = (i + 1) * 2 ** -24 * abs[i] * 1.01 + 1e-30;
        if (!(Math.abs(got[i] - sum[i]) <= bound)) expect(Math.abs(got[i] - sum[i]), `n ${n} entry ${i}`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('leaves exclusive, reverse and 2-D cumsums to the other kernels, which still match', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const v = Float32Array.from({ length: 600 }, (_, i) => (i % 7) - 3);
    const x = tf.tensor1d(v);
    const want = prefix(v).sum;
    const excl = await tf.cumsum(x, 0, true).data();
    const rev = await tf.cumsum(x, 0, false, true).data();
    const two = await tf.cumsum(tf.reshape(x, [2, 300]), 1).data();
    for (let i = 0; i < 600; i++) {
      expect(excl[i]).toBe(i === 0 ? 0 : want[i - 1]);
      expect(rev[i]).toBe(want[599] - (i === 0 ? 0 : want[i - 1]));
      expect(two[i]).toBe(i < 300 ? want[i] : want[i] - want[299]);
    }
    x.dispose();
  });
});
