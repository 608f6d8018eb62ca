/**
 * `npm run bench -- [--backends cpu,webgpu,tensorflow] [--threads 1,2] [--cases quick,thesis-early] [--from-iteration A]
 * [--iters N] [--checkpoint PATH] [--sync-phases] [--no-eval] [--out bench.json] [training flags]`: steps of a
 * real run, per backend and case: median milliseconds per step and per phase, rays per second,
 * decoded samples, bytes up and down per step, peak memory. Writes bench.json. `--help` prints
 * USAGE below; cases and plans are in bench-plan.ts, the measuring loop in core/run/measure-steps.ts.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../core/backend';
import { flagsToPartial } from '../core/config';
import { BackendError, ConfigError } from '../core/errors';
import { measureSteps, type Measurement } from '../core/run/measure-steps';
import { loadTestViews, loadTrainPool } from '../core/run/scene-data';
import { Trainer } from '../core/train/trainer';
import { readTrainerCheckpoint, restoreTrainer } from '../core/train/trainer-checkpoint';
import { parseArgs, takeFlags } from './args';
import { AFTER_CHECKPOINT, CASES, checkpointFile, parseCounts, parseThreadList, planCases, type PlannedCase } from './bench-plan';
import { defaultThreads, pool, useThreads } from '../core/parallel/threads';
import { benchKernels, type KernelRow } from './bench-kernels';
import { mean, median } from './bench-stats';
import { runMain } from './run-main';

/** Words of `text` in lines of at most 100 characters, the first after `first`, the rest after `rest`. */
function wrap(text: string, first: string, rest: string): string {
  const lines: string[] = [];
  let line = first;
  for (const w of text.split(' ')) {
    if (line.length + w.length + 1 > 100 && line.trim() !== '') {
      lines.push(line.trimEnd());
      line = rest;
    }
    line += `${w} `;
  }
  return [...lines, line.trimEnd()].join('\n');
}

const USAGE = `npm run bench -- [options] [training flags]
  --backends LIST      cpu,webgpu,tensorflow (default all three; one that cannot start is skipped)
  --threads LIST       compute threads of each cpu case, e.g. 1,2 (default 1 and the machine's cores)
  --kernels            also time the kernels alone at each thread count: GEMM GFLOP/s at the decoder's
                       shapes (copies included), the decoder's forward+backward, ns per sample-channel of
                       the VM sampling forward and backward (with --cases none: the kernels only)
  --cases LIST         ${Object.keys(CASES).join(', ')}
                       (default quick,thesis-early; with --checkpoint the -late case of its preset)
${Object.entries(CASES)
  .map(([n, c]) =>
    wrap(
      `${n}: ${c.about}; from iteration ${c.from}${c.late ? ', or from --checkpoint' : ''}`,
      '                         ',
      '                           ',
    ),
  )
  .join('\n')}
  --from-iteration A   measure steps A+1..A+N (default: the case's, above; with a checkpoint at
                       iteration C, C+${AFTER_CHECKPOINT}: the restored state goes up and shaders compile first)
  --iters N            measured steps (default 5)
  --checkpoint PATH    the -late cases start from this checkpoint (a checkpoint.trf or its run folder)
                       instead of training up to A from scratch; the run's settings are the checkpoint's
  --sync-phases        on webgpu/tensorflow, wait for the device at each phase boundary (device ms per
                       phase; steps get slower). Without it a device phase is its dispatch time and the
                       device's work shows up in the phase that waits for it (density+selection, readback)
  --no-eval            skip the render of test view 0 after each case (evalSecondsPerView null; an
                       800x800 view takes minutes on lavapipe)
  --out FILE           bench.json (default)
Each case is a real run: the trainer has the preset's (or checkpoint's) iterations, learning-rate
decay and schedule, trains unmeasured up to A and stops after step A+N. Training flags (--data,
--downscale, ...) apply to every case; --backend is --backends here.`;

