/**
 * Tensor leaks (DESIGN.md section 7): tf.memory().numTensors must not grow across training
 * iterations, on the host-kernel path (Trainer.run on the cpu backend with the fast kernels, every
 * decoder) and on the device path (DevicePath with the plain-tf-ops kernels, called directly on the cpu backend),
 * and across renders (the checks in leak-checks.ts, shared with leak-webgpu.test.ts).
 * Synthetic data: random rays through the box with random colours.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { hostKernelsActive } from '../../../src/core/kernels/register';
import { TF_FIELD_OPS } from '../../../src/core/render/field-ops';
import { Trainer } from '../../../src/core/train/trainer';
import { expectDevicePathSteady, expectRendersSteady, leakConfig } from './leak-checks';
import { NO_VIEWS, randomPool } from './synthetic';

beforeAll(async () => {
  const b = await initBackend('cpu');
  expect(b.name).toBe('cpu');
});

describe('no tensor leaks while training', () => {
  for (const decoder of ['mlp', 'siren', 'splitnet'] as const) {
    it(`host-kernel path (Trainer.run, ${decoder}): same numTensors after iteration 10 and 50`, async () => {
      expect(hostKernelsActive()).toBe(true);
      const trainer = new Trainer(
        leakConfig('cpu', decoder, 50),
        { train: randomPool(512, 11), test: NO_VIEWS, testCount: 0 },
        { name: 'cpu', reason: 'test' },
      );
      const counts = new Map<number, number>();
      let decoded = 0;
      for await (const e of trainer.run()) {
        if (e.type === 'error') throw new Error(e.message);
        if (e.type === 'step') {
          counts.set(e.iteration, tf.memory().numTensors);
          decoded += e.decoded;
        }
      }
      expect(trainer.iteration).toBe(50);
      expect(decoded).toBeGreaterThan(0); // the decoder (and its backward) ran
      expect(counts.get(50)).toBe(counts.get(10));
      expect(counts.get(30)).toBe(counts.get(10));
    });
  }

  it('device path (DevicePath, tf ops, on cpu): same numTensors after steps 2, 4 and 6, and none left after dispose', async () => {
    await expectDevicePathSteady(TF_FIELD_OPS, leakConfig('cpu', 'mlp', 6));
  });

  it('rendering (evaluation, previews, viewport frames): same numTensors after 1, 3 and 5 renders', async () => {
    expect(hostKernelsActive()).toBe(true);
    await expectRendersSteady(leakConfig('cpu', 'splitnet', 1));
  });
});
