/**
 * The device-resident training path through the whole trainer (cpu backend, plain tf ops): with
 * the schedule's upsampling, both alpha-mask updates (box shrink, ray filtering) and periodic
 * checkpoints, a Trainer on DevicePath follows the Trainer on HostPath step for step: the same
 * schedule, losses within float32 noise, and a checkpoint written mid-run that holds the device's
 * state (synchronised to the host first). Real Lego pixels, 25x25 (skipped without the scene
 * unless TENSORF_REQUIRE_DATA=1).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { resolveConfig, type TrainConfig } from '../../../src/core/config';
import { evenlySpaced } from '../../../src/core/data/nerf-synthetic';
import { TF_FIELD_OPS } from '../../../src/core/render/field-ops';
import { loadTestViews, loadTrainPool, testViewCount } from '../../../src/core/run/scene-data';
import { DevicePath } from '../../../src/core/train/device-path';
import { LEGO_BOX } from '../../../src/core/field/geometry';
import { readTrainerCheckpoint, saveTrainer } from '../../../src/core/train/trainer-checkpoint';
import { Trainer, type TrainData } from '../../../src/core/train/trainer';
import { tempDir } from '../data/scene-fixture';

const DATA = 'datasets/nerf_synthetic/lego';
const skip = !existsSync(`${DATA}/transforms_train.json`) && process.env.TENSORF_REQUIRE_DATA !== '1';
const dir = tempDir('device-trainer');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});
const BACKEND = { name: 'cpu', reason: 'test' };

interface Trace {
  losses: number[];
  schedule: string[];
  psnr: number;
  checkpoint: string;
}

describe.skipIf(skip)('DevicePath through the trainer = HostPath (cpu backend)', () => {
  const cfg: TrainConfig = resolveConfig({
    preset: 'smoke',
    data: DATA,
    backend: 'cpu',
    downscale: 32,
    trainViews: 20,
    batchSize: 32,
    iterations: 24,
    gridStart: 8,
    gridEnd: 10,
    alphaMaskAt: [10, 18],
    upsampleAt: [14, 20],
    lrDecayRatio: 0.3,
    visEvery: 0,
    evalViews: 5,
    seed: 1,
    checkpointEvery: 6,
  });
  const nTest = testViewCount(cfg);
  const ids = evenlySpaced(nTest, 5);
  const data = (): TrainData => ({ train: loadTrainPool(cfg).pool, test: loadTestViews(cfg, ids), testCount: nTest });

  async function trace(t: Trainer, name: string): Promise<Trace> {
    // a denser start (as in step-paths.test.ts), so that samples pass the weight threshold from the first step
    for (const p of [...t.model.field.densityPlanes, ...t.model.field.densityLines])
      for (let i = 0; i < p.data.length; i++) p.data[i] += 0.4;
    const out: Trace = { losses: [], schedule: [], psnr: NaN, checkpoint: join(dir, `${name}.trf`) };
    const save = (tr: Trainer) => {
      if (tr.iteration === 18) saveTrainer(out.checkpoint, tr);
      return out.checkpoint;
    };
    for await (const e of t.run({ checkpoint: save })) {
      if (e.type === 'error') throw new Error(e.message);
      if (e.type === 'step') out.losses.push(e.loss);
      if (e.type === 'schedule') out.schedule.push(`${e.iteration}:${e.action}`);
    }
    out.psnr = (
      await t.evaluate(
        t.data.test.ids.map((_, i) => i),
        false,
      )
    ).psnr;
    await t.release();
    return out;
  }

  let host: Trace;
  let device: Trace;
  beforeAll(async () => {
    host = await trace(new Trainer(cfg, data(), BACKEND), 'host');
    device = await trace(new Trainer(cfg, data(), BACKEND, LEGO_BOX, new DevicePath(TF_FIELD_OPS)), 'device');
  }, 300_000);

  it('the same schedule (upsampling, both mask updates, shrink, ray filter) at the same iterations', () => {
    expect(host.schedule).toEqual(['11:alpha-mask', '11:shrink', '15:upsample', '19:alpha-mask', '19:filter-rays', '21:upsample']);
    expect(device.schedule).toEqual(host.schedule);
  });

  it('losses within float32 noise at every step (1e-3 relative), the same test PSNR within 0.05 dB', () => {
    expect(device.losses).toHaveLength(24);
    const worst = Math.max(...device.losses.map((l, i) => Math.abs(l - host.losses[i]) / host.losses[i]));
    expect(worst).toBeLessThan(1e-3);
    expect(Math.abs(device.psnr - host.psnr)).toBeLessThan(0.05);
    expect(host.psnr).toBeGreaterThan(8); // it renders something
  });

  it('a checkpoint written mid-run holds the device state (synchronised first), not stale host arrays', () => {
    const h = readTrainerCheckpoint(host.checkpoint);
    const d = readTrainerCheckpoint(device.checkpoint);
    expect(d.meta.iteration).toBe(18);
    expect(d.meta.adam.step).toBe(h.meta.adam.step);
    const arrays = (c: typeof h) => [
      ...c.state.params.map((p) => [p.name, p.data] as const),
      ...c.state.adam.m.map((m, i) => [`m${i}`, m] as const),
    ];
    const other = new Map(arrays(d));
    for (const [name, a] of arrays(h)) {
      const b = other.get(name)!;
      expect(b.length, name).toBe(a.length);
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        num += (a[i] - b[i]) ** 2;
        den += a[i] ** 2;
      }
      expect(Math.sqrt(num / Math.max(den, 1e-30)), name).toBeLessThan(5e-3);
    }
  });
});
