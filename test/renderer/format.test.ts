import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../src/core/config';
import type { TrainEvent } from '../../src/core/train/events';
import { formatCount, formatEta, formatLoss, formatPsnr, formatRate, formatSeconds, formatSsim, MISSING } from '../../src/renderer/format';
import {
  applyEvent,
  applyHistory,
  applyState,
  controlsFor,
  EMPTY_STATUS,
  formatCheckpoint,
  hasModel,
  isLive,
} from '../../src/renderer/status';

describe('formatting', () => {
  it('formats an ETA as m:ss', () => {
    expect(formatEta(0)).toBe('0:00');
    expect(formatEta(9.4)).toBe('0:09');
    expect(formatEta(59.6)).toBe('1:00');
    expect(formatEta(754)).toBe('12:34');
    expect(formatEta(4503)).toBe('75:03');
    expect(formatEta(NaN)).toBe(MISSING);
    expect(formatEta(null)).toBe(MISSING);
  });

  it('formats PSNR, loss and rate', () => {
    expect(formatPsnr(31.4159)).toBe('31.42');
    expect(formatPsnr(null)).toBe(MISSING);
    expect(formatLoss(0.01234567)).toBe('0.0123');
    expect(formatLoss(0.000123)).toBe('1.23e-4');
    expect(formatLoss(0)).toBe('0.0000');
    expect(formatRate(3.14)).toBe('3.1');
    expect(formatRate(123.4)).toBe('123');
  });

  it('formats SSIM, counts and seconds for the compare table', () => {
    expect(formatSsim(0.816549)).toBe('0.8165');
    expect(formatSsim(1)).toBe('1.0000');
    expect(formatSsim(null)).toBe(MISSING);
    expect(formatCount(36227)).toBe('36,227');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(0)).toBe('0');
    expect(formatCount(-1234)).toBe('-1,234');
    expect(formatCount(null)).toBe(MISSING);
    expect(formatSeconds(78.46)).toBe('78.5');
    expect(formatSeconds(0)).toBe('0.0');
    expect(formatSeconds(-1)).toBe(MISSING);
    expect(formatSeconds(NaN)).toBe(MISSING);
  });
});

const step = (iteration: number, extra: Partial<Extract<TrainEvent, { type: 'step' }>> = {}): TrainEvent => ({
  type: 'step',
  iteration,
  total: 100,
  loss: 0.02,
  mse: 0.02,
  trainPSNR: 17.5,
  raysPerSecond: 1000,
  stepSeconds: 0.5,
  itsPerSecond: 2,
  etaSeconds: 31.5,
  elapsed: 20,
  samples: 1,
  decoded: 1,
  ...extra,
});

