/**
 * The run driver every front end shares (`train:lego`, `compare`, the app): trains one run into a
 * run folder and emits every event of the run itself. Around the trainer's stream it adds
 * `resumed`, the checkpoint at the end, `evaluating`, one `view` per evaluated test view (render
 * saved, renders/index.json rewritten), the final `eval`, and `stopped` or `done`; the run folder's metrics.jsonl is written by
 * a subscriber (metrics-log.ts). Front ends only subscribe (`onEvent`): the CLI prints progress or
 * NDJSON, the app forwards events to its pages.
 *
 * With `resume` the trainer continues from a checkpoint: metrics.jsonl is first cut back to that
 * checkpoint, and a checkpoint that has reached the configured iterations (a run stopped during its
 * final evaluation) is only evaluated. A stop request (trainer.control.stopRequested) ends training
 * after the current iteration, or the final evaluation after the current view: either way the
 * checkpoint is saved, a partial summary written and `stopped` emitted. A failed write of an
 * output (full disk, I/O error) stops with an OutputWriteError; files written before stay as they
 * were (every file is replaced atomically). The run folder's lock is released when the run ends.
 */
import { resolve } from 'node:path';
import { positionsOf } from '../data/view-set';
import type { TrainConfig } from '../config';
import { NonFiniteStateError, OutputWriteError } from '../errors';
import { useThreads } from '../parallel/threads';
import { CHECKPOINT_FILE, describeWriteError, type RunFolder } from '../io/run-folder';
import { isOutOfMemory } from '../train/oom';
import type { TrainEvent } from '../train/events';
import { Trainer } from '../train/trainer';
import { restoreTrainer, saveTrainer, type TrainerCheckpoint } from '../train/trainer-checkpoint';
import { metricsLog, truncateToCheckpoint } from './metrics-log';
import type { RunData } from './scene-data';
import { saveViewRender, writeRendersIndex } from './view-renders';
import type { ViewScore } from '../eval/evaluate';

export type Outcome = 'complete' | 'failed' | 'stopped';

export interface RunOptions {
  /** Called with the trainer before it starts (signal handlers and stop buttons stop it through trainer.control). */
  onTrainer?: (t: Trainer) => void;
  /**
   * Awaited after every event, while the trainer is suspended between steps: the app forwards the
   * event, serves render requests and holds here while paused.
   */
  onEvent?: (e: TrainEvent, t: Trainer) => void | Promise<void>;
  /** Continue from this checkpoint (read with readTrainerCheckpoint) instead of starting afresh. */
  resume?: TrainerCheckpoint;
}

export async function trainRun(
  cfg: TrainConfig,
  run: RunFolder,
  data: RunData,
  backend: { name: string; reason: string },
  o: RunOptions = {},
): Promise<Outcome> {
  const saved = { iteration: o.resume ? o.resume.meta.iteration : -1 };
  try {
    return await drive(cfg, run, data, backend, o, saved);
  } catch (e) {
    const why = describeWriteError(e);
    if (why === null) throw e;
    const kept = saved.iteration >= 0 ? `${CHECKPOINT_FILE} (iteration ${saved.iteration})` : 'nothing (no checkpoint yet)';
    throw new OutputWriteError(`${why}; the files written before are intact, checkpoint: ${kept}`);
  } finally {
    run.close();
  }
}

/** Thrown out of the final evaluation's view callback when a stop is requested. */
class EvaluationStopped extends Error {}

async function drive(
  cfg: TrainConfig,
  run: RunFolder,
  data: RunData,
  backend: { name: string; reason: string },
  o: RunOptions,
  saved: { iteration: number },
): Promise<Outcome> {
  if (backend.name === 'cpu') await useThreads(cfg.threads);
  const trainer = new Trainer(cfg, { train: data.train, test: data.test, testCount: data.testCount }, backend);
  try {
    return await driveTrainer(trainer, cfg, run, data, backend, o, saved);
  } finally {
    await trainer.release(); // the model's host arrays hold the final state; device memory is freed
  }
}

