/**
 * The webgpu free-buffer pool stays bounded (kernels/webgpu-buffer-pool.ts): tensors of 40
 * different sizes, made and disposed, leave 40 pooled free buffers in tfjs-webgpu's manager; two
 * trims later only the sizes still in use are pooled, and the freed bytes are accounted.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trimWebgpuBufferPool } from '../../../src/core/kernels/webgpu-buffer-pool';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';

interface Manager {
  numFreeBuffers: number;
  numBytesAllocated: number;
}

describe('webgpu buffer pool trimming', () => {
  let gpu: WebgpuSession;
  beforeAll(async () => {
    gpu = await startWebgpu();
  });
  afterAll(stopWebgpu);

  it('drops free buffers of sizes not used for two trims, keeps the ones in use', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const manager = (tf.backend() as unknown as { bufferManager: Manager }).bufferManager;
    trimWebgpuBufferPool();
    trimWebgpuBufferPool();
    trimWebgpuBufferPool(); // start from a trimmed pool
    const freeBefore = manager.numFreeBuffers;
    const run = async (n: number) => {
      const t = tf.add(tf.fill([n], 1), 1); // a GPU buffer of n floats (the fill and the add)
      await t.data();
      t.dispose();
    };
    for (let k = 0; k < 40; k++) await run(1000 + 7 * k);
    const pooled = manager.numFreeBuffers - freeBefore;
    expect(pooled).toBeGreaterThanOrEqual(40);
    trimWebgpuBufferPool(); // the sizes were acquired in this epoch: kept
    expect(manager.numFreeBuffers - freeBefore).toBe(pooled);
    await run(5000); // one size in use across the next trims
    trimWebgpuBufferPool();
    await run(5000);
    const allocated = manager.numBytesAllocated;
    const freed = trimWebgpuBufferPool();
    expect(freed).toBeGreaterThanOrEqual(40 * 1000 * 4);
    expect(manager.numBytesAllocated).toBe(allocated - freed);
    expect(manager.numFreeBuffers - freeBefore).toBeLessThan(pooled);
    expect(manager.numFreeBuffers).toBeLessThanOrEqual(freeBefore + 8); // the few buffers of the size still in use (data, staging, uniforms)
  });
});
