/**
 * The transfer counter (kernels/transfer-count.ts) counts the bytes the backend really moves:
 * on webgpu an uploaded tensor's bytes, each dispatch's uniform block (cross-checked against
 * what the backend's makeUniforms returned, and derived by hand for one op) and a read tensor's
 * bytes; cached reads, device-only work and excluded work count nothing; on cpu nothing moves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { countTransfers } from '../../../src/core/kernels/transfer-count';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';

describe('transfer count on cpu', () => {
  it('counts nothing: tensors are host memory', async () => {
    await initBackend('cpu');
    const c = countTransfers();
    try {
      const x = tf.tensor1d(new Float32Array(4096).fill(2));
      const y = tf.neg(x);
      await y.data();
      y.dataSync();
      tf.dispose([x, y]);
      expect(c.take()).toEqual({ up: 0, down: 0, uniform: 0 });
    } finally {
      c.dispose();
    }
  });
});

describe('transfer count on webgpu', () => {
  let s: WebgpuSession;
  beforeAll(async () => {
    s = await startWebgpu();
  });
  afterAll(async () => {
    await stopWebgpu();
  });

  it('counts an upload, the uniforms of each dispatch and a readback, byte for byte', async (ctx) => {
    requireWebgpu(s, ctx);
    const backend = tf.backend() as unknown as { makeUniforms: (u: unknown) => { size: number } };
    // an independent tally of the uniform blocks: what makeUniforms returns (the counter sees them at queue.writeBuffer)
    const makeUniforms = backend.makeUniforms;
    let uniformTally = 0;
    backend.makeUniforms = function (this: unknown, u: unknown) {
      const r = makeUniforms.call(this, u);
      uniformTally += r.size;
      return r;
    };
    const GPUBuffer = (globalThis as unknown as { GPUBuffer: { prototype: { getMappedRange: unknown } } }).GPUBuffer;
    const getMappedRange = GPUBuffer.prototype.getMappedRange;
    const c = countTransfers();
    try {
      const n = 4096; // >= 1000 entries, so webgpu runs neg on the device, not on the host
      const x = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i));
      expect(c.take()).toEqual({ up: 0, down: 0, uniform: 0 }); // write() keeps the values on the host
      const y = tf.neg(x);
      // x goes up (4 bytes a float); neg's uniform block: NaN, Infinity, x's shape and strides,
      // the output's shape and strides (a rank-1 tensor's empty strides are sent as one entry) and
      // the size, 7 four-byte entries
      expect(c.take()).toEqual({ up: n * 4 + 28, down: 0, uniform: 28 });
      expect(uniformTally).toBe(28);
      const v = await y.data();
      expect(v[5]).toBe(-5);
      expect(c.take()).toEqual({ up: 0, down: n * 4, uniform: 0 });
      await y.data(); // cached on the host: nothing moves
      expect(c.take()).toEqual({ up: 0, down: 0, uniform: 0 });

      // device-resident input: only the uniforms go up; an int32 [7] result comes down as 28 bytes
      uniformTally = 0;
      const z = tf.tidy(() => tf.cast(tf.slice(tf.neg(x), [0], [7]), 'int32'));
      const zc = c.take();
      expect(zc.up).toBe(zc.uniform);
      expect(zc.uniform).toBe(uniformTally);
      expect(zc.uniform).toBeGreaterThan(0);
      expect(await z.data()).toEqual(Int32Array.from([0, -1, -2, -3, -4, -5, -6]));
      expect(c.take().down).toBe(28);

      // excluded work counts nothing
      const w = tf.neg(x);
      expect(c.take()).toEqual({ up: 28, down: 0, uniform: 28 });
      await c.excluding(async () => {
        await w.data();
        const u = tf.neg(x);
        await u.data();
        u.dispose();
      });
      expect(c.take()).toEqual({ up: 0, down: 0, uniform: 0 });
      tf.dispose([x, y, z, w]);

      // a second upload of the same size reuses a freed buffer, written through a MAP_WRITE staging buffer
      await tf.neg(tf.ones([1])).data(); // a submit, after which the freed buffers are back in the pool
      c.take();
      const x2 = tf.tensor1d(new Float32Array(n).fill(3));
      const y2 = tf.neg(x2);
      expect(c.take()).toEqual({ up: n * 4 + 28, down: 0, uniform: 28 });
      tf.dispose([x2, y2]);
    } finally {
      c.dispose();
      backend.makeUniforms = makeUniforms;
    }
    expect(GPUBuffer.prototype.getMappedRange).toBe(getMappedRange);
    expect(Object.hasOwn(tf.backend(), 'readSync')).toBe(false);
  });
});
