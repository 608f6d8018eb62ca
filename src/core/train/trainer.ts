/**
 * The trainer: owns the model, optimizer, ray pool and schedule state, and runs the loop as an
 * async stream of TrainEvents. Schedule changes happen at named points (schedule.ts); the
 * trainer contains no I/O, so the CLI, the app and tests consume the same stream.
 */
import { positionsOf, visViewIds } from '../data/view-set';
import { CheckpointError, DatasetError, NonFiniteLossError } from '../errors';
import type { TrainConfig } from '../config';
import { BatchSampler, filterPool, type RayPool } from '../data/ray-pool';
import type { AlphaMask } from '../field/alpha-mask';
import { updateAlphaMask } from '../field/alpha-update';
import { type Box, formatBox, LEGO_BOX, nSamplesTrain, nToReso, STEP_RATIO, stepSize as marchStep, type Vec3 } from '../field/geometry';
import { shrinkField, upsampleField } from '../field/resample';
import { evaluateViews } from '../eval/evaluate';
import { psnrFromMse } from '../eval/metrics';
import { createModel, modelParams, paramCounts, type Model } from '../model';
import { firstNonFinite, paramSize } from '../params';
import { Rng } from '../random';
import { checkpointDue, type TrainData, type TrainerControl, type TrainerState } from './trainer-types';
import { RENDER_CONSTANTS } from '../render/render-batch';
import { type AdamState, createAdam, decayLr } from './adam';
import type { RunSummary, TrainEvent } from './events';
import { runSummary } from './run-summary';
import { buildSchedule, type Schedule, type ScheduleAction, scheduleIteration } from './schedule';
import { choosePath } from './choose-path';
import type { StepResult, TrainPath } from './train-path';
import type { PhaseTimer } from './phase-timer';
import { decoderDataInit } from './decoder-init';
import { type Clock, ProgressMeter, runningViewsToCome } from './progress-meter';
import { composeKeep, countFlags, poolFingerprint, raysHittingBox, raysHittingMask } from './ray-filter';
import { isOutOfMemory, outOfMemoryMessage } from './oom';
import { pool } from '../parallel/threads';

const MASK_RESO_CAP = 256 ** 3;
/** Mixed into cfg.seed for the sampler/jitter stream, independent of the model init stream. */
export const SAMPLER_SEED_MIX = 0x5eed;
export type { TrainData, TrainerControl, TrainerState } from './trainer-types';

/** Called at checkpoint points (every cfg.checkpointEvery iterations); returns where it wrote. */
export interface RunHooks {
  checkpoint?: (t: Trainer) => string | Promise<string>;
}

export class Trainer {
  readonly model: Model;
  /**
   * The batch-order and ray-jitter stream (saved in checkpoints). The model init draws from its own
   * `new Rng(cfg.seed)`, so with the same seed every decoder sees the same batches and jitter.
   */
  readonly rng: Rng;
  readonly schedule: Schedule;
  adam: AdamState;
  pool: RayPool;
  sampler: BatchSampler;
  mask: AlphaMask | null = null;
  resoMask: Vec3;
  nSamples: number;
  iteration = 0;
  trainSeconds = 0;
  /** Set when the run stopped on an error event. */
  failed = false;
  private decoderInitDone = false;
  /** Flags over data.train of the rays in `pool` (the box filter, then filter-rays). */
  private poolKeep: Uint8Array;
  private readonly sourceFingerprint: string;
  readonly control: TrainerControl = { stopRequested: false };
  /** How a step runs on this run's backend (host kernels, or device-resident), chosen once. */
  readonly path: TrainPath;
  timer: PhaseTimer | null = null; // set by the benchmark: milliseconds per phase of each step
  /** Milliseconds for it/s and ETA (progress-meter.ts); tests set a fake clock. */
  clock: Clock = () => performance.now();

  constructor(
    readonly cfg: TrainConfig,
    readonly data: TrainData,
    readonly backend: { name: string; reason: string },
    box: Box = LEGO_BOX,
    /** The training path; default: the backend's (choose-path.ts). Tests pass another to compare paths on one backend. */
    path?: TrainPath,
  ) {
    this.path = path ?? choosePath(backend.name);
    this.rng = new Rng((cfg.seed ^ SAMPLER_SEED_MIX) >>> 0);
    this.model = createModel(cfg, box, new Rng(cfg.seed));
    this.schedule = buildSchedule(cfg);
    this.resoMask = [...this.model.field.reso];
    this.nSamples = nSamplesTrain(this.model.field.reso, STEP_RATIO);
    this.poolKeep = raysHittingBox(data.train, box);
    this.sourceFingerprint = poolFingerprint(data.train);
    this.pool = filterPool(data.train, this.poolKeep);
    if (this.pool.count === 0)
      throw new DatasetError(`none of the ${data.train.count} training rays hits the scene box; nothing to train on`);
    this.sampler = new BatchSampler(this.pool.count, Math.min(cfg.batchSize, this.pool.count), this.rng);
    this.adam = this.newOptimizer();
  }

