/**
 * The binding-size guard (kernels/webgpu-binding-guard.ts): the size check alone (any input or
 * the output over the limit; 4 bytes an element), and on webgpu (lavapipe binds 128 MiB) an op
 * whose output is over the device's limit fails with the message instead of returning an
 * untouched buffer, while the same op under the limit runs. Skipped with TENSORF_SKIP_WEBGPU=1.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BackendError } from '../../../src/core/errors';
import { maxBindingBytes, oversizedBinding } from '../../../src/core/kernels/webgpu-binding-guard';
import { requireWebgpu } from '../webgpu-session';
import { webgpuSuite } from './webgpu-suite';

describe('oversizedBinding', () => {
  it('names the first buffer over the limit, input or output', () => {
    expect(oversizedBinding('P', [[10, 10]], [100], 400)).toBeNull(); // exactly at the limit
    expect(oversizedBinding('P', [[10, 10], [101]], [100], 400)).toMatch(
      /^webgpu: P needs a 0 MiB buffer \(input 1, \[101\]\) but this device binds at most 0 MiB \(maxStorageBufferBindingSize\); use less data per buffer \(--batch, --chunk, --train-views, --downscale\) or --backend cpu$/,
    );
    expect(oversizedBinding('MatMul', [[4]], [894000, 150], 2 ** 27)).toMatch(
      /MatMul needs a 512 MiB buffer \(output, \[894000,150\]\) .* at most 128 MiB/,
    );
  });
});

describe('binding guard on webgpu', () => {
  const suite = webgpuSuite();

  it('fails an op whose buffer is over the device limit, and runs it under the limit', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const limit = maxBindingBytes(tf.backend() as unknown as WebGPUBackend);
    expect(limit).toBeGreaterThan(0);
    if (limit > 2 ** 28) ctx.skip(`this device binds ${limit} bytes; the over-limit case would allocate that much`);
    const small = tf.fill([1024], 2);
    expect(Array.from(await small.data()).every((v) => v === 2)).toBe(true);
    small.dispose();
    const before = tf.memory().numTensors;
    expect(() => tf.fill([limit / 4 + 1], 2)).toThrow(/needs a \d+ MiB buffer \(output, \[\d+\]\) but this device binds at most \d+ MiB/);
    expect(() => tf.fill([limit / 4 + 1], 2)).toThrow(BackendError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