async function driveTrainer(
  trainer: Trainer,
  cfg: TrainConfig,
  run: RunFolder,
  data: RunData,
  backend: { name: string },
  o: RunOptions,
  saved: { iteration: number },
): Promise<Outcome> {
  const log = metricsLog(run);
  const emit = async (e: TrainEvent) => {
    log(e);
    await o.onEvent?.(e, trainer);
  };
  const ckpt = run.path(CHECKPOINT_FILE);
  if (o.resume) {
    restoreTrainer(trainer, o.resume);
    truncateToCheckpoint(run.path('metrics.jsonl'), o.resume.meta.iteration);
    await emit({ type: 'resumed', iteration: trainer.iteration, total: cfg.iterations, backend: backend.name, checkpoint: o.resume.path });
  }
  o.onTrainer?.(trainer);
  // resumed at the end (a stop during the final evaluation): the checkpoint on disk is this state
  const resumedAtEnd = o.resume !== undefined && resolve(o.resume.path) === resolve(ckpt) && o.resume.meta.iteration >= cfg.iterations;
  const save = (t: Trainer) => {
    saveTrainer(ckpt, t);
    t.control.checkpointRequested = false; // a requested checkpoint (the app's save button) is this one
    saved.iteration = t.iteration;
    return ckpt;
  };
  const keptNote = () =>
    saved.iteration >= 0 ? `; kept the last good checkpoint ${ckpt} (iteration ${saved.iteration})` : '; no checkpoint was written';
  const fail = async (message: string): Promise<Outcome> => {
    const full = `${message}${keptNote()}`;
    run.writeJson('summary.json', {
      ...trainer.summary(NaN, NaN, 0),
      complete: false,
      error: message,
      checkpointIteration: saved.iteration >= 0 ? saved.iteration : null,
    });
    await emit({ type: 'error', message: full });
    return 'failed';
  };

  for await (const e of trainer.run({ checkpoint: save })) {
    if (e.type === 'error') return fail(e.message);
    await emit(e);
  }
  if (!resumedAtEnd) {
    try {
      await trainer.syncHost();
      save(trainer);
    } catch (e) {
      if (e instanceof NonFiniteStateError) return fail(e.message);
      throw e;
    }
    await emit({ type: 'checkpoint', iteration: trainer.iteration, path: ckpt });
  }
  const stopped = async (phase: 'training' | 'evaluation', extra: Record<string, unknown> = {}): Promise<Outcome> => {
    run.writeJson('summary.json', { ...trainer.summary(NaN, NaN, 0), complete: false, stoppedAt: trainer.iteration, ...extra });
    await emit({ type: 'stopped', iteration: trainer.iteration, checkpoint: ckpt, phase });
    return 'stopped';
  };
  if (trainer.control.stopRequested) return stopped('training');

  const total = data.evalIds.length;
  await emit({ type: 'evaluating', iteration: trainer.iteration, views: total });
  let done = 0;
  const scores: ViewScore[] = [];
  let res: Awaited<ReturnType<Trainer['evaluate']>>;
  try {
    res = await trainer.evaluate(positionsOf(data.test, data.evalIds), true, async (score, render, pos) => {
      const file = saveViewRender(run.path('renders'), data.test, pos, render.rgb, score.psnr);
      scores.push(score);
      writeRendersIndex(run.path('renders'), trainer.iteration, scores, scores.length === total);
      await emit({ type: 'view', ...score, file, done: ++done, total });
      // let signal handlers and stop buttons in between views, as between training steps
      await new Promise((r) => setImmediate(r));
      if (trainer.control.stopRequested && done < total) throw new EvaluationStopped();
    });
  } catch (e) {
    if (e instanceof EvaluationStopped)
      return stopped('evaluation', { stoppedDuring: 'evaluation', viewsEvaluated: done, viewsToEvaluate: total });
    if (!isOutOfMemory(e)) throw e;
    return fail(`final evaluation: ${trainer.oomMessage(trainer.iteration)}`);
  }
  await emit({ type: 'eval', iteration: trainer.iteration, testPSNR: res.psnr, testSSIM: res.ssim, views: res.scores.length, final: true });
  const summary = trainer.summary(res.psnr, res.ssim, res.scores.length);
  run.writeJson('summary.json', { ...summary, complete: true });
  await emit({ type: 'done', summary });
  return 'complete';
}