  private newOptimizer(): AdamState {
    return createAdam(modelParams(this.model), { factors: this.cfg.lrFactors, network: this.cfg.lrNetwork });
  }

  /** The current state, arrays by reference (copy or write them out before training goes on). */
  state(): TrainerState {
    const params = modelParams(this.model);
    return {
      iteration: this.iteration,
      trainSeconds: this.trainSeconds,
      box: this.model.field.box,
      reso: this.model.field.reso,
      params: params.map((p) => ({ name: p.name, shape: p.shape, data: p.data })),
      adam: { step: this.adam.step, lr: { ...this.adam.lr }, m: this.adam.m, v: this.adam.v },
      mask: this.mask,
      rng: this.rng.getState(),
      sampler: this.sampler.getState(),
      pool: { source: this.data.train.count, fingerprint: this.sourceFingerprint, keep: this.poolKeep, count: this.pool.count },
      nSamples: this.nSamples,
      resoMask: [...this.resoMask],
      decoderInitDone: this.decoderInitDone,
    };
  }

  /**
   * Puts a saved state into this (fresh) trainer. The ray pool is rebuilt by applying the saved
   * flags to this trainer's training rays; a different scene or loading option is an error.
   * `source` names the checkpoint in messages.
   */
  restore(s: TrainerState, source = 'checkpoint'): void {
    const fail = (what: string) => new CheckpointError(`${source}: ${what}`);
    const train = this.data.train;
    if (s.pool.source !== train.count || s.pool.fingerprint !== this.sourceFingerprint) {
      throw fail(
        `the training rays differ from the saved run's (${train.count} rays now, ${s.pool.source} then; were --data, --downscale or --train-views or the scene files changed?)`,
      );
    }
    const keep = s.pool.keep;
    if (keep.length !== train.count || countFlags(keep) !== s.pool.count)
      throw fail(`ray-filter flags do not match the saved pool of ${s.pool.count} rays`);
    const params = modelParams(this.model);
    const names = params.map((p) => p.name).join(',');
    if (s.params.map((p) => p.name).join(',') !== names)
      throw fail(`parameters do not match the config's model (${s.params.length} saved, ${params.length} expected)`);
    if (s.adam.m.length !== params.length || s.adam.v.length !== params.length) throw fail('optimizer moments missing');
    s.params.forEach((p, i) => {
      const n = paramSize(p.shape);
      if (p.data.length !== n || s.adam.m[i].length !== n || s.adam.v[i].length !== n)
        throw fail(`parameter ${p.name}: sizes do not match its shape [${p.shape}]`);
    });
    this.model.field.box = { min: [...s.box.min], max: [...s.box.max] };
    this.model.field.reso = [...s.reso];
    params.forEach((p, i) => {
      p.shape = [...s.params[i].shape];
      p.data = s.params[i].data;
    });
    this.adam = { step: s.adam.step, lr: { ...s.adam.lr }, m: s.adam.m, v: s.adam.v };
    this.mask = s.mask;
    this.poolKeep = keep;
    this.pool = filterPool(train, keep);
    this.sampler = new BatchSampler(this.pool.count, Math.min(this.cfg.batchSize, this.pool.count), this.rng);
    try {
      this.sampler.setState(s.sampler);
    } catch (e) {
      throw fail(`batch sampler: ${(e as Error).message}`);
    }
    this.rng.setState(s.rng); // after the sampler, whose constructor draws from the stream
    this.nSamples = s.nSamples;
    this.resoMask = [...s.resoMask];
    this.iteration = s.iteration;
    this.trainSeconds = s.trainSeconds;
    this.decoderInitDone = s.decoderInitDone;
    this.path.invalidate();
  }

  /**
   * Brings the model's parameter arrays and the Adam moments up to date with the training
   * (device-resident paths keep them on the device between steps): before reading them on the
   * host (a checkpoint, a schedule change). Renders between steps need none: they use the
   * parameters on the device (path.deviceParams()).
   */
  syncHost(): Promise<void> {
    return this.path.syncToHost(this.model, this.adam);
  }

  /** Frees what the training keeps on the device (the model's host arrays are synchronised first). */
  async release(): Promise<void> {
    await this.syncHost();
    this.path.dispose();
  }

