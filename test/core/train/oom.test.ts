/**
 * Out-of-memory errors become one line naming the backend, the iteration, the batch and the grid
 * and the settings to lower (oom.ts); other errors are not taken for one. In the trainer, an
 * out-of-memory error while rendering the running test PSNR stops the run with that line.
 */
import type { ViewSet } from '../../../src/core/data/view-set';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import type { TrainEvent } from '../../../src/core/train/events';
import { isOutOfMemory, outOfMemoryMessage, renderOutOfMemoryMessage } from '../../../src/core/train/oom';
import { Trainer } from '../../../src/core/train/trainer';
import { randomPool, tinyConfig } from './synthetic';

describe('isOutOfMemory', () => {
  it.each([
    'Failed to allocate buffer of size 1073741824',
    'WebGPU: out of memory',
    'OOM when allocating tensor with shape[4096,300,300]',
    'Resource exhausted: OOM',
    'GPUBuffer allocation failed',
    'Array buffer allocation failed',
    'CUDA_ERROR_OUT_OF_MEMORY: out of memory',
  ])('%s', (msg) => {
    expect(isOutOfMemory(new Error(msg))).toBe(true);
    expect(isOutOfMemory(msg)).toBe(true);
  });

  it.each(['loss is NaN', 'shapes [3,4] and [5] are incompatible', 'a zoom into the room', 'ENOSPC: no space left on device'])(
    'not: %s',
    (msg) => {
      expect(isOutOfMemory(new Error(msg))).toBe(false);
    },
  );
});

describe('outOfMemoryMessage', () => {
  it('names backend, iteration, batch, grid and the flags to lower', () => {
    expect(outOfMemoryMessage('webgpu', 1200, 4096, [300, 300, 300])).toBe(
      'the webgpu backend ran out of GPU memory at iteration 1200 (batch 4096, grid 300^3); lower --batch, --chunk or --grid-end',
    );
    expect(outOfMemoryMessage('tensorflow', 7, 1024, [120, 128, 96])).toBe(
      'the tensorflow backend ran out of GPU memory at iteration 7 (batch 1024, grid 120x128x96); lower --batch, --chunk or --grid-end',
    );
    expect(outOfMemoryMessage('cpu', 3, 64, [8, 8, 8])).toMatch(/^the cpu backend ran out of memory at iteration 3/);
    expect(renderOutOfMemoryMessage('webgpu', 4096)).toBe(
      'the webgpu backend ran out of GPU memory while rendering (chunk 4096 rays); lower --chunk',
    );
  });
});

it('an out-of-memory error while rendering the running test PSNR stops the trainer with that line', async () => {
  await initBackend('cpu');
  const cfg = tinyConfig({ iterations: 4, visEvery: 2, visViews: 1 });
  const view: ViewSet = {
    width: 2,
    height: 2,
    focal: 2,
    poses: [new Float32Array(16)],
    images: [new Float32Array(12)],
    names: ['r_0'],
    ids: [0],
  };
  class TightGpu extends Trainer {
    override evaluate(): never {
      throw new Error('Failed to allocate buffer of size 268435456');
    }
  }
  const t = new TightGpu(cfg, { train: randomPool(256, 2), test: view, testCount: 1 }, { name: 'webgpu', reason: 'test' });
  const events: TrainEvent[] = [];
  for await (const e of t.run()) events.push(e);
  expect(events.map((e) => e.type)).toEqual(['started', 'step', 'step', 'error']);
  expect(events.at(-1)).toEqual({
    type: 'error',
    message: 'the webgpu backend ran out of GPU memory at iteration 2 (batch 64, grid 8^3); lower --batch, --chunk or --grid-end',
  });
  expect(t.failed).toBe(true);
});
