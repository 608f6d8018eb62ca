/**
 * Whole training runs on two compute threads (synthetic rays, the tiny trainer config, all three
 * decoders): two runs repeat bit for bit; a run saved and resumed through checkpoint.trf ends in
 * the uninterrupted run's state bit for bit; and the two-thread run stays within float rounding of
 * the one-thread run (the first step's loss is the same bits: every forward value is computed as on
 * one thread; only weight-gradient sums are cut between threads and added in another order).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import type { TrainConfig } from '../../../src/core/config';
import { startThreads, stopThreads } from '../../../src/core/parallel/threads';
import { readTrainerCheckpoint, restoreTrainer, saveTrainer } from '../../../src/core/train/trainer-checkpoint';
import { Trainer } from '../../../src/core/train/trainer';
import { tempDir } from '../data/scene-fixture';
import { NO_VIEWS, randomPool, tinyConfig } from '../train/synthetic';

const dir = tempDir('threaded-training');
const BACKEND = { name: 'cpu', reason: 'test' };
beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(async () => {
  await stopThreads();
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  losses: number[];
  params: Float32Array[];
}

async function train(cfg: TrainConfig, upTo = cfg.iterations, from?: string): Promise<{ out: Outcome; trainer: Trainer }> {
  const trainer = new Trainer(cfg, { train: randomPool(400, 21), test: NO_VIEWS, testCount: 0 }, BACKEND);
  if (from) restoreTrainer(trainer, readTrainerCheckpoint(from));
  const losses: number[] = [];
  for await (const e of trainer.run()) {
    if (e.type === 'error') throw new Error(e.message);
    if (e.type === 'step') {
      losses.push(e.loss);
      if (e.iteration >= upTo) break;
    }
  }
  const params = trainer.state().params.map((p) => p.data.slice());
  return { out: { losses, params }, trainer };
}

const same = (a: Float32Array[], b: Float32Array[]) => a.every((x, i) => Buffer.from(x.buffer).equals(Buffer.from(b[i].buffer)));

describe('training on two compute threads', () => {
  for (const decoder of ['mlp', 'siren', 'splitnet'] as const) {
    it(`${decoder}: repeats bit for bit, resumes exactly, and stays within rounding of one thread`, async () => {
      const cfg = tinyConfig({ decoder, iterations: 8, decoderWidth: decoder === 'splitnet' ? 5 : 12 });
      await startThreads(2);
      const a = (await train(cfg)).out;
      const b = (await train(cfg)).out;
      expect(b.losses).toEqual(a.losses);
      expect(same(a.params, b.params)).toBe(true);

      const half = await train(cfg, 4);
      const ckpt = join(dir, `${decoder}.trf`);
      saveTrainer(ckpt, half.trainer);
      const resumed = (await train(cfg, cfg.iterations, ckpt)).out;
      expect(same(resumed.params, a.params)).toBe(true);

      await startThreads(1);
      const one = (await train(cfg)).out;
      expect(one.losses[0]).toBe(a.losses[0]);
      for (let i = 0; i < one.losses.length; i++) expect(Math.abs(one.losses[i] - a.losses[i]) / one.losses[i]).toBeLessThan(1e-3);
      let worst = 0;
      one.params.forEach((p, i) => {
        const scale = Math.max(1e-6, ...Array.from(p, Math.abs));
        for (let j = 0; j < p.length; j++) worst = Math.max(worst, Math.abs(p[j] - a.params[i][j]) / scale);
      });
      expect(worst).toBeLessThan(1e-3);
      expect(same(one.params, a.params)).toBe(false); // the weight-gradient sums do round differently
    });
  }
});