  /** The first parameter or optimizer moment holding Inf or NaN, or null. */
  nonFinite(): string | null {
    const params = modelParams(this.model);
    return firstNonFinite([
      ...params,
      ...params.map((p, i) => ({ name: `Adam moment of ${p.name}`, data: this.adam.m[i] })),
      ...params.map((p, i) => ({ name: `Adam moment of ${p.name}`, data: this.adam.v[i] })),
    ]);
  }

  /** The ray-marching step size of the current box and grid. */
  get stepSize(): number {
    return marchStep(this.model.field.box, this.model.field.reso, STEP_RATIO);
  }

  /**
   * Runs to the configured number of iterations (or until stopped), yielding events. With
   * `hooks.checkpoint`, every cfg.checkpointEvery iterations (before the last) and when asked
   * (control.checkpointRequested; checkpointDue) it is called where the state is complete (after
   * that step's schedule actions and preview), then a 'checkpoint' event; non-finite parameters stop the run.
   * The time the consumer holds each event (a pause in the app) does not count in it/s and ETA.
   */
  async *run(hooks: RunHooks = {}): AsyncGenerator<TrainEvent> {
    const meter = new ProgressMeter(this.clock);
    const inner = this.events(hooks, meter);
    try {
      for (let r = await inner.next(); !r.done; r = await inner.next()) {
        const t = this.clock();
        yield r.value;
        meter.held(this.clock() - t);
      }
    } finally {
      await inner.return(undefined);
    }
  }

  private async *events(hooks: RunHooks, meter: ProgressMeter): AsyncGenerator<TrainEvent> {
    const cfg = this.cfg;
    if (this.iteration === 0) {
      yield {
        type: 'started',
        config: cfg,
        backend: this.backend.name,
        backendReason: this.backend.reason,
        params: paramCounts(this.model),
        threads: pool().size,
        trainRays: this.pool.count,
        imageSize: [this.data.test.width, this.data.test.height],
      };
    }
    if (this.iteration === 0 && this.model.decoder.dataInit && !this.decoderInitDone) {
      const detail = await decoderDataInit(this.model, this.pool, this.stepSize, this.nSamples);
      this.decoderInitDone = true;
      yield { type: 'schedule', iteration: 0, action: 'decoder-init', detail };
    }
    meter.start(this.iteration);
    const finalViews = cfg.evalViews > 0 ? Math.min(cfg.evalViews, this.data.testCount) : this.data.testCount;
    const visViews = visViewIds(this.data.testCount, cfg).length;
    while (this.iteration < cfg.iterations) {
      if (this.control.stopRequested) break;
      const t0 = performance.now();
      const it = this.iteration;
      let res: StepResult;
      try {
        res = await this.path.step({
          model: this.model,
          adam: this.adam,
          pool: this.pool,
          indices: this.sampler.next(),
          rng: this.rng,
          nSamples: this.nSamples,
          stepSize: this.stepSize,
          mask: this.mask,
          l1Weight: this.schedule.l1Weight(it),
          timer: this.timer ?? undefined,
        });
      } catch (e) {
        if (e instanceof NonFiniteLossError) {
          this.failed = true;
          yield { type: 'error', message: `iteration ${it + 1}: ${e.message}; ${this.lrCause()}` };
          return;
        }
        if (isOutOfMemory(e)) {
          this.failed = true;
          yield { type: 'error', message: this.oomMessage(it + 1) };
          return;
        }
        throw e;
      }
      decayLr(this.adam, this.schedule.lrFactor);
      this.iteration = it + 1;
      const dt = (performance.now() - t0) / 1000;
      this.trainSeconds += dt;
      meter.step(this.iteration);
      const toCome = { running: runningViewsToCome(this.iteration, cfg.iterations, cfg.visEvery, visViews), final: finalViews };
      yield {
        type: 'step',
        iteration: this.iteration,
        total: cfg.iterations,
        loss: res.loss,
        mse: res.mse,
        trainPSNR: psnrFromMse(res.mse),
        raysPerSecond: Math.min(this.cfg.batchSize, this.pool.count) / dt,
        stepSeconds: dt,
        itsPerSecond: meter.itsPerSecond,
        etaSeconds: meter.etaSeconds(this.iteration, cfg.iterations, toCome),
        elapsed: this.trainSeconds,
        samples: res.samples,
        decoded: res.decoded,
      };
      const actions = this.schedule.at(it);
      if (actions.length > 0) await this.syncHost();
      for (const action of actions) {
        yield* this.apply(action);
        this.path.invalidate();
        if (this.failed) return;
      }
      if (cfg.visEvery > 0 && this.iteration % cfg.visEvery === 0 && this.iteration < cfg.iterations) {
        let r: Awaited<ReturnType<Trainer['evaluate']>>;
        const e0 = this.clock();
        try {
          r = await this.evaluate(positionsOf(this.data.test, visViewIds(this.data.testCount, cfg)), false);
          meter.evaluated(this.clock() - e0, r.scores.length);
        } catch (e) {
          if (!isOutOfMemory(e)) throw e;
          this.failed = true;
          yield { type: 'error', message: this.oomMessage(this.iteration) };
          return;
        }
        yield { type: 'eval', iteration: this.iteration, testPSNR: r.psnr, testSSIM: NaN, views: r.scores.length, final: false };
      }
      if (hooks.checkpoint && checkpointDue(cfg, this.iteration, this.control)) {
        await this.syncHost();
        const bad = this.nonFinite();
        if (bad) {
          this.failed = true;
          yield {
            type: 'error',
            message: `iteration ${this.iteration}: ${bad} is no longer finite (Inf or NaN) although the loss was; ${this.lrCause()}`,
          };
          return;
        }
        yield { type: 'checkpoint', iteration: this.iteration, path: await hooks.checkpoint(this) };
      }
      // let signal handlers and consumers run every step: a signal (Ctrl-C, SIGTERM) is then noticed after the step it arrives in
      await new Promise((r) => setImmediate(r));
    }
  }

