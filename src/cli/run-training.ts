/**
 * One training run into a run folder, shared by `train:lego` and `compare`: consume the trainer's
 * event stream (progress on stderr, NDJSON on stdout with `json`, metrics.jsonl), save a
 * checkpoint every cfg.checkpointEvery iterations and at the end, evaluate the test views with
 * renders, and write summary.json. With `resume` the trainer continues from a checkpoint. A
 * failed write of an output (full disk, I/O error) stops with an OutputWriteError; files written
 * before stay as they were (every file is replaced atomically).
 */
import { evenlySpaced } from '../core/data/nerf-synthetic';
import type { RayPool } from '../core/data/ray-pool';
import { loadTestViews, loadTrainPool, testViewCount } from '../core/data/scene';
import { positionsOf, type ViewSet } from '../core/eval/evaluate';
import type { TrainConfig } from '../core/config';
import { NonFiniteStateError, restoreTrainer, saveTrainer, type TrainerCheckpoint } from '../core/io/model-checkpoint';
import { CHECKPOINT_FILE, describeWriteError, OutputWriteError, type RunFolder } from '../core/io/run-folder';
import { isOutOfMemory } from '../core/train/oom';
import type { TrainEvent } from '../core/train/events';
import { Trainer, visViewIds } from '../core/train/trainer';
import { Progress } from './progress';
import { saveViewRender } from './renders';

export interface RunData {
  train: RayPool;
  test: ViewSet;
  testCount: number;
  evalIds: number[];
}

/** Training rays and the test views the run evaluates (final views and running-PSNR views). */
export function loadRunData(cfg: TrainConfig, say: (line: string) => void): RunData {
  say(`loading ${cfg.data} (downscale ${cfg.downscale}) ...`);
  const train = loadTrainPool(cfg);
  const nTest = testViewCount(cfg);
  const evalIds = cfg.evalViews > 0 ? evenlySpaced(nTest, cfg.evalViews) : Array.from({ length: nTest }, (_, i) => i);
  const ids = [...new Set([...evalIds, ...(cfg.visEvery > 0 ? visViewIds(nTest, cfg) : [])])].sort((a, b) => a - b);
  const test = loadTestViews(cfg, ids);
  say(`data: ${train.pool.count} training rays (${train.width}x${train.height}), ${ids.length} test views`);
  return { train: train.pool, test, testCount: nTest, evalIds };
}

export type Outcome = 'complete' | 'failed' | 'stopped';

export interface RunOptions {
  json: boolean;
  say: (line: string) => void;
  /** Called with the trainer before it starts (signal handlers stop it through trainer.control). */
  onTrainer?: (t: Trainer) => void;
  /**
   * Awaited after every event, while the trainer is suspended between steps: the app forwards the
   * event, serves render requests and holds here while paused.
   */
  onEvent?: (e: TrainEvent, t: Trainer) => Promise<void>;
  /** false: no progress bars on stderr (the app shows its own). Default true. */
  progress?: boolean;
  /** Continue from this checkpoint (read with readTrainerCheckpoint) instead of starting afresh. */
  resume?: TrainerCheckpoint;
}

export async function trainRun(cfg: TrainConfig, run: RunFolder, data: RunData, backend: { name: string; reason: string }, o: RunOptions): Promise<Outcome> {
  const saved = { iteration: o.resume ? o.resume.meta.iteration : -1 };
  try {
    return await trainRunInner(cfg, run, data, backend, o, saved);
  } catch (e) {
    const why = describeWriteError(e);
    if (why === null) throw e;
    const kept = saved.iteration >= 0 ? `${CHECKPOINT_FILE} (iteration ${saved.iteration})` : 'nothing (no checkpoint yet)';
    throw new OutputWriteError(`${why}; the files written before are intact, checkpoint: ${kept}`);
  }
}

