/**
 * The app's "Save checkpoint now": the running training writes its checkpoint at the next step
 * boundary, where the periodic one is written (the trainer calls the run driver's checkpoint
 * hook, which writes atomically and clears the request; a `checkpoint` event tells the pages).
 * While paused the trainer runs on to that boundary (the rest of the current step's schedule
 * changes, no further step) and holds again. Refused, with the reason, when nothing trains.
 */
import type { Trainer } from '../core/train/trainer';
import type { SessionState } from '../protocol/messages';
import { HostError } from './views';

/** Sets the trainer's request; returns whether the host must let a paused trainer run on to the boundary. */
export function requestCheckpoint(trainer: Trainer | null, state: SessionState): boolean {
  if (state === 'evaluating') throw new HostError('the final evaluation is running; its checkpoint was saved before it began');
  if (state === 'stopping') throw new HostError('the training is stopping; it saves its checkpoint as it stops');
  if (!trainer || (state !== 'training' && state !== 'paused'))
    throw new HostError('no training to save: a checkpoint is written while a training runs (and always when it stops or ends)');
  // the loop is over (the final evaluation, perhaps paused): its checkpoint is written, or about to be, as training ends
  if (trainer.iteration >= trainer.cfg.iterations)
    throw new HostError(
      `the training has reached its last iteration (${trainer.iteration}); its checkpoint is written as it ends, before the final evaluation`,
    );
  trainer.control.checkpointRequested = true;
  return state === 'paused';
}
