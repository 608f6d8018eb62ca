/**
 * Tensor leaks (DESIGN.md section 7): tf.memory().numTensors must not grow across training
 * iterations, on the host-kernel path (Trainer.run on the cpu backend with the fast kernels, every
 * decoder) and on the device path (DevicePath with the plain-tf-ops kernels, called directly on the cpu backend).
 * Synthetic data: random rays through the box with random colours.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { resolveConfig, type DecoderName } from '../../../src/core/config';
import { LEGO_BOX, nSamplesTrain, stepSize } from '../../../src/core/field/geometry';
import { hostKernelsActive } from '../../../src/core/kernels/register';
import { createModel, modelParams } from '../../../src/core/model';
import { Rng } from '../../../src/core/random';
import { createAdam } from '../../../src/core/train/adam';
import { DevicePath } from '../../../src/core/train/device-path';
import { TF_FIELD_OPS } from '../../../src/core/render/field-ops';
import { renderRays } from '../../../src/core/render/render-rays';
import { Trainer } from '../../../src/core/train/trainer';
import { NO_VIEWS, randomPool } from './synthetic';

const tinyConfig = (decoder: DecoderName, iterations: number) =>
  resolveConfig({
    preset: 'smoke',
    backend: 'cpu',
    decoder,
    decoderWidth: 16,
    iterations,
    batchSize: 64,
    gridStart: 8,
    gridEnd: 8,
    upsampleAt: [],
    alphaMaskAt: [],
    densityComps: 2,
    appComps: 3,
    visEvery: 0,
    seed: 3,
  });

beforeAll(async () => {
  const b = await initBackend('cpu');
  expect(b.name).toBe('cpu');
});

describe('no tensor leaks while training', () => {
  for (const decoder of ['mlp', 'siren', 'splitnet'] as const) {
    it(`host-kernel path (Trainer.run, ${decoder}): same numTensors after iteration 10 and 50`, async () => {
      expect(hostKernelsActive()).toBe(true);
      const trainer = new Trainer(
        tinyConfig(decoder, 50),
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
    const cfg = tinyConfig('mlp', 6);
    const model = createModel(cfg, LEGO_BOX, new Rng(cfg.seed));
    // denser field so that samples pass the weight threshold and the decoder runs
    for (const p of [...model.field.densityPlanes, ...model.field.densityLines]) for (let i = 0; i < p.data.length; i++) p.data[i] += 1.2;
    const adam = createAdam(modelParams(model), { factors: cfg.lrFactors, network: cfg.lrNetwork });
    const pool = randomPool(256, 12);
    const rng = new Rng(5);
    const f = model.field;
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const path = new DevicePath(TF_FIELD_OPS);
    let decoded = 0;
    for (let it = 0; it < 6; it++) {
      const r = await path.step({
        model,
        adam,
        pool,
        indices: rng.permutation(pool.count).subarray(0, 32),
        rng,
        nSamples: nSamplesTrain(f.reso, 0.5),
        stepSize: stepSize(f.box, f.reso, 0.5),
        mask: null,
        l1Weight: cfg.l1Initial,
      });
      expect(Number.isFinite(r.loss)).toBe(true);
      decoded += r.decoded;
      counts.push(tf.memory().numTensors);
    }
    expect(decoded).toBeGreaterThan(0);
    expect(counts[3]).toBe(counts[1]);
    expect(counts[5]).toBe(counts[1]);
    await path.syncToHost(model, adam);
    path.dispose();
    expect(tf.memory().numTensors).toBe(before); // the resident state goes with dispose; each step disposes what it made
  });

  it('rendering (evaluation, previews, viewport frames): same numTensors after 1, 3 and 5 renders', async () => {
    expect(hostKernelsActive()).toBe(true);
    const cfg = tinyConfig('splitnet', 1);
    const model = createModel(cfg, LEGO_BOX, new Rng(cfg.seed));
    for (const p of [...model.field.densityPlanes, ...model.field.densityLines]) for (let i = 0; i < p.data.length; i++) p.data[i] += 1.2;
    const pool = randomPool(300, 13);
    const counts: number[] = [];
    let acc = 0;
    for (let k = 0; k < 5; k++) {
      const r = await renderRays(model, pool.origins, pool.dirs, pool.count, { mask: null, stepRatio: 0.5, chunk: 128 });
      acc += r.acc.reduce((a, v) => a + v, 0);
      counts.push(tf.memory().numTensors);
    }
    expect(acc).toBeGreaterThan(0); // something was rendered, in 3 chunks each time
    expect(counts[2]).toBe(counts[0]);
    expect(counts[4]).toBe(counts[0]);
  });
});
