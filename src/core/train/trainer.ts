/**
 * The trainer: owns the model, optimizer, ray pool and schedule state, and runs the loop as an
 * async stream of TrainEvents. Schedule changes happen at named points (schedule.ts); the
 * trainer contains no I/O, so the CLI, the app and tests consume the same stream.
 */
import type { TrainConfig } from '../config';
import { BatchSampler, filterPool, gatherRays, type RayPool } from '../data/ray-pool';
import type { AlphaMask } from '../field/alpha-mask';
import { maskContains } from '../field/alpha-mask';
import { updateAlphaMask } from '../field/alpha-update';
import { type Box, LEGO_BOX, NEAR_FAR, nSamplesTrain, nToReso, rayBox, stepSize, type Vec3 } from '../field/geometry';
import { shrinkField, upsampleField } from '../field/resample';
import { evaluateViews, positionsOf, strideViews, type ViewSet } from '../eval/evaluate';
import { psnrFromMse } from '../eval/metrics';
import { createModel, modelParams, paramCounts, type Model } from '../model';
import { Rng } from '../random';
import { RENDER_CONSTANTS } from '../render/render-batch';
import { planSamples } from '../render/samples';
import { type AdamState, createAdam, decayLr } from './adam';
import type { RunSummary, TrainEvent } from './events';
import { buildSchedule, type Schedule, type ScheduleAction } from './schedule';
import { NonFiniteLossError, trainStep, trainStepTf } from './step';
import { hostKernelsActive } from '../kernels/register';
import { gemm } from '../kernels/gemm';
import { appFactors } from '../field/vm';
import { vmForward } from '../field/vm-kernels';
import * as tf from '@tensorflow/tfjs-core';

export const STEP_RATIO = 0.5;
const FILTER_SAMPLES = 256;
const MASK_RESO_CAP = 256 ** 3;
/** Mixed into cfg.seed for the sampler/jitter stream, independent of the model init stream. */
export const SAMPLER_SEED_MIX = 0x5eed;

export interface TrainData {
  train: RayPool;
  test: ViewSet;
  /** Number of views in the test split (the running test PSNR uses views 0, n/k, 2n/k, ...). */
  testCount: number;
}

export interface TrainerControl {
  stopRequested: boolean;
  paused: boolean;
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
  /** Set when the run stopped on a non-recoverable error event. */
  failed = false;
  private decoderInitDone = false;
  readonly control: TrainerControl = { stopRequested: false, paused: false };

  constructor(
    readonly cfg: TrainConfig,
    readonly data: TrainData,
    readonly backend: { name: string; reason: string },
    box: Box = LEGO_BOX,
  ) {
    this.rng = new Rng((cfg.seed ^ SAMPLER_SEED_MIX) >>> 0);
    this.model = createModel(cfg, box, new Rng(cfg.seed));
    this.schedule = buildSchedule(cfg);
    this.resoMask = [...this.model.field.reso];
    this.nSamples = nSamplesTrain(this.model.field.reso, STEP_RATIO);
    this.pool = filterPool(data.train, this.raysHittingBox(data.train, box));
    this.sampler = new BatchSampler(this.pool.count, Math.min(cfg.batchSize, this.pool.count), this.rng);
    this.adam = this.newOptimizer();
  }

  private newOptimizer(): AdamState {
    return createAdam(modelParams(this.model), { factors: this.cfg.lrFactors, network: this.cfg.lrNetwork });
  }

  private raysHittingBox(pool: RayPool, box: Box): Uint8Array {
    const keep = new Uint8Array(pool.count);
    for (let i = 0; i < pool.count; i++) {
      const [a, b] = rayBox(pool.origins, 3 * i, pool.dirs, 3 * i, box);
      keep[i] = b > a ? 1 : 0;
    }
    return keep;
  }

  get step(): number {
    return stepSize(this.model.field.box, this.model.field.reso, STEP_RATIO);
  }

