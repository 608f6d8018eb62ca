/**
 * `npm run bench -- [--backends cpu,webgpu,tensorflow] [--cases thesis-early,quick] [--warmup N]
 * [--iters N] [--out bench.json] [training flags]`: median milliseconds per training iteration and rays per
 * second, per backend and case, with the decoded samples per step and peak memory.
 *   thesis-early: the thesis step shape before the first mask: 4096 rays, 128^3, full-resolution
 *                 rays (10 training views are loaded to keep loading short)
 *   quick:        the quick preset's steps (100x100, batch 1024, 64^3)
 * The measured steps are iterations warmup+1 .. warmup+iters of a fresh training from the seed
 * (default warmup 30, iters 5); the decoded samples per step say which regime was measured.
 */
import { BackendError } from '../core/errors';
import { ConfigError } from '../core/errors';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../core/backend';
import { flagsToPartial, resolveConfig, type TrainConfig } from '../core/config';
import { loadTestViews, loadTrainPool } from '../core/run/scene-data';
import { Trainer } from '../core/train/trainer';
import { parseArgs, takeFlags } from './args';
import { runMain } from './run-main';

const CASES: Record<string, Record<string, unknown>> = {
  'thesis-early': { preset: 'thesis', trainViews: 10, visEvery: 0 },
  quick: { preset: 'quick', visEvery: 0 },
};

interface BenchRow {
  backend: string;
  device: string;
  case: string;
  batch: number;
  grid: number;
  warmup: number;
  iters: number;
  medianMs: number;
  raysPerSecond: number;
  meanDecoded: number;
  meanSamples: number;
  peakRssMB: number;
  tfBytesMB: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function benchCase(name: string, cfg: TrainConfig, backend: BackendInfo, warmup: number, iters: number): Promise<BenchRow> {
  const train = loadTrainPool(cfg);
  const test = loadTestViews(cfg, [0]);
  const trainer = new Trainer({ ...cfg, iterations: warmup + iters }, { train: train.pool, test, testCount: 1 }, backend);
  const times: number[] = [];
  const decoded: number[] = [];
  const samples: number[] = [];
  let peak = process.memoryUsage().rss;
  for await (const e of trainer.run()) {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (e.type !== 'step') continue;
    process.stderr.write(`\r${backend.name} ${name}: iteration ${e.iteration}/${warmup + iters} (${(e.stepSeconds * 1000).toFixed(0)} ms, ${e.decoded} decoded)   `);
    if (e.iteration > warmup) {
      times.push(e.stepSeconds * 1000);
      decoded.push(e.decoded);
      samples.push(e.samples);
    }
  }
  process.stderr.write('\n');
  const med = median(times);
  return {
    backend: backend.name,
    device: backend.device,
    case: name,
    batch: cfg.batchSize,
    grid: cfg.gridStart,
    warmup,
    iters,
    medianMs: med,
    raysPerSecond: cfg.batchSize / (med / 1000),
    meanDecoded: decoded.reduce((a, b) => a + b, 0) / decoded.length,
    meanSamples: samples.reduce((a, b) => a + b, 0) / samples.length,
    peakRssMB: peak / 2 ** 20,
    tfBytesMB: tf.memory().numBytes / 2 ** 20,
  };
}

async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, []);
  // bench's own flags; every other flag is a training option applied to each case (e.g. --data, --downscale)
  const own = takeFlags(flags, ['backends', 'cases', 'warmup', 'iters', 'out']);
  const overrides = flagsToPartial(flags);
  if ('backend' in overrides) throw new ConfigError('--backend: use --backends for the benchmark');
  Object.assign(flags, own);
  const backends = (flags.backends ?? 'cpu,webgpu,tensorflow').split(',');
  const cases = (flags.cases ?? 'quick,thesis-early').split(',');
  for (const c of cases) if (!(c in CASES)) throw new ConfigError(`--cases: unknown case '${c}' (known: ${Object.keys(CASES).join(', ')})`);
  // Default warmup 30: by then the density has spread and most samples go through the decoder,
  // which is what most of a training costs; a short warmup measures the density path alone.
  const warmup = Number(flags.warmup ?? 30);
  const iters = Number(flags.iters ?? 5);
  if (!Number.isInteger(warmup) || warmup < 0) throw new ConfigError(`--warmup: expected an integer >= 0, got '${flags.warmup}'`);
  if (!Number.isInteger(iters) || iters < 1) throw new ConfigError(`--iters: expected an integer >= 1, got '${flags.iters}'`);
  const rows: BenchRow[] = [];
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
    for (const c of cases) {
      const cfg = resolveConfig({ ...CASES[c], ...overrides, backend: b });
      const row = await benchCase(c, cfg, info, warmup, iters);
      rows.push(row);
      process.stderr.write(`${b} ${c}: median ${row.medianMs.toFixed(1)} ms/it, ${row.raysPerSecond.toFixed(0)} rays/s, ${row.meanDecoded.toFixed(0)} decoded samples/step, peak RSS ${row.peakRssMB.toFixed(0)} MB\n`);
    }
  }
  const out = flags.out ?? 'bench.json';
  const report = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, memGB: totalmem() / 2 ** 30, rows, skipped };
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(JSON.stringify(report) + '\n');
  return 0;
}

runMain(main);