  private lrCause(): string {
    return `the learning rates (--lr-factors ${this.adam.lr.factors.toExponential(2)}, --lr-network ${this.adam.lr.network.toExponential(2)}) are the likely cause`;
  }

  /** The one-line out-of-memory message for an error at `iteration`. */
  oomMessage(iteration: number): string {
    return outOfMemoryMessage(this.backend.name, iteration, Math.min(this.cfg.batchSize, this.pool.count), this.model.field.reso);
  }

  private *apply(action: ScheduleAction): Generator<TrainEvent> {
    const f = this.model.field;
    const it = this.iteration;
    if (action.kind === 'alpha-mask') {
      const r = f.reso;
      if (r[0] * r[1] * r[2] < MASK_RESO_CAP) this.resoMask = [...r];
      const { mask, occupied } = updateAlphaMask(f, this.resoMask, this.stepSize, this.mask, RENDER_CONSTANTS.densityShift);
      if (!occupied) {
        this.failed = true;
        yield {
          type: 'error',
          message: `iteration ${it}: the alpha-mask update found no occupied cell (density is below the threshold everywhere); the update at ${scheduleIteration(it)} comes too early for this run (--alpha-mask-at ${this.cfg.alphaMaskAt.join(',')}) or training has collapsed`,
        };
        return;
      }
      this.mask = mask;
      const filled = mask.data.reduce((a, b) => a + b, 0);
      yield { type: 'schedule', iteration: it, action: 'alpha-mask', detail: `mask ${this.resoMask.join('x')}, ${filled} occupied cells` };
      if (action.shrink && occupied) {
        const snap = this.resoMask.some((v, a) => v !== f.reso[a]);
        shrinkField(f, occupied, snap);
        this.adam = this.newOptimizer();
        yield { type: 'schedule', iteration: it, action: 'shrink', detail: `box ${formatBox(f.box)}, grid ${f.reso.join('x')}` };
      }
      if (action.filterRays) {
        const before = this.pool.count;
        const keep = raysHittingMask(this.pool, f.box, this.stepSize, this.mask);
        if (!keep.some((k) => k === 1)) {
          this.failed = true;
          yield { type: 'error', message: `iteration ${it}: no training ray passes through the alpha mask; nothing left to train on` };
          return;
        }
        this.pool = filterPool(this.pool, keep);
        this.poolKeep = composeKeep(this.poolKeep, keep);
        this.sampler = new BatchSampler(this.pool.count, Math.min(this.cfg.batchSize, this.pool.count), this.rng);
        yield { type: 'schedule', iteration: it, action: 'filter-rays', detail: `${this.pool.count} of ${before} rays kept` };
      }
    } else {
      const reso = nToReso(action.voxels, f.box);
      this.nSamples = nSamplesTrain(reso, STEP_RATIO);
      upsampleField(f, reso);
      this.adam = this.newOptimizer();
      yield { type: 'schedule', iteration: it, action: 'upsample', detail: `grid ${reso.join('x')}, ${this.nSamples} samples/ray` };
    }
  }

  evaluate(indices: number[], withSsim: boolean, onView?: Parameters<typeof evaluateViews>[5]) {
    const ctx = { mask: this.mask, stepRatio: STEP_RATIO, chunk: this.cfg.chunk, params: this.path.deviceParams() };
    return evaluateViews(this.model, ctx, this.data.test, indices, withSsim, onView);
  }

  summary(testPSNR: number, testSSIM: number, evalViews: number): RunSummary {
    return runSummary(this, { testPSNR, testSSIM, evalViews });
  }
}