  /** Runs to the configured number of iterations (or until stopped), yielding events. */
  async *run(): AsyncGenerator<TrainEvent> {
    const cfg = this.cfg;
    if (this.iteration === 0) {
      yield {
        type: 'started',
        config: cfg,
        backend: this.backend.name,
        backendReason: this.backend.reason,
        params: paramCounts(this.model),
        trainRays: this.pool.count,
        imageSize: [this.data.test.width, this.data.test.height],
      };
    }
    if (this.iteration === 0 && this.model.decoder.dataInit && !this.decoderInitDone) {
      yield { type: 'schedule', iteration: 0, action: 'decoder-init', detail: await this.decoderDataInit() };
    }
    let windowStart = performance.now();
    let windowIts = 0;
    while (this.iteration < cfg.iterations) {
      if (this.control.stopRequested) break;
      while (this.control.paused && !this.control.stopRequested) await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      const it = this.iteration;
      const batch = gatherRays(this.pool, this.sampler.next());
      const f = this.model.field;
      const plan = planSamples(batch.origins, batch.dirs, batch.count, {
        box: f.box,
        step: this.step,
        nSamples: this.nSamples,
        near: NEAR_FAR[0],
        far: NEAR_FAR[1],
        jitter: this.rng,
        mask: this.mask,
      });
      let res;
      try {
        const l1 = this.schedule.l1Weight(it);
        res = hostKernelsActive() ? trainStep(this.model, this.adam, batch, plan, l1) : await trainStepTf(this.model, this.adam, batch, plan, l1);
      } catch (e) {
        if (e instanceof NonFiniteLossError) {
          this.failed = true;
          yield {
            type: 'error',
            recoverable: false,
            message: `iteration ${it + 1}: ${e.message}; the learning rates (--lr-factors ${this.adam.lr.factors.toExponential(2)}, --lr-network ${this.adam.lr.network.toExponential(2)}) are the likely cause`,
          };
          return;
        }
        throw e;
      }
      decayLr(this.adam, this.schedule.lrFactor);
      this.iteration = it + 1;
      const dt = (performance.now() - t0) / 1000;
      this.trainSeconds += dt;
      windowIts++;
      const windowSec = (performance.now() - windowStart) / 1000;
      yield {
        type: 'step',
        iteration: this.iteration,
        total: cfg.iterations,
        loss: res.loss,
        mse: res.mse,
        trainPSNR: psnrFromMse(res.mse),
        raysPerSecond: batch.count / dt,
        stepSeconds: dt,
        itsPerSecond: windowIts / Math.max(windowSec, 1e-9),
        elapsed: this.trainSeconds,
        samples: plan.count,
        decoded: res.decoded,
      };
      if (windowSec > 5) {
        windowStart = performance.now();
        windowIts = 0;
      }
      for (const action of this.schedule.at(it)) {
        yield* this.apply(action);
        if (this.failed) return;
      }
      if (cfg.visEvery > 0 && this.iteration % cfg.visEvery === 0 && this.iteration < cfg.iterations) {
        const r = await this.evaluate(positionsOf(this.data.test, visViewIds(this.data.testCount, cfg)), false);
        yield { type: 'eval', iteration: this.iteration, testPSNR: r.psnr, testSSIM: NaN, views: r.scores.length, final: false };
      }
      // let signal handlers and consumers run
      if (this.iteration % 10 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  private *apply(action: ScheduleAction): Generator<TrainEvent> {
    const f = this.model.field;
    const it = this.iteration;
    if (action.kind === 'alpha-mask') {
      const r = f.reso;
      if (r[0] * r[1] * r[2] < MASK_RESO_CAP) this.resoMask = [...r];
      const { mask, occupied } = updateAlphaMask(f, this.resoMask, this.step, this.mask, RENDER_CONSTANTS.densityShift);
      if (!occupied) {
        this.failed = true;
        yield {
          type: 'error',
          recoverable: false,
          message: `iteration ${it}: the alpha-mask update found no occupied cell (density is below the threshold everywhere); the update comes too early for this run (--alpha-mask-at ${this.cfg.alphaMaskAt.join(',')}) or training has collapsed`,
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
        yield { type: 'schedule', iteration: it, action: 'shrink', detail: `box ${fmtBox(f.box)}, grid ${f.reso.join('x')}` };
      }
      if (action.filterRays) {
        const before = this.pool.count;
        const keep = this.raysHittingMask(this.pool);
        if (!keep.some((k) => k === 1)) {
          this.failed = true;
          yield { type: 'error', recoverable: false, message: `iteration ${it}: no training ray passes through the alpha mask; nothing left to train on` };
          return;
        }
        this.pool = filterPool(this.pool, keep);
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

  /**
   * Data-dependent decoder init (SplitNet LSUV) on the features the decoder sees at the start:
   * the appearance features of the in-box samples (u = 0) of 1024 evenly spaced training rays, at
   * most 8192 samples. Runs on the cpu backend (the init reads tensors synchronously).
   */
  private async decoderDataInit(): Promise<string> {
    const f = this.model.field;
    const nRays = Math.min(1024, this.pool.count);
    const rays = gatherRays(this.pool, Array.from({ length: nRays }, (_, i) => Math.floor((i * this.pool.count) / nRays)));
    const plan = planSamples(rays.origins, rays.dirs, rays.count, { box: f.box, step: this.step, nSamples: this.nSamples, near: NEAR_FAR[0], far: NEAR_FAR[1], jitter: null, mask: null });
    const n = Math.min(8192, plan.count);
    const coords = new Float32Array(3 * n);
    const dirs = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      const s = Math.floor((i * plan.count) / n);
      const r = plan.rayOf[s];
      for (let c = 0; c < 3; c++) {
        coords[3 * i + c] = plan.coords[3 * s + c];
        dirs[3 * i + c] = rays.dirs[3 * r + c];
      }
    }
    const products = vmForward(appFactors(f), coords, n, 'products');
    const feats = gemm(products, f.basis.data, n, 3 * f.appComps, f.appDim);
    const previous = tf.getBackend();
    if (previous !== 'cpu') await tf.setBackend('cpu');
    try {
      tf.tidy(() => this.model.decoder.dataInit!(tf.tensor2d(feats, [n, f.appDim]), tf.tensor2d(dirs, [n, 3])));
    } finally {
      if (previous !== 'cpu') await tf.setBackend(previous);
    }
    this.decoderInitDone = true;
    return `${this.model.decoder.name} data-dependent init on ${n} samples of ${nRays} rays`;
  }

  /** Rays with any of their first 256 samples (u = 0) inside the alpha mask. */
  private raysHittingMask(pool: RayPool): Uint8Array {
    const keep = new Uint8Array(pool.count);
    const f = this.model.field;
    const step = this.step;
    const mask = this.mask!;
    for (let i = 0; i < pool.count; i++) {
      const o = 3 * i;
      const [tIn] = rayBox(pool.origins, o, pool.dirs, o, f.box);
      const tMin = Math.min(Math.max(tIn, NEAR_FAR[0]), NEAR_FAR[1]);
      for (let k = 0; k < FILTER_SAMPLES; k++) {
        const t = tMin + step * k;
        const x = pool.origins[o] + pool.dirs[o] * t;
        const y = pool.origins[o + 1] + pool.dirs[o + 1] * t;
        const z = pool.origins[o + 2] + pool.dirs[o + 2] * t;
        if (maskContains(mask, x, y, z)) {
          keep[i] = 1;
          break;
        }
      }
    }
    return keep;
  }

  evaluate(indices: number[], withSsim: boolean, onView?: Parameters<typeof evaluateViews>[5]) {
    return evaluateViews(this.model, { mask: this.mask, stepRatio: STEP_RATIO, chunk: this.cfg.chunk }, this.data.test, indices, withSsim, onView);
  }

  summary(testPSNR: number, testSSIM: number, evalViews: number): RunSummary {
    const counts = paramCounts(this.model);
    return {
      decoder: this.cfg.decoder,
      decoderWidth: this.model.decoder.width,
      decoderParams: counts.decoder,
      totalParams: counts.total,
      preset: this.cfg.preset,
      iterations: this.iteration,
      backend: this.backend.name,
      trainSeconds: this.trainSeconds,
      testPSNR,
      testSSIM,
      evalViews,
      imageSize: [this.data.test.width, this.data.test.height],
      finalReso: [...this.model.field.reso],
      finalBox: this.model.field.box,
      seed: this.cfg.seed,
    };
  }
}

export function visViewIds(testCount: number, cfg: TrainConfig): number[] {
  return strideViews(testCount, cfg.visViews);
}

function fmtBox(b: Box): string {
  const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(',');
  return `[${f(b.min)}]..[${f(b.max)}]`;
}
