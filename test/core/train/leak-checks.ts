/**
 * The tensor-leak checks shared by leak.test.ts (cpu) and leak-webgpu.test.ts (DESIGN.md section
 * 7): tf.memory().numTensors must not grow across device-path steps or renders on the active
 * backend. Synthetic data: random rays through the box with random colours.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { DecoderName, TrainConfig } from '../../../src/core/config';
import { LEGO_BOX, nSamplesTrain, stepSize } from '../../../src/core/field/geometry';
import { createModel, modelParams } from '../../../src/core/model';
import { Rng } from '../../../src/core/random';
import type { FieldOps } from '../../../src/core/render/field-ops';
import { renderRays } from '../../../src/core/render/render-rays';
import { createAdam } from '../../../src/core/train/adam';
import { DevicePath } from '../../../src/core/train/device-path';
import { randomPool, tinyConfig } from './synthetic';

/** The leak tests' config: tinyConfig with a 16-wide decoder, on `backend`. */
export function leakConfig(backend: 'cpu' | 'webgpu', decoder: DecoderName, iterations: number): TrainConfig {
  return tinyConfig({ backend, decoder, decoderWidth: 16, iterations, seed: 3 });
}

/** A model whose density is raised so that samples pass the weight threshold and the decoder runs. */
function denseModel(cfg: TrainConfig) {
  const model = createModel(cfg, LEGO_BOX, new Rng(cfg.seed));
  for (const p of [...model.field.densityPlanes, ...model.field.densityLines]) for (let i = 0; i < p.data.length; i++) p.data[i] += 1.2;
  return model;
}

/** Six DevicePath steps with `ops`: the same numTensors after steps 2, 4 and 6, none left after dispose. */
export async function expectDevicePathSteady(ops: FieldOps, cfg: TrainConfig): Promise<void> {
  const model = denseModel(cfg);
  const adam = createAdam(modelParams(model), { factors: cfg.lrFactors, network: cfg.lrNetwork });
  const pool = randomPool(256, 12);
  const rng = new Rng(5);
  const f = model.field;
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  const path = new DevicePath(ops);
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
}

/** Five renders of 300 rays in chunks of 128 on the active backend: the same numTensors after 1, 3 and 5. */
export async function expectRendersSteady(cfg: TrainConfig): Promise<void> {
  const model = denseModel(cfg);
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
}
