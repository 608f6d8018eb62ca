/**
 * What the status fields and buttons show for a session state and the training events (DOM-free).
 */
import { type HistoryPoint, isIdleState, type OpenedModel, type SessionState } from '../protocol/messages';
import type { TrainEvent } from '../core/train/events';
import { MISSING, formatEta, formatIteration, formatLoss, formatPsnr, formatRate } from './format';

export interface StatusFields {
  iteration: string;
  loss: string;
  trainPsnr: string;
  itsPerS: string;
  eta: string;
  backend: string;
  state: string;
  testPsnr: string;
  /** The last checkpoint written: its iteration and the page's clock when the page heard of it. */
  checkpoint: string;
}

export const EMPTY_STATUS: StatusFields = {
  iteration: MISSING,
  loss: MISSING,
  trainPsnr: MISSING,
  itsPerS: MISSING,
  eta: MISSING,
  backend: MISSING,
  state: MISSING,
  testPsnr: MISSING,
  checkpoint: MISSING,
};

/** `iteration N, HH:MM:SS` (the local time `at`). */
export function formatCheckpoint(iteration: number, at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `iteration ${iteration}, ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

/** States in which the Node side holds a model it can render. */
export const MODEL_STATES: readonly SessionState[] = ['training', 'paused', 'stopping', 'evaluating', 'done', 'stopped', 'viewing'];
export const hasModel = (s: SessionState | null): boolean => s !== null && MODEL_STATES.includes(s);
/** States in which the picture follows training. */
export const isLive = (s: SessionState | null): boolean => s === 'training' || s === 'paused';

/** The status fields after one training event (`now`: when it arrived, for the checkpoint's time). */
export function applyEvent(prev: StatusFields, e: TrainEvent, now = new Date()): StatusFields {
  switch (e.type) {
    case 'checkpoint':
      return { ...prev, checkpoint: formatCheckpoint(e.iteration, now) };
    case 'resumed':
      return {
        ...prev,
        backend: e.backend,
        iteration: formatIteration(e.iteration, e.total),
        checkpoint: `resumed from iteration ${e.iteration}`,
      };
    case 'started':
      return {
        ...prev,
        backend: e.backend,
        iteration: formatIteration(0, e.config.iterations),
        loss: MISSING,
        trainPsnr: MISSING,
        itsPerS: MISSING,
        eta: MISSING,
        testPsnr: MISSING,
        checkpoint: MISSING,
      };
    case 'step':
      return {
        ...prev,
        iteration: formatIteration(e.iteration, e.total),
        loss: formatLoss(e.loss),
        trainPsnr: formatPsnr(e.trainPSNR),
        itsPerS: formatRate(e.itsPerSecond),
        eta: formatEta(e.etaSeconds), // the trainer's (core/train/progress-meter.ts): pauses left out, evaluations in
      };
    case 'eval':
      return { ...prev, testPsnr: formatPsnr(e.testPSNR) };
    case 'done':
      return { ...prev, eta: formatEta(0) };
    case 'stopped':
      return { ...prev, eta: MISSING };
    default:
      return prev;
  }
}

/**
 * The status fields on entering a session state: a job starting (loading) shows none of the last
 * one's numbers; a job that stopped, failed or is stopping has no ETA.
 */
export function applyState(prev: StatusFields, state: SessionState): StatusFields {
  if (state === 'loading') return { ...EMPTY_STATUS, state };
  if (state === 'stopping' || state === 'stopped' || state === 'failed') return { ...prev, state, eta: MISSING };
  return { ...prev, state };
}

/**
 * The status fields after a `history` message. With `model` (a run was opened) every field is the
 * opened run's: its checkpoint's iteration, the last train and test PSNR of its curves, its
 * backend, and no loss, rate or ETA (nothing trains). Without (a page connecting mid-run) the last
 * PSNRs of the curves so far; the next step event fills in the rest.
 */
export function applyHistory(prev: StatusFields, points: readonly HistoryPoint[], model?: OpenedModel): StatusFields {
  const last = (key: 'trainPSNR' | 'testPSNR') => {
    for (let i = points.length - 1; i >= 0; i--) if (typeof points[i][key] === 'number') return points[i][key];
    return undefined;
  };
  if (!model) {
    const train = last('trainPSNR');
    return { ...prev, trainPsnr: train === undefined ? prev.trainPsnr : formatPsnr(train), testPsnr: formatPsnr(last('testPSNR')) };
  }
  return {
    ...prev,
    iteration: formatIteration(model.iteration, model.total),
    loss: MISSING,
    trainPsnr: formatPsnr(last('trainPSNR')),
    testPsnr: formatPsnr(last('testPSNR')),
    itsPerS: MISSING,
    eta: MISSING,
    backend: model.backend,
  };
}

export interface ControlStates {
  start: boolean;
  pause: boolean;
  pauseLabel: 'Pause' | 'Resume';
  stop: boolean;
  evaluate: boolean;
  openScene: boolean;
  openRun: boolean;
  snap: boolean;
  resumeRun: boolean;
  saveCheckpoint: boolean;
  record: boolean;
}

/** Which buttons are enabled in a state (null: not connected yet). */
export function controlsFor(s: SessionState | null): ControlStates {
  const idle = s !== null && isIdleState(s);
  return {
    start: idle,
    pause: s === 'training' || s === 'paused',
    pauseLabel: s === 'paused' ? 'Resume' : 'Pause',
    stop: s === 'loading' || s === 'training' || s === 'paused',
    evaluate: s === 'training' || s === 'paused' || s === 'done' || s === 'stopped' || s === 'viewing',
    openScene: idle,
    openRun: idle,
    snap: hasModel(s),
    resumeRun: idle,
    saveCheckpoint: s === 'training' || s === 'paused',
    record: hasModel(s),
  };
}