interface BenchRow {
  backend: string;
  /** Compute threads of the host kernels (cpu backend). */
  threads: number;
  device: string;
  case: string;
  preset: string;
  /** The run's total iterations (its learning-rate decay and schedule). */
  iterations: number;
  checkpoint: string | null;
  fromIteration: number;
  iters: number;
  batch: number;
  grid: number[];
  nSamples: number;
  medianMs: number;
  raysPerSecond: number;
  meanDecoded: number;
  meanSamples: number;
  /** Median ms per phase of the step (phaseTiming says what they measure). */
  phaseMs: Record<string, number>;
  phaseTiming: Measurement['phaseTiming'];
  uploadBytesPerStep: number;
  downloadBytesPerStep: number;
  /** The part of uploadBytesPerStep that is uniform blocks (webgpu). */
  uniformBytesPerStep: number;
  maxUploadBytesPerStep: number;
  maxDownloadBytesPerStep: number;
  transferCounting: string;
  peakRssMB: number;
  tfBytesMB: number;
  /** Seconds to render and score one test view (view 0, no SSIM) with the model at the end of the case; null with --no-eval. */
  evalSecondsPerView: number | null;
}

/** Renders of test view 0 timed after each case's steps. */
const EVAL_REPEATS = 3;

async function benchCase(c: PlannedCase, backend: BackendInfo, syncPhases: boolean, withEval: boolean): Promise<BenchRow> {
  const { cfg } = c;
  const train = loadTrainPool(cfg);
  const test = loadTestViews(cfg, [0]);
  const trainer = new Trainer(cfg, { train: train.pool, test, testCount: 1 }, backend);
  if (c.checkpoint) restoreTrainer(trainer, c.checkpoint);
  const last = c.from + c.iters;
  let peak = process.memoryUsage().rss;
  let m: Measurement;
  let tfBytes: number;
  let evalSeconds: number | null = null;
  try {
    m = await measureSteps(trainer, {
      from: c.from,
      iters: c.iters,
      syncPhases,
      onEvent: (e) => {
        peak = Math.max(peak, process.memoryUsage().rss);
        if (e.type !== 'step') return;
        const what = e.iteration > c.from ? 'measured' : 'to reach';
        process.stderr.write(
          `\r${backend.name} ${c.name}: iteration ${e.iteration}/${last} (${what}; ${(e.stepSeconds * 1000).toFixed(0)} ms, ${e.decoded} decoded)   `,
        );
      },
    });
    tfBytes = tf.memory().numBytes;
    const t0 = performance.now();
    if (withEval) {
      for (let i = 0; i < EVAL_REPEATS; i++) await trainer.evaluate([0], false);
      evalSeconds = (performance.now() - t0) / 1000 / EVAL_REPEATS;
    }
  } finally {
    process.stderr.write('\n');
    trainer.path.dispose(); // device memory; the host arrays are not needed after measuring
  }
  const s = m.steps;
  const med = median(s.map((x) => x.ms));
  const phases = Object.keys(s[0].phases);
  return {
    backend: backend.name,
    threads: pool().size,
    device: backend.device,
    case: c.name,
    preset: cfg.preset,
    iterations: cfg.iterations,
    checkpoint: c.checkpoint?.path ?? null,
    fromIteration: c.from,
    iters: c.iters,
    batch: Math.min(cfg.batchSize, trainer.pool.count),
    grid: m.grid,
    nSamples: m.nSamples,
    medianMs: med,
    raysPerSecond: Math.min(cfg.batchSize, trainer.pool.count) / (med / 1000),
    meanDecoded: mean(s.map((x) => x.decoded)),
    meanSamples: mean(s.map((x) => x.samples)),
    phaseMs: Object.fromEntries(phases.map((p) => [p, median(s.map((x) => x.phases[p] ?? 0))])),
    phaseTiming: m.phaseTiming,
    uploadBytesPerStep: mean(s.map((x) => x.up)),
    downloadBytesPerStep: mean(s.map((x) => x.down)),
    uniformBytesPerStep: mean(s.map((x) => x.uniform)),
    maxUploadBytesPerStep: Math.max(...s.map((x) => x.up)),
    maxDownloadBytesPerStep: Math.max(...s.map((x) => x.down)),
    transferCounting: m.transferCounting,
    peakRssMB: peak / 2 ** 20,
    tfBytesMB: tfBytes / 2 ** 20,
    evalSecondsPerView: evalSeconds,
  };
}

