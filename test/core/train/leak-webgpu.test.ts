/**
 * Tensor leaks on webgpu (DESIGN.md section 7), as leak.test.ts does on cpu: tf.memory().numTensors
 * must not grow across device-path training steps with the fused kernels (fieldOpsFor('webgpu'):
 * custom gradients that save tensors for their backward, the fused placement and compositing) nor
 * across renders, and nothing may be left after the path is disposed. Skipped with
 * TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/core/config';
import { LEGO_BOX, nSamplesTrain, stepSize } from '../../../src/core/field/geometry';
import { createModel, modelParams } from '../../../src/core/model';
import { Rng } from '../../../src/core/random';
import { fieldOpsFor } from '../../../src/core/render/field-ops';
import { renderRays } from '../../../src/core/render/render-rays';
import { createAdam } from '../../../src/core/train/adam';
import { DevicePath } from '../../../src/core/train/device-path';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';
import { randomPool } from './synthetic';

const cfg = resolveConfig({
  preset: 'smoke',
  backend: 'webgpu',
  decoder: 'mlp',
  decoderWidth: 16,
  iterations: 6,
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

function denseModel() {
  const model = createModel(cfg, LEGO_BOX, new Rng(cfg.seed));
  // denser field so that samples pass the weight threshold and the decoder runs
  for (const p of [...model.field.densityPlanes, ...model.field.densityLines]) for (let i = 0; i < p.data.length; i++) p.data[i] += 1.2;
  return model;
}

describe('no tensor leaks on webgpu', () => {
  let session: WebgpuSession = { error: 'not started' };
  beforeAll(async () => {
    session = await startWebgpu();
  });
  afterAll(stopWebgpu);

  it('device path with the fused kernels: same numTensors after steps 2, 4 and 6, none left after dispose', async (ctx) => {
    requireWebgpu(session, ctx);
    const model = denseModel();
    const adam = createAdam(modelParams(model), { factors: cfg.lrFactors, network: cfg.lrNetwork });
    const pool = randomPool(256, 12);
    const rng = new Rng(5);
    const f = model.field;
    const ops = fieldOpsFor('webgpu');
    expect(ops.name).toBe('webgpu-fused');
    const before = tf.memory().numTensors;
    const path = new DevicePath(ops);
    const counts: number[] = [];
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
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rendering: same numTensors after 1, 3 and 5 renders', async (ctx) => {
    requireWebgpu(session, ctx);
    const model = denseModel();
    const pool = randomPool(300, 13);
    const counts: number[] = [];
    let acc = 0;
    for (let k = 0; k < 5; k++) {
      const r = await renderRays(model, pool.origins, pool.dirs, pool.count, { mask: null, stepRatio: 0.5, chunk: 128 });
      acc += r.acc.reduce((a, v) => a + v, 0);
      counts.push(tf.memory().numTensors);
    }
    expect(acc).toBeGreaterThan(0);
    expect(counts[2]).toBe(counts[0]);
    expect(counts[4]).toBe(counts[0]);
  });
});
