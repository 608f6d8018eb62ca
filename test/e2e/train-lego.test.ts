/**
 * A tiny end-to-end training on real Lego pixels per decoder (DESIGN.md section 7), through the
 * Trainer directly: 25x25 images (downscale 32), the first 20 training views, batch 256, a grid
 * of 24^3 growing to 32^3, two alpha-mask updates. Each run must beat a per-decoder PSNR on 5
 * evenly spaced test views; the thresholds sit about 2 dB below what was measured (in the
 * comments; 2-core CPU, seed 1). The event stream is checked along the way: 'started' first with
 * the parameter counts, 'step' iterations 1..N in order, and a 'schedule' event for each
 * configured action, right after the step it follows.
 *
 * Without the scene this skips, unless TENSORF_REQUIRE_DATA=1 (CI), where it fails.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend';
import { resolveConfig, type DecoderName } from '../../src/core/config';
import { evenlySpaced } from '../../src/core/data/nerf-synthetic';
import { loadTestViews, loadTrainPool, testViewCount } from '../../src/core/run/scene-data';
import { Trainer } from '../../src/core/train/trainer';
import type { TrainEvent } from '../../src/core/train/events';
import { paramCounts } from '../../src/core/model';

const DATA = 'datasets/nerf_synthetic/lego';
const skip = !existsSync(`${DATA}/transforms_train.json`) && process.env.TENSORF_REQUIRE_DATA !== '1';

const ITERATIONS = 80;
const UPSAMPLE_AT = [30, 55];
const ALPHA_MASK_AT = [20, 45];

/**
 * Minimum test PSNR (dB) per decoder, about 2 dB below the measured value (seed 1, 80 iterations;
 * for scale: an all-white image scores 10.6 dB on these views, the mean colour 11.9 dB). Training
 * times measured on the 2-core CPU while another training ran beside it.
 */
const THRESHOLDS: Record<DecoderName, number> = {
  mlp: 20.6, // measured 22.62 dB (31.5 s training)
  siren: 19.2, // measured 21.24 dB (34.3 s); SIREN learns slower
  splitnet: 18.9, // measured 20.87 dB (42.9 s)
};

async function trainTiny(decoder: DecoderName) {
  const backend = await initBackend('cpu');
  const cfg = resolveConfig({
    preset: 'smoke',
    data: DATA,
    decoder,
    backend: 'cpu',
    downscale: 32,
    trainViews: 20,
    batchSize: 256,
    iterations: ITERATIONS,
    gridStart: 24,
    gridEnd: 32,
    upsampleAt: UPSAMPLE_AT,
    alphaMaskAt: ALPHA_MASK_AT,
    visEvery: 0,
    evalViews: 5,
    seed: 1,
  });
  const train = loadTrainPool(cfg);
  const nTest = testViewCount(cfg);
  const ids = evenlySpaced(nTest, cfg.evalViews);
  const test = loadTestViews(cfg, ids);
  const trainer = new Trainer(cfg, { train: train.pool, test, testCount: nTest }, backend);
  const events: TrainEvent[] = [];
  const t0 = performance.now();
  for await (const e of trainer.run()) events.push(e);
  const trainSec = (performance.now() - t0) / 1000;
  const res = await trainer.evaluate(
    ids.map((_, i) => i),
    false,
  );
  return { cfg, trainer, events, res, trainSec, size: [train.width, train.height] };
}

function checkEvents(events: TrainEvent[], decoder: DecoderName, trainer: Trainer): void {
  const first = events[0];
  expect(first.type).toBe('started');
  if (first.type !== 'started') return;
  expect(first.backend).toBe('cpu');
  expect(first.config.decoder).toBe(decoder);
  expect(first.imageSize).toEqual([25, 25]);
  expect(first.trainRays).toBeGreaterThan(0);
  expect(first.trainRays).toBeLessThanOrEqual(20 * 25 * 25);
  const p = first.params;
  expect(p.decoder).toBeGreaterThan(1000);
  expect(p.basis).toBe(3 * 48 * 27);
  expect(p.field).toBeGreaterThan(p.basis);
  expect(p.total).toBe(p.decoder + p.field);
  // the decoder does not change size; the field grew with the grid
  expect(paramCounts(trainer.model).decoder).toBe(p.decoder);
  expect(paramCounts(trainer.model).field).toBeGreaterThan(p.field);
  expect(events.filter((e) => e.type === 'started')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'error')).toEqual([]);

  const steps = events.filter((e) => e.type === 'step');
  expect(steps.map((e) => e.iteration)).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i + 1));
  for (const s of steps) {
    expect(s.total).toBe(ITERATIONS);
    expect(Number.isFinite(s.loss)).toBe(true);
    expect(s.samples).toBeGreaterThan(0);
  }

  // each schedule event follows the step after which its action runs (0-based index a -> step a + 1)
  const sched: { at: number; action: string; iteration: number }[] = [];
  let lastStep = 0;
  for (const e of events) {
    if (e.type === 'step') lastStep = e.iteration;
    if (e.type === 'schedule') sched.push({ at: lastStep, action: e.action, iteration: e.iteration });
  }
  for (const s of sched) expect(s.iteration).toBe(s.at);
  const want = [
    { at: ALPHA_MASK_AT[0] + 1, action: 'alpha-mask' },
    { at: ALPHA_MASK_AT[0] + 1, action: 'shrink' },
    { at: UPSAMPLE_AT[0] + 1, action: 'upsample' },
    { at: ALPHA_MASK_AT[1] + 1, action: 'alpha-mask' },
    { at: ALPHA_MASK_AT[1] + 1, action: 'filter-rays' },
    { at: UPSAMPLE_AT[1] + 1, action: 'upsample' },
  ].sort((a, b) => a.at - b.at);
  expect(sched.map(({ at, action }) => ({ at, action }))).toEqual(want);
}

describe.skipIf(skip)('tiny Lego training per decoder (Trainer, cpu)', () => {
  for (const decoder of ['mlp', 'siren', 'splitnet'] as const) {
    it(`${decoder}: ${ITERATIONS} iterations beat ${THRESHOLDS[decoder]} dB on 5 test views`, async () => {
      const r = await trainTiny(decoder);
      console.log(
        `${decoder}: test PSNR ${r.res.psnr.toFixed(3)} dB, trained ${r.trainSec.toFixed(1)} s, ` +
          `views ${r.res.scores.map((s) => s.psnr.toFixed(2)).join(' ')}`,
      );
      expect(r.size).toEqual([25, 25]);
      checkEvents(r.events, decoder, r.trainer);
      expect(r.trainer.iteration).toBe(ITERATIONS);
      expect(r.res.scores).toHaveLength(5);
      expect(r.res.psnr).toBeGreaterThan(THRESHOLDS[decoder]);
    });
  }
});
