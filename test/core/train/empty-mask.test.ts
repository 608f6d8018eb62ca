/**
 * Regression test: an alpha-mask update that finds no occupied cell (as
 * `--alpha-mask-at 1` gives on a freshly initialised field, whose density is softplus(~0 - 10))
 * used to be applied as is: every later sample is masked out, the second update's ray filter keeps 0 of
 * the rays, and the run goes on "training" on empty batches (mse 0, trainPSNR Infinity, 0 rays/s)
 * to a model that renders white, ending as if it had succeeded. Now the trainer stops with a
 * error event that says the alpha mask came out empty, and never yields a step
 * on an empty batch.
 */
import { expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { resolveConfig } from '../../../src/core/config';
import type { TrainEvent } from '../../../src/core/train/events';
import { Trainer } from '../../../src/core/train/trainer';
import { NO_VIEWS, randomPool } from './synthetic';

it('an empty alpha mask stops the run with an error instead of training on no rays', async () => {
  await initBackend('cpu');
  const cfg = resolveConfig({
    preset: 'smoke',
    backend: 'cpu',
    iterations: 5,
    batchSize: 64,
    gridStart: 8,
    gridEnd: 8,
    upsampleAt: [],
    alphaMaskAt: [1, 2],
    densityComps: 2,
    appComps: 3,
    decoderWidth: 8,
    visEvery: 0,
    seed: 3,
  });
  const trainer = new Trainer(cfg, { train: randomPool(256, 1), test: NO_VIEWS, testCount: 0 }, { name: 'cpu', reason: 'test' });
  const events: TrainEvent[] = [];
  for await (const e of trainer.run()) events.push(e);
  // the first update (after step 1) finds nothing: no mask is applied, the run stops there
  expect(events.filter((e) => e.type === 'schedule')).toEqual([]);
  expect(events[events.length - 1].type).toBe('error');
  const steps = events.flatMap((e) => (e.type === 'step' ? [e] : []));
  const emptySteps = steps.filter((s) => !(s.raysPerSecond > 0) || !Number.isFinite(s.trainPSNR));
  expect(
    emptySteps.map((s) => s.iteration),
    'steps on an empty batch',
  ).toEqual([]);
  const error = events.find((e) => e.type === 'error');
  expect(error, 'an error event').toBeDefined();
  expect(error && error.type === 'error' && error.message).toMatch(/alpha-mask update found no occupied cell/);
  // named as --alpha-mask-at names it (the update at 1 runs after step 2)
  expect(error && error.type === 'error' && error.message).toMatch(
    /^iteration 2: .*; the update at 1 comes too early for this run \(--alpha-mask-at 1,2\)/,
  );
  expect(trainer.failed).toBe(true);
});
