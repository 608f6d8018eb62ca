// "Save checkpoint now" on the Node side: when the request is taken, when it is refused and why,
// and when a paused trainer must run on to the step boundary.
import { describe, expect, it } from 'vitest';
import type { Trainer } from '../../src/core/train/trainer';
import { requestCheckpoint } from '../../src/session/save-checkpoint';

const trainer = (iteration: number, iterations: number) =>
  ({ iteration, cfg: { iterations }, control: { stopRequested: false } }) as unknown as Trainer;

describe('requestCheckpoint', () => {
  it('sets the request while training (no hold to lift) and while paused (the trainer runs on to the boundary)', () => {
    const t = trainer(12, 100);
    expect(requestCheckpoint(t, 'training')).toBe(false);
    expect(t.control.checkpointRequested).toBe(true);
    const p = trainer(12, 100);
    expect(requestCheckpoint(p, 'paused')).toBe(true);
    expect(p.control.checkpointRequested).toBe(true);
  });

  it.each([
    [null, 'idle', 'no training to save: a checkpoint is written while a training runs (and always when it stops or ends)'],
    [null, 'loading', 'no training to save: a checkpoint is written while a training runs (and always when it stops or ends)'],
    [trainer(5, 100), 'done', 'no training to save: a checkpoint is written while a training runs (and always when it stops or ends)'],
    [trainer(5, 100), 'stopping', 'the training is stopping; it saves its checkpoint as it stops'],
    [trainer(100, 100), 'evaluating', 'the final evaluation is running; its checkpoint was saved before it began'],
    [
      trainer(100, 100),
      'paused',
      'the training has reached its last iteration (100); its checkpoint is written as it ends, before the final evaluation',
    ],
  ] as const)('refuses with %#: %s', (t, state, why) => {
    expect(() => requestCheckpoint(t, state)).toThrow(why);
    if (t) expect(t.control.checkpointRequested).toBeUndefined();
  });
});
