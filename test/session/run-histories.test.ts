import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../src/core/config';
import type { TrainEvent } from '../../src/core/train/events';
import { RunHistories } from '../../src/session/run-histories';

const started = (out: string): TrainEvent => ({
  type: 'started',
  config: { ...PRESETS.smoke, out },
  backend: 'cpu',
  backendReason: '',
  params: {} as never,
  threads: 1,
  trainRays: 1,
  imageSize: [50, 50],
});
const step = (iteration: number, trainPSNR: number): TrainEvent => ({
  type: 'step',
  iteration,
  total: 10,
  loss: 0.1,
  mse: 0.1,
  trainPSNR,
  raysPerSecond: 1,
  stepSeconds: 1,
  itsPerSecond: 1,
  etaSeconds: 1,
  elapsed: 1,
  samples: 1,
  decoded: 1,
});
const finalEval = (iteration: number, testPSNR: number): TrainEvent => ({
  type: 'eval',
  iteration,
  testPSNR,
  testSSIM: 0.8,
  views: 20,
  final: true,
});

describe('RunHistories', () => {
  it("keeps every comparison entry's curves for a page that connects later", () => {
    const h = new RunHistories();
    h.compare('runs/compare-1');
    h.event({ type: 'event', event: started('runs/compare-1/mlp'), entry: 'mlp' });
    h.event({ type: 'event', event: step(1, 10), entry: 'mlp' });
    h.event({ type: 'event', event: finalEval(1, 11), entry: 'mlp' });
    h.event({ type: 'event', event: started('runs/compare-1/siren'), entry: 'siren' });
    h.event({ type: 'event', event: step(1, 12), entry: 'siren' });
    expect(h.messages()).toEqual([
      {
        type: 'history',
        run: 'runs/compare-1/mlp',
        entry: 'mlp',
        points: [
          { iteration: 1, trainPSNR: 10, loss: 0.1 },
          { iteration: 1, testPSNR: 11, final: true, views: 20 },
        ],
      },
      { type: 'history', run: 'runs/compare-1/siren', entry: 'siren', points: [{ iteration: 1, trainPSNR: 12, loss: 0.1 }] },
    ]);
    // another comparison forgets them; a single training replaces everything
    h.compare('runs/compare-2');
    expect(h.messages()).toEqual([]);
    h.event({ type: 'event', event: started('runs/compare-2/mlp'), entry: 'mlp' });
    h.event({ type: 'event', event: step(1, 9), entry: 'mlp' });
    h.event({ type: 'event', event: started('runs/a') });
    h.event({ type: 'event', event: step(1, 13) });
    expect(h.messages().map((m) => [m.run, m.entry])).toEqual([['runs/a', undefined]]);
  });

  it("an opened run's history replaces the curves and keeps its model for the status", () => {
    const h = new RunHistories();
    h.event({ type: 'event', event: started('runs/a') });
    h.event({ type: 'event', event: step(1, 13) });
    const opened = { iteration: 5, total: 10, backend: 'cpu' };
    h.history({ type: 'history', run: 'runs/b', points: [], opened });
    expect(h.messages()).toEqual([{ type: 'history', run: 'runs/b', points: [], opened }]);
  });
});