const PHASE_TIMING_NOTE: Record<Measurement['phaseTiming'], string> = {
  host: 'host work (the cpu backend runs ops as they are called)',
  dispatch:
    'dispatch time only: the device works behind the host, and its time lands in the phase that waits for it (density+selection, readback); --sync-phases gives device time per phase',
  device: 'device time: every phase boundary waited for the device (--sync-phases), so the whole step is slower than unsynced',
};

const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

async function main(argv: string[]): Promise<number> {
  const { flags, switches } = parseArgs(argv, ['sync-phases', 'kernels', 'no-eval', 'help']);
  if (switches.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // bench's own flags; every other flag is a training option applied to each case (e.g. --data, --downscale)
  const own = takeFlags(flags, ['backends', 'threads', 'cases', 'warmup', 'from-iteration', 'iters', 'checkpoint', 'out']);
  const counts = parseCounts(own);
  const overrides = flagsToPartial(flags);
  if ('backend' in overrides) throw new ConfigError('--backend: use --backends for the benchmark');
  const checkpoint = own.checkpoint !== undefined ? readTrainerCheckpoint(checkpointFile(own.checkpoint)) : null;
  const plan = { cases: own.cases?.split(','), ...counts, overrides, checkpoint };
  planCases(plan, 'cpu'); // bad cases or flags stop here, before any backend starts
  const syncPhases = switches.has('sync-phases');
  const backends = (own.backends ?? 'cpu,webgpu,tensorflow').split(',');
  const threadCounts = parseThreadList(own.threads, defaultThreads());
  const rows: BenchRow[] = [];
  const kernels: KernelRow[] = [];
  if (switches.has('kernels')) {
    await initBackend('cpu');
    for (const k of await benchKernels(threadCounts)) {
      kernels.push(k);
      const rate = k.gflops !== undefined ? `${k.gflops.toFixed(1)} GFLOP/s` : `${k.nsPerSampleChannel?.toFixed(2)} ns per sample-channel`;
      process.stderr.write(
        `kernel ${k.kernel}, ${k.threads} thread${k.threads === 1 ? '' : 's'}, ${k.shape}: ${k.ms.toFixed(1)} ms, ${rate}\n`,
      );
    }
  }
  const skipped: { backend: string; reason: string }[] = [];
  for (const b of backends) {
    let info: BackendInfo;
    try {
      info = await initBackend(b as 'cpu');
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      skipped.push({ backend: b, reason: e.message });
      process.stderr.write(`skip ${b}: ${e.message}\n`);
      continue;
    }
    for (const c of planCases(plan, info.name))
      for (const n of info.name === 'cpu' ? threadCounts : [1]) {
        if (info.name === 'cpu') await useThreads(n);
        const row = await benchCase(c, info, syncPhases, !switches.has('no-eval'));
        rows.push(row);
        const phases = Object.entries(row.phaseMs)
          .map(([p, ms]) => `${p} ${ms.toFixed(1)}`)
          .join(', ');
        process.stderr.write(
          `${b}${info.name === 'cpu' ? ` ${n} thread${n === 1 ? '' : 's'}` : ''} ${c.name} steps ${c.from + 1}-${c.from + c.iters}: median ${row.medianMs.toFixed(1)} ms/it (${phases}; ${row.phaseTiming}), ${row.raysPerSecond.toFixed(0)} rays/s, ` +
            `${row.meanDecoded.toFixed(0)} decoded samples/step, ${row.evalSecondsPerView === null ? 'no test view' : `${row.evalSecondsPerView.toFixed(2)} s per test view`}, up ${kib(row.uploadBytesPerStep)} (uniforms ${kib(row.uniformBytesPerStep)}), down ${kib(row.downloadBytesPerStep)} per step, peak RSS ${row.peakRssMB.toFixed(0)} MB\n`,
        );
      }
  }
  const out = own.out ?? 'bench.json';
  const timings = [...new Set(rows.map((r) => r.phaseTiming))];
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memGB: totalmem() / 2 ** 30,
    phaseTiming: Object.fromEntries(timings.map((t) => [t, PHASE_TIMING_NOTE[t]])),
    bytes:
      'counted per step from one step event to the next, where the backend writes and reads device memory (transferCounting); uploads include the uniform blocks',
    rows,
    kernels,
    skipped,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}

runMain(main);
