/**
 * The phase recorder of a training step (train/phase-timer.ts): both paths mark their phases in
 * order, the times add up to about the step's time, a sync is awaited once per mark, and the
 * trainer hands its timer to the path. On the cpu backend (DevicePath runs there with plain tf ops).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { resolveConfig } from '../../../src/core/config';
import { LEGO_BOX, nSamplesTrain, stepSize } from '../../../src/core/field/geometry';
import { createModel, modelParams } from '../../../src/core/model';
import { Rng } from '../../../src/core/random';
import { TF_FIELD_OPS } from '../../../src/core/render/field-ops';
import { createAdam } from '../../../src/core/train/adam';
import { DevicePath } from '../../../src/core/train/device-path';
import { HostPath } from '../../../src/core/train/host-path';
import { DEVICE_PHASES, HOST_PHASES, PhaseTimer } from '../../../src/core/train/phase-timer';
import type { TrainPath } from '../../../src/core/train/train-path';
import { Trainer } from '../../../src/core/train/trainer';
import { NO_VIEWS, randomPool } from './synthetic';

const cfg = resolveConfig({
  preset: 'smoke',
  backend: 'cpu',
  gridStart: 8,
  gridEnd: 8,
  densityComps: 2,
  appComps: 3,
  batchSize: 32,
  iterations: 4,
  visEvery: 0,
  seed: 3,
});

beforeAll(async () => {
  await initBackend('cpu');
});

async function timedStep(path: TrainPath, timer: PhaseTimer): Promise<number> {
  const model = createModel(cfg, LEGO_BOX, new Rng(cfg.seed));
  const adam = createAdam(modelParams(model), { factors: 0.02, network: 1e-3 });
  const pool = randomPool(32, 5);
  const f = model.field;
  const t0 = performance.now();
  await path.step({
    model,
    adam,
    pool,
    indices: Uint32Array.from({ length: 32 }, (_, i) => i),
    rng: new Rng(9),
    nSamples: nSamplesTrain(f.reso, 0.5),
    stepSize: stepSize(f.box, f.reso, 0.5),
    mask: null,
    l1Weight: 8e-5,
    timer,
  });
  const ms = performance.now() - t0;
  path.dispose();
  return ms;
}

describe('PhaseTimer', () => {
  for (const [name, make, phases] of [
    ['host', () => new HostPath(), HOST_PHASES],
    ['device', () => new DevicePath(TF_FIELD_OPS), DEVICE_PHASES],
  ] as const) {
    it(`${name} path: marks ${phases.join(', ')} in order; they sum to at most the step's time; a sync per mark`, async () => {
      let syncs = 0;
      const timer = new PhaseTimer(async () => {
        syncs++;
      });
      const ms = await timedStep(make(), timer);
      const t = timer.take();
      expect(Object.keys(t)).toEqual([...phases]);
      const sum = Object.values(t).reduce((a, b) => a + b, 0);
      for (const v of Object.values(t)) expect(v).toBeGreaterThanOrEqual(0);
      expect(sum).toBeLessThanOrEqual(ms + 1e-6);
      expect(sum).toBeGreaterThan(0.5 * ms);
      expect(syncs).toBe(phases.length);
      expect(timer.take()).toEqual({});
    });
  }

  it('the trainer passes its timer to each step (and none when unset)', async () => {
    const trainer = new Trainer(cfg, { train: randomPool(64, 6), test: NO_VIEWS, testCount: 0 }, { name: 'cpu', reason: 'test' });
    const timer = new PhaseTimer();
    const seen: string[][] = [];
    for await (const e of trainer.run()) {
      if (e.type !== 'step') continue;
      seen.push(Object.keys(timer.take()));
      if (e.iteration === 2) trainer.timer = timer;
    }
    expect(seen).toEqual([[], [], [...HOST_PHASES], [...HOST_PHASES]]);
  });
});
