/**
 * The benchmark measures steps of a real run (run/measure-steps.ts): steps from+1..from+iters of
 * a trainer built with the run's own iterations are the steps of the uninterrupted run (same
 * losses: the learning-rate decay and the schedule are the real ones), also when the trainer
 * starts from a saved state, and the trainer stops right after them. cpu backend, synthetic rays.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { resolveConfig } from '../../../src/core/config';
import { ConfigError } from '../../../src/core/errors';
import { measureSteps } from '../../../src/core/run/measure-steps';
import { HOST_PHASES } from '../../../src/core/train/phase-timer';
import { Trainer } from '../../../src/core/train/trainer';
import { NO_VIEWS, randomPool } from '../train/synthetic';

const cfg = resolveConfig({
  preset: 'smoke',
  backend: 'cpu',
  gridStart: 8,
  gridEnd: 10,
  upsampleAt: [3],
  alphaMaskAt: [],
  densityComps: 2,
  appComps: 3,
  batchSize: 48,
  iterations: 7,
  visEvery: 0,
  seed: 11,
});
const pool = randomPool(96, 4);
const trainer = () => new Trainer(cfg, { train: pool, test: NO_VIEWS, testCount: 0 }, { name: 'cpu', reason: 'test' });

beforeAll(async () => {
  await initBackend('cpu');
});

async function losses(t: Trainer, until = Infinity): Promise<number[]> {
  const out: number[] = [];
  for await (const e of t.run()) {
    if (e.type !== 'step') continue;
    out[e.iteration] = e.loss;
    if (e.iteration === until) break;
  }
  return out;
}

describe('measureSteps', () => {
  it('measures steps A+1..A+N of the real run (the same losses as the uninterrupted run) and stops there', async () => {
    const full = await losses(trainer());
    expect(full.length).toBe(cfg.iterations + 1);

    const t = trainer();
    const seen: number[] = [];
    const m = await measureSteps(t, {
      from: 2,
      iters: 3,
      syncPhases: false,
      onEvent: (e) => {
        if (e.type === 'step') seen[e.iteration] = e.loss;
      },
    });
    expect(t.iteration).toBe(5);
    expect(t.cfg.iterations).toBe(cfg.iterations);
    expect(m.steps.map((s) => s.iteration)).toEqual([3, 4, 5]);
    for (let i = 1; i <= 5; i++) expect(seen[i]).toBe(full[i]);
    expect(m.phaseTiming).toBe('host');
    expect(m.grid).toEqual(t.model.field.reso); // after the upsample at 3
    for (const s of m.steps) {
      expect(Object.keys(s.phases)).toEqual([...HOST_PHASES]);
      expect([s.up, s.down, s.uniform]).toEqual([0, 0, 0]);
      expect(s.ms).toBeGreaterThan(0);
    }
    expect(t.timer).toBeNull();

    // from a saved state (as --checkpoint restores one): the same steps again
    const first = trainer();
    await losses(first, 3);
    const resumed = trainer();
    resumed.restore(first.state());
    const again: number[] = [];
    const m2 = await measureSteps(resumed, {
      from: 4,
      iters: 2,
      syncPhases: true,
      onEvent: (e) => {
        if (e.type === 'step') again[e.iteration] = e.loss;
      },
    });
    expect(m2.steps.map((s) => s.iteration)).toEqual([5, 6]);
    for (let i = 4; i <= 6; i++) expect(again[i]).toBe(full[i]);
    expect(m2.phaseTiming).toBe('host'); // nothing to sync on the host path
  });

  it('refuses steps before the start or past the end of the run', async () => {
    const t = trainer();
    await expect(measureSteps(t, { from: 6, iters: 2, syncPhases: false })).rejects.toThrow(ConfigError);
    await losses(t, 2);
    await expect(measureSteps(t, { from: 1, iters: 1, syncPhases: false })).rejects.toThrow(/starts at iteration 2/);
  });
});
