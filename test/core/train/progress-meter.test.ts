/**
 * it/s and ETA (src/core/train/progress-meter.ts) on a fake clock. They used to be the steps of a
 * 5-second wall-clock window: right after a 9 s pause in the app a run of 1 it/s showed 0.2 it/s
 * and an ETA five times too long, the ETA swung at every window reset, and it left out the final
 * evaluation. Now time the consumer holds the stream is left out, the rate is over the last
 * RATE_WINDOW steps, and the views still to be evaluated are added at the running evaluation's
 * seconds per view.
 */
import { describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../../src/core/train/events';
import { ProgressMeter, RATE_WINDOW, runningViewsToCome } from '../../../src/core/train/progress-meter';
import { Trainer } from '../../../src/core/train/trainer';
import type { TrainPath } from '../../../src/core/train/train-path';
import { NO_VIEWS, randomPool, tinyConfig } from './synthetic';

function fakeClock() {
  let now = 1000;
  return { clock: () => now, advance: (ms: number) => (now += ms) };
}

const NONE = { running: 0, final: 0 };

describe('ProgressMeter', () => {
  it('leaves held time (a pause) out of it/s and ETA', () => {
    const c = fakeClock();
    const m = new ProgressMeter(c.clock);
    m.start(0);
    for (let i = 1; i <= 10; i++) {
      c.advance(1000); // a step of 1 s
      m.step(i);
      if (i === 5) {
        c.advance(9000); // the consumer holds the stream 9 s
        m.held(9000);
      }
    }
    expect(m.itsPerSecond).toBeCloseTo(1, 12);
    expect(m.etaSeconds(10, 100, NONE)).toBeCloseTo(90, 9);
  });

  it('is NaN before the first step', () => {
    const m = new ProgressMeter(fakeClock().clock);
    m.start(0);
    expect(m.itsPerSecond).toBeNaN();
    expect(m.etaSeconds(0, 100, NONE)).toBeNaN();
  });

  it('is over the last RATE_WINDOW steps: one slow step moves it a little, a lasting change is followed', () => {
    const c = fakeClock();
    const m = new ProgressMeter(c.clock);
    m.start(0);
    let i = 0;
    const steps = (n: number, ms: number) => {
      for (let k = 0; k < n; k++) {
        c.advance(ms);
        m.step(++i);
      }
    };
    steps(30, 500);
    expect(m.itsPerSecond).toBeCloseTo(2, 12);
    steps(1, 2500); // one slow step (a checkpoint, an upsampling)
    expect(m.itsPerSecond).toBeCloseTo(RATE_WINDOW / ((RATE_WINDOW - 1) * 0.5 + 2.5), 12);
    steps(RATE_WINDOW, 1000); // steps now cost 1 s (a larger grid)
    expect(m.itsPerSecond).toBeCloseTo(1, 12);
  });

  it('times running evaluations apart and adds the views to come to the ETA', () => {
    const c = fakeClock();
    const m = new ProgressMeter(c.clock);
    m.start(0);
    for (let i = 1; i <= 10; i++) {
      c.advance(1000);
      m.step(i);
    }
    expect(m.etaSeconds(10, 100, { running: 6, final: 20 })).toBeCloseTo(90, 9); // no evaluation timed yet
    c.advance(6000); // a running evaluation: 3 views in 6 s
    m.evaluated(6000, 3);
    c.advance(1000);
    m.step(11);
    expect(m.itsPerSecond).toBeCloseTo(1, 12); // the evaluation does not lower the step rate
    // 89 steps at 1 it/s, then 6 running and 20 final views at 2 s each
    expect(m.etaSeconds(11, 100, { running: 6, final: 20 })).toBeCloseTo(89 + 26 * 2, 9);
  });

  it('counts the running-evaluation views after a step as Trainer.run evaluates them', () => {
    // every 25th step before the last of 100: after 25, 50, 75
    expect(runningViewsToCome(0, 100, 25, 3)).toBe(9);
    expect(runningViewsToCome(25, 100, 25, 3)).toBe(6); // the one after step 25 has just run
    expect(runningViewsToCome(76, 100, 25, 3)).toBe(0);
    expect(runningViewsToCome(10, 100, 30, 2)).toBe(6); // after 30, 60, 90
    expect(runningViewsToCome(0, 100, 0, 3)).toBe(0);
  });
});

describe('Trainer.run: the step events carry the meter', () => {
  it('a consumer holding an event for 9 s (the app paused) does not change it/s or ETA', async () => {
    const c = fakeClock();
    const path: TrainPath = {
      name: 'host',
      step: async () => {
        c.advance(1000); // every step takes 1 s
        return { loss: 0.1, mse: 0.1, samples: 1, decoded: 1 };
      },
      syncToHost: async () => {},
      invalidate: () => {},
      deviceParams: () => null,
      dispose: () => {},
    };
    const cfg = tinyConfig({ iterations: 12 });
    const trainer = new Trainer(
      cfg,
      { train: randomPool(256, 1), test: NO_VIEWS, testCount: 0 },
      { name: 'cpu', reason: 'test' },
      undefined,
      path,
    );
    trainer.clock = c.clock;
    const steps: Extract<TrainEvent, { type: 'step' }>[] = [];
    for await (const e of trainer.run()) {
      if (e.type !== 'step') continue;
      steps.push(e);
      if (e.iteration === 4) c.advance(9000); // paused 9 s while holding this event
    }
    expect(steps.map((s) => s.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const s of steps) {
      expect(s.itsPerSecond, `step ${s.iteration}`).toBeCloseTo(1, 9);
      expect(s.etaSeconds, `step ${s.iteration}`).toBeCloseTo(12 - s.iteration, 9);
    }
  });
});
