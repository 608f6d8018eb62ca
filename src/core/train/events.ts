/**
 * The event stream of a run: one discriminated union consumed by every front end (the CLI's
 * console and NDJSON printers, metrics.jsonl, the app). Each event's fields are declared once,
 * as checks (../checks.ts): the TypeScript type is derived from the declaration, and the app's
 * protocol validates events with the same declaration (src/protocol/schema.ts).
 *
 * The trainer (trainer.ts) emits started, step, schedule, eval (running), checkpoint and error;
 * the run driver (../run/train-run.ts) adds resumed, evaluating, view, eval (final), stopped and
 * done around it.
 */
import { arr, bool, type Check, type Fields, isObj, fail, num, numOrNaN, oneOf, optional, type Shape, str, typed } from '../checks';
import type { TrainConfig } from '../config';
import type { Box, Vec3 } from '../field/geometry';
import type { ParamCounts } from '../model';

export interface RunSummary {
  decoder: string;
  decoderWidth: number;
  decoderParams: number;
  /** Field (factors and basis) plus decoder parameters at the end, on the final grid (`finalReso`); the `started` event's `params` count the starting grid. */
  finalTotalParams: number;
  preset: string;
  iterations: number;
  backend: string;
  trainSeconds: number;
  testPSNR: number;
  testSSIM: number;
  evalViews: number;
  imageSize: [number, number];
  finalReso: Vec3;
  finalBox: Box;
  seed: number;
}

export const SCHEDULE_ACTIONS = ['decoder-init', 'upsample', 'alpha-mask', 'shrink', 'filter-rays'] as const;
export const STOP_PHASES = ['training', 'evaluation'] as const;

const count = num(0);
const anObject = <T>(what: string): Check<T> =>
  typed<T>((v, at) => {
    if (!isObj(v)) fail(at, what, v);
  });

/** Every event type and its fields (besides `type`). */
export const EVENT_FIELDS = {
  started: {
    config: anObject<TrainConfig>('a training config'),
    backend: str(),
    backendReason: str(),
    params: anObject<ParamCounts>('parameter counts'),
    /** Compute threads of the host kernels (1 on a device backend). */
    threads: count,
    trainRays: count,
    imageSize: typed<[number, number]>(arr(count, 2, 2)),
  },
  /** Continuing a run from its checkpoint (run driver). */
  resumed: { iteration: count, total: count, backend: str(), checkpoint: str() },
  step: {
    /** 1-based count of completed steps. */
    iteration: count,
    total: count,
    loss: numOrNaN,
    mse: numOrNaN,
    trainPSNR: numOrNaN,
    raysPerSecond: numOrNaN,
    /** Wall time of this step (sampling, forward, backward, optimizer). */
    stepSeconds: numOrNaN,
    /** Steps per second over the last steps, paused and evaluation time left out (progress-meter.ts). */
    itsPerSecond: numOrNaN,
    /** Seconds to the end of the run: the remaining steps, then the running and final evaluations still to come. */
    etaSeconds: numOrNaN,
    /** Seconds of training so far. */
    elapsed: count,
    samples: count,
    decoded: count,
  },
  /**
   * A schedule change. `iteration`: the steps done when it ran (as step events count); the
   * schedule's own iteration (--upsample-at, --alpha-mask-at) is one less (schedule.ts scheduleIteration).
   */
  schedule: { iteration: count, action: oneOf(SCHEDULE_ACTIONS), detail: str() },
  /** Test PSNR: running (`final` false, a few views, no SSIM) or the final evaluation's. */
  eval: { iteration: count, testPSNR: numOrNaN, testSSIM: numOrNaN, views: count, final: bool },
  checkpoint: { iteration: count, path: str() },
  /** The final evaluation begins (run driver). */
  evaluating: { iteration: count, views: count },
  /** One test view of the final evaluation, scored and saved (run driver). */
  view: { view: count, name: str(), psnr: numOrNaN, ssim: numOrNaN, file: optional(str()), done: count, total: count },
  /**
   * The run stopped on request; its checkpoint and a partial summary are saved (run driver).
   * `phase` 'evaluation': during the final evaluation (training had finished; resuming evaluates).
   */
  stopped: { iteration: count, checkpoint: str(), phase: optional(oneOf(STOP_PHASES)) },
  done: { summary: anObject<RunSummary>('a run summary') },
  error: { message: str() },
} as const satisfies Record<string, Fields>;

type EventFields = typeof EVENT_FIELDS;
export type TrainEventType = keyof EventFields;
export type TrainEvent = { [K in TrainEventType]: { type: K } & Shape<EventFields[K]> }[TrainEventType];
export type EventOf<K extends TrainEventType> = Extract<TrainEvent, { type: K }>;
export const TRAIN_EVENT_TYPES = Object.keys(EVENT_FIELDS) as TrainEventType[];
