/**
 * Measuring steps of a real run (the benchmark, `npm run bench`): the trainer is built with the
 * run's own config (its iterations, so the learning-rate decay and the schedule are the real
 * ones) and trained, unmeasured, up to iteration `from`; then steps from+1 .. from+iters are
 * measured and the run is left there (the loop breaks out of trainer.run()).
 *
 * Per measured step: the trainer's step time, samples and decoded samples, milliseconds per phase
 * (train/phase-timer.ts; with `syncPhases` each phase waits for the device, see there) and the
 * bytes moved between host and device (kernels/transfer-count.ts), counted from one step event to
 * the next: a step's own traffic plus whatever ran between it and the step before (a schedule
 * change's sync of the parameters to the host, for instance; none in steady training).
 */
import { ConfigError } from '../errors';
import { countTransfers, type TransferCounter } from '../kernels/transfer-count';
import type { TrainEvent } from '../train/events';
import { PhaseTimer, readbackSync } from '../train/phase-timer';
import type { Trainer } from '../train/trainer';

export interface MeasureOptions {
  /** Measure the steps after this iteration (>= the trainer's current iteration). */
  from: number;
  iters: number;
  /** Wait for the device at every phase boundary (device time per phase; slower steps). */
  syncPhases: boolean;
  /** Every event of the run, measured or not (progress, memory peaks). */
  onEvent?: (e: TrainEvent) => void;
}

export interface MeasuredStep {
  iteration: number;
  ms: number;
  samples: number;
  decoded: number;
  phases: Record<string, number>;
  up: number;
  down: number;
  uniform: number;
}

/** What a phase time is: host work (cpu backend), dispatch time only, or device time (synced). */
export type PhaseTiming = 'host' | 'dispatch' | 'device';

export interface Measurement {
  steps: MeasuredStep[];
  phaseTiming: PhaseTiming;
  /** How the bytes were counted (TransferCounter.method). */
  transferCounting: string;
  /** The grid [x, y, z] and samples per ray during the measured steps. */
  grid: number[];
  nSamples: number;
}

export async function measureSteps(trainer: Trainer, o: MeasureOptions): Promise<Measurement> {
  const total = trainer.cfg.iterations;
  if (o.from < trainer.iteration)
    throw new ConfigError(`--from-iteration ${o.from}: the run starts at iteration ${trainer.iteration} (its checkpoint)`);
  if (o.from + o.iters > total)
    throw new ConfigError(
      `--from-iteration ${o.from} --iters ${o.iters}: the run has ${total} iterations; steps ${o.from + 1}..${o.from + o.iters} do not exist`,
    );
  const host = trainer.path.name === 'host';
  const phaseTiming: PhaseTiming = host ? 'host' : o.syncPhases ? 'device' : 'dispatch';
  let counter: TransferCounter | null = null;
  const probe = phaseTiming === 'device' ? readbackSync() : null;
  const timer = new PhaseTimer(probe ? () => counter!.excluding(probe.sync) : null);
  const steps: MeasuredStep[] = [];
  let method = '';
  const start = () => {
    counter = countTransfers();
    method = counter.method;
    trainer.timer = timer;
  };
  try {
    if (trainer.iteration === o.from) start();
    for await (const e of trainer.run()) {
      o.onEvent?.(e);
      if (e.type === 'error') throw new Error(e.message);
      if (e.type !== 'step') continue;
      if (counter && e.iteration > o.from) {
        const c = (counter as TransferCounter).take();
        steps.push({
          iteration: e.iteration,
          ms: e.stepSeconds * 1000,
          samples: e.samples,
          decoded: e.decoded,
          phases: timer.take(),
          ...c,
        });
      }
      if (e.iteration === o.from + o.iters) break;
      if (e.iteration === o.from) start();
    }
  } finally {
    (counter as TransferCounter | null)?.dispose();
    trainer.timer = null;
    probe?.dispose();
  }
  if (steps.length < o.iters) throw new Error(`the run ended at iteration ${trainer.iteration}, before step ${o.from + o.iters}`);
  return { steps, phaseTiming, transferCounting: method, grid: [...trainer.model.field.reso], nSamples: trainer.nSamples };
}