describe('status fields', () => {
  it('shows a step as iteration, loss, PSNR, rate and ETA', () => {
    const s = applyEvent(EMPTY_STATUS, step(37));
    expect(s).toMatchObject({ iteration: '37 / 100', loss: '0.0200', trainPsnr: '17.50', itsPerS: '2.0', eta: '0:32', testPsnr: MISSING });
  });

  it("shows the event's own ETA (the trainer's, which leaves pauses out and counts the final evaluation), not steps / rate", () => {
    expect(applyEvent(EMPTY_STATUS, step(37, { itsPerSecond: 2, etaSeconds: 95 })).eta).toBe('1:35');
    expect(applyEvent(EMPTY_STATUS, step(1, { etaSeconds: NaN })).eta).toBe(MISSING);
  });

  it('takes the backend from started and the test PSNR from every eval', () => {
    let s = applyEvent(EMPTY_STATUS, {
      type: 'started',
      config: PRESETS.smoke,
      backend: 'cpu',
      backendReason: '',
      params: {} as never,
      threads: 1,
      trainRays: 1,
      imageSize: [50, 50],
    });
    expect(s.backend).toBe('cpu');
    expect(s.iteration).toBe('0 / 100');
    s = applyEvent(s, { type: 'eval', iteration: 50, testPSNR: 18.123, testSSIM: NaN, views: 3, final: false });
    expect(s.testPsnr).toBe('18.12');
    s = applyEvent(s, { type: 'eval', iteration: 100, testPSNR: 21.5, testSSIM: 0.8, views: 20, final: true });
    expect(s.testPsnr).toBe('21.50');
  });

  it('enables buttons by state', () => {
    expect(controlsFor(null)).toMatchObject({ start: false, pause: false, stop: false, openScene: false });
    expect(controlsFor('idle')).toMatchObject({ start: true, pause: false, stop: false, evaluate: false, openRun: true, snap: false });
    expect(controlsFor('training')).toMatchObject({
      start: false,
      pause: true,
      pauseLabel: 'Pause',
      stop: true,
      evaluate: true,
      snap: true,
    });
    expect(controlsFor('paused')).toMatchObject({ pause: true, pauseLabel: 'Resume', stop: true });
    expect(controlsFor('done')).toMatchObject({ start: true, pause: false, stop: false, evaluate: true, snap: true });
  });

  it('shows when the last checkpoint was written: its iteration and the time it arrived; a new run clears it', () => {
    const at = new Date(2026, 11, 2, 5, 7, 9);
    let s = applyEvent(EMPTY_STATUS, { type: 'checkpoint', iteration: 250, path: 'runs/x/checkpoint.trf' }, at);
    expect(s.checkpoint).toBe('iteration 250, 05:07:09');
    s = applyEvent(s, step(251));
    expect(s.checkpoint).toBe('iteration 250, 05:07:09');
    s = applyEvent(s, {
      type: 'started',
      config: PRESETS.smoke,
      backend: 'cpu',
      backendReason: '',
      params: {} as never,
      threads: 1,
      trainRays: 1,
      imageSize: [50, 50],
    });
    expect(s.checkpoint).toBe(MISSING);
    expect(applyState(s, 'loading').checkpoint).toBe(MISSING);
    expect(formatCheckpoint(7, new Date(2026, 0, 1, 23, 59, 0))).toBe('iteration 7, 23:59:00');
  });

  it('a resumed run shows its checkpoint iteration, total and backend at once', () => {
    const s = applyEvent(EMPTY_STATUS, { type: 'resumed', iteration: 40, total: 100, backend: 'cpu', checkpoint: 'runs/x/checkpoint.trf' });
    expect(s).toMatchObject({ iteration: '40 / 100', backend: 'cpu', checkpoint: 'resumed from iteration 40' });
  });

  it('offers Resume when idle, Save checkpoint while a training runs, Record when there is a model', () => {
    expect(controlsFor('idle')).toMatchObject({ resumeRun: true, saveCheckpoint: false, record: false });
    expect(controlsFor('training')).toMatchObject({ resumeRun: false, saveCheckpoint: true, record: true });
    expect(controlsFor('paused')).toMatchObject({ resumeRun: false, saveCheckpoint: true, record: true });
    expect(controlsFor('evaluating')).toMatchObject({ resumeRun: false, saveCheckpoint: false, record: true });
    expect(controlsFor('stopped')).toMatchObject({ resumeRun: true, saveCheckpoint: false, record: true });
    expect(controlsFor('viewing')).toMatchObject({ resumeRun: true, saveCheckpoint: false, record: true });
    expect(controlsFor(null)).toMatchObject({ resumeRun: false, saveCheckpoint: false, record: false });
  });

  it('knows which states have a model and which follow training', () => {
    expect(['idle', 'loading', 'failed'].map((s) => hasModel(s as never))).toEqual([false, false, false]);
    expect(['training', 'viewing', 'done', 'stopped'].every((s) => hasModel(s as never))).toBe(true);
    expect(['training', 'paused', 'done'].map((s) => isLive(s as never))).toEqual([true, true, false]);
  });

  it("shows an opened run's own numbers, none of the last training's", () => {
    const trained = applyEvent(EMPTY_STATUS, step(37, { itsPerSecond: 2, etaSeconds: 95 }));
    const points = [
      { iteration: 10, trainPSNR: 15 },
      { iteration: 20, trainPSNR: 16.25 },
      { iteration: 20, testPSNR: 14.5 },
    ];
    const s = applyHistory(trained, points, { iteration: 20, total: 30, backend: 'cpu' });
    expect(s).toMatchObject({
      iteration: '20 / 30',
      loss: MISSING,
      trainPsnr: '16.25',
      testPsnr: '14.50',
      itsPerS: MISSING,
      eta: MISSING,
      backend: 'cpu',
    });
    // a run without curves: nothing left over either
    expect(applyHistory(trained, [], { iteration: 5, total: 5, backend: 'webgpu' })).toMatchObject({
      trainPsnr: MISSING,
      testPsnr: MISSING,
    });
    // connecting mid-run: the curves' PSNRs, the step fields wait for the next step
    expect(applyHistory(EMPTY_STATUS, points)).toMatchObject({ iteration: MISSING, trainPsnr: '16.25', testPsnr: '14.50' });
  });

  it("shows none of the last run's numbers while a new one loads, and no ETA once stopping, stopped or failed", () => {
    const trained = applyEvent(applyEvent(EMPTY_STATUS, step(37, { etaSeconds: 95 })), {
      type: 'eval',
      iteration: 30,
      testPSNR: 18,
      testSSIM: NaN,
      views: 3,
      final: false,
    });
    const loading = applyState(trained, 'loading');
    expect({ ...loading, state: MISSING }).toEqual(EMPTY_STATUS);
    expect(loading.state).toBe('loading');
    for (const s of ['stopping', 'stopped', 'failed'] as const) {
      const after = applyState(trained, s);
      expect(after).toMatchObject({ state: s, eta: MISSING, iteration: '37 / 100', trainPsnr: '17.50' });
    }
    expect(applyEvent(trained, { type: 'stopped', iteration: 37, checkpoint: 'c' }).eta).toBe(MISSING);
    expect(applyState(trained, 'paused').eta).toBe('1:35'); // a pause keeps it (the trainer leaves paused time out)
  });
});
