/**
 * measureSteps on webgpu (lavapipe where there is no GPU): the device path's phases, dispatch
 * timing by default and device timing with syncPhases, and byte counts that leave the syncs'
 * own readbacks out: per step exactly 16 bytes come down (the decoded-sample count, 4 bytes, and
 * loss, MSE and the sample count, 12), and at least the batch's indices and jitter go up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/core/config';
import { measureSteps } from '../../../src/core/run/measure-steps';
import { DEVICE_PHASES } from '../../../src/core/train/phase-timer';
import { Trainer } from '../../../src/core/train/trainer';
import { NO_VIEWS, randomPool } from '../train/synthetic';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';

const B = 48;
const cfg = resolveConfig({
  preset: 'smoke',
  backend: 'webgpu',
  gridStart: 8,
  gridEnd: 8,
  upsampleAt: [],
  alphaMaskAt: [],
  densityComps: 2,
  appComps: 3,
  batchSize: B,
  iterations: 6,
  visEvery: 0,
  seed: 2,
});

let s: WebgpuSession;
beforeAll(async () => {
  s = await startWebgpu();
});
afterAll(async () => {
  await stopWebgpu();
});

describe('measureSteps on webgpu', () => {
  for (const syncPhases of [false, true]) {
    it(`${syncPhases ? 'synced' : 'unsynced'} phases; 16 bytes down per step, the syncs not counted`, async (ctx) => {
      requireWebgpu(s, ctx);
      const t = new Trainer(cfg, { train: randomPool(2 * B, 3), test: NO_VIEWS, testCount: 0 }, { name: 'webgpu', reason: 'test' });
      try {
        const m = await measureSteps(t, { from: 1, iters: 2, syncPhases });
        expect(m.phaseTiming).toBe(syncPhases ? 'device' : 'dispatch');
        expect(m.transferCounting).toMatch(/getMappedRange/);
        for (const step of m.steps) {
          expect(Object.keys(step.phases)).toEqual([...DEVICE_PHASES]);
          expect(step.down).toBe(16);
          expect(step.uniform).toBeGreaterThan(0);
          expect(step.up - step.uniform).toBeGreaterThanOrEqual(2 * B * 4); // int32 indices and float32 jitter
        }
      } finally {
        t.path.dispose();
      }
    });
  }
});