async function trainRunInner(cfg: TrainConfig, run: RunFolder, data: RunData, backend: { name: string; reason: string }, o: RunOptions, saved: { iteration: number }): Promise<Outcome> {
  const trainer = new Trainer(cfg, { train: data.train, test: data.test, testCount: data.testCount }, backend);
  if (o.resume) {
    restoreTrainer(trainer, o.resume);
    run.appendMetric({ type: 'resumed', iteration: trainer.iteration, total: cfg.iterations, backend: backend.name, checkpoint: o.resume.path });
    o.say(`resuming at iteration ${trainer.iteration} of ${cfg.iterations}`);
  }
  o.onTrainer?.(trainer);
  const ckpt = run.path(CHECKPOINT_FILE);
  const save = (t: Trainer) => {
    saveTrainer(ckpt, t);
    saved.iteration = t.iteration;
    return ckpt;
  };
  const progress = new Progress(o.progress === false ? null : process.stderr);
  const keptNote = () => (saved.iteration >= 0 ? `; kept the last good checkpoint ${ckpt} (iteration ${saved.iteration})` : '; no checkpoint was written');
  const fail = (message: string): Outcome => {
    progress.end();
    o.say(`error: ${message}${keptNote()}`);
    run.writeJson('summary.json', { ...trainer.summary(NaN, NaN, 0), complete: false, error: message, checkpointIteration: saved.iteration >= 0 ? saved.iteration : null });
    return 'failed';
  };
  const emit = (e: TrainEvent) => {
    if (o.json) process.stdout.write(JSON.stringify(e) + '\n');
    if (e.type !== 'step' || e.iteration % 10 === 0 || e.iteration === e.total) run.appendMetric(e);
  };
  let lastTest: number | undefined;
  for await (const e of trainer.run({ checkpoint: save })) {
    emit(e);
    await o.onEvent?.(e, trainer);
    if (e.type === 'error') return fail(e.message);
    if (o.json) continue;
    if (e.type === 'step') progress.update({ iteration: e.iteration, total: e.total, loss: e.loss, trainPSNR: e.trainPSNR, itsPerSecond: e.itsPerSecond, testPSNR: lastTest });
    else if (e.type === 'eval') {
      lastTest = e.testPSNR;
      progress.log(`it ${e.iteration}: test PSNR ${e.testPSNR.toFixed(2)} dB (${e.views} views)`);
    } else if (e.type === 'schedule') progress.log(`after it ${e.iteration}: ${e.action} ${e.detail}`);
    else if (e.type === 'started') progress.log(`parameters: decoder ${e.params.decoder}, field ${e.params.field}, total ${e.params.total}; ${e.trainRays} rays hit the box`);
  }
  progress.end();
  try {
    save(trainer);
  } catch (e) {
    if (e instanceof NonFiniteStateError) return fail(e.message);
    throw e;
  }
  const savedEvent: TrainEvent = { type: 'checkpoint', iteration: trainer.iteration, path: ckpt };
  emit(savedEvent);
  await o.onEvent?.(savedEvent, trainer);
  if (trainer.control.stopRequested) {
    run.writeJson('summary.json', { ...trainer.summary(NaN, NaN, 0), complete: false, stoppedAt: trainer.iteration });
    o.say(`stopped at iteration ${trainer.iteration}; checkpoint ${ckpt}`);
    return 'stopped';
  }

  o.say(`evaluating ${data.evalIds.length} test views ...`);
  const evalProgress = new Progress(o.progress === false ? null : process.stderr, Math.max(1, Math.floor(data.evalIds.length / 10)));
  let done = 0;
  let psnrSum = 0;
  const t0 = performance.now();
  let res;
  try {
    res = await trainer.evaluate(positionsOf(data.test, data.evalIds), true, (score, render, pos) => {
      saveViewRender(run.path('renders'), data.test, pos, render.rgb);
      run.appendMetric({ type: 'view', ...score });
      done++;
      psnrSum += score.psnr;
      if (!o.json) evalProgress.update({ kind: 'eval', iteration: done, total: data.evalIds.length, loss: 0, trainPSNR: psnrSum / done, itsPerSecond: done / ((performance.now() - t0) / 1000) });
    });
  } catch (e) {
    if (!isOutOfMemory(e)) throw e;
    evalProgress.end();
    return fail(`final evaluation: ${trainer.oomMessage(trainer.iteration)}`);
  }
  evalProgress.end();
  const finalEval: TrainEvent = { type: 'eval', iteration: trainer.iteration, testPSNR: res.psnr, testSSIM: res.ssim, views: res.scores.length, final: true };
  emit(finalEval);
  await o.onEvent?.(finalEval, trainer);
  const summary = trainer.summary(res.psnr, res.ssim, res.scores.length);
  run.writeJson('summary.json', { ...summary, complete: true });
  const doneEvent: TrainEvent = { type: 'done', summary };
  emit(doneEvent);
  await o.onEvent?.(doneEvent, trainer);
  o.say(`test PSNR ${res.psnr.toFixed(2)} dB, SSIM ${res.ssim.toFixed(4)} over ${res.scores.length} views; trained ${trainer.trainSeconds.toFixed(1)} s; ${run.dir}`);
  return 'complete';
}
