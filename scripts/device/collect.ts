/**
 * Gathers a lent-GPU session's figures from its state folder into STATE/results.json and prints
 * one line about where it stands; device.sh runs it (bundled) at the end of every call.
 *   node collect.mjs STATE_DIR
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchRow, memoryPeak, parseEvents, parseGpu, parsePhases, phaseWindow, trainingFigures } from './results';

const S = process.argv[2];
if (!S) {
  console.error('usage: collect.mjs STATE_DIR');
  process.exit(2);
}
const read = (p: string): string | null => (existsSync(join(S, p)) ? readFileSync(join(S, p), 'utf8') : null);
const json = (p: string): unknown => {
  const t = read(p);
  if (t === null) return null;
  try {
    return JSON.parse(t);
  } catch {
    return { unreadable: p };
  }
};

/** Thesis targets of the issue on an H100/H200. */
const TARGET_TRAIN_SECONDS = 300;
const TARGET_PSNR = 34.0;

const pack = read('PACK')?.trim() ?? null;
const nParts = Number(/parts=(\d+)/.exec(pack ?? '')?.[1] ?? 0);
const staged = existsSync(join(S, 'parts'))
  ? readdirSync(join(S, 'parts'))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b)
  : [];
const phases = parsePhases(read('results/phases.tsv') ?? '');
const phase = read('status')?.trim() ?? null;
const pid = Number(read('driver.pid') ?? NaN);
const alive = Number.isInteger(pid) && existsSync(`/proc/${pid}`);
const probe = json('probe.json') as { device?: string | null; software?: boolean; error?: string } | null;
const events = parseEvents(read('results/train-events.tsv') ?? '');
const gpu = parseGpu(read('results/gpu-memory.csv') ?? '');
const trainWindow = phaseWindow(phases, 'train');
const training = events.length > 0 ? trainingFigures(events, trainWindow?.[0] ?? null) : null;
const evaluating = events.find((x) => x.e.type === 'evaluating');
const split = (w: [number, number] | null, at: number | undefined, part: 0 | 1): [number, number] | null =>
  w === null ? null : at === undefined ? (part === 0 ? w : null) : part === 0 ? [w[0], at] : [at, w[1]];

let status: string;
if (pack === null) status = 'no part staged';
else if (read('probe.failed') !== null) status = 'no hardware WebGPU adapter';
else if (phase === 'done') status = training?.complete ? 'done' : 'done (training did not complete)';
else if (read('driver.pid') === null) status = `waiting for parts (staged ${staged.join(',') || 'none'} of ${nParts})`;
else if (!alive) status = `driver died in phase ${phase}`;
else status = `running: ${phase ?? 'starting'}`;

const results = {
  status,
  phase,
  pack,
  parts: { staged, total: nParts },
  gpu: read('gpu.txt')?.trim() ?? null,
  vulkan: read('icd.txt')?.trim() ?? null,
  adapter: probe,
  phaseSeconds: Object.fromEntries(
    phases
      .slice(0, -1)
      .map((p, i) => [p.name, Number((phases[i + 1].t - p.t).toFixed(1))])
      .concat(
        phases.length > 0 && phase !== 'done' ? [[phases.at(-1)!.name, Number((Date.now() / 1000 - phases.at(-1)!.t).toFixed(1))]] : [],
      ),
  ),
  benchEarly: { dispatch: benchRow(json('results/bench-early-dispatch.json')), synced: benchRow(json('results/bench-early-synced.json')) },
  training,
  trainExitCode: read('results/train.rc')?.trim() ?? null,
  gpuMemory: {
    source:
      gpu.length > 0
        ? 'nvidia-smi every 0.5 s (memory.used of the GPU; per process where --query-compute-apps lists it)'
        : 'no nvidia-smi samples',
    training: memoryPeak(gpu, split(trainWindow, evaluating?.t, 0)),
    evaluation: memoryPeak(gpu, split(trainWindow, evaluating?.t, 1)),
    benchEarly: memoryPeak(gpu, phaseWindow(phases, 'bench-early')),
  },
  benchLate: { dispatch: benchRow(json('results/bench-late-dispatch.json')), synced: benchRow(json('results/bench-late-synced.json')) },
  /** Error lines of the driver's log and the training's stderr (a failed benchmark leaves its row null and its line here). */
  errors: [...new Set([read('results/driver.log'), read('results/train-stderr.log')].flatMap((t) => (t ?? '').split('\n')))]
    .filter((l) => /^error\b/i.test(l.trim()))
    .slice(0, 20),
  targets:
    training?.complete === true
      ? {
          trainSecondsUnder300: training.trainSeconds !== null && training.trainSeconds < TARGET_TRAIN_SECONDS,
          testPSNRAtLeast34: training.testPSNR !== null && training.testPSNR >= TARGET_PSNR,
        }
      : null,
};
writeFileSync(join(S, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const benches = Object.fromEntries(
  ['early-dispatch', 'early-synced', 'late-dispatch', 'late-synced'].map((b) => [b, json(`results/bench-${b}.json`)]),
);
mkdirSync(join(S, 'results'), { recursive: true });
writeFileSync(join(S, 'results', 'benches.json'), `${JSON.stringify(benches, null, 2)}\n`);

const t = training;
const bits = [status];
if (t)
  bits.push(
    `iteration ${t.iteration}/${t.iterations ?? '?'}`,
    t.itsPerSecond !== null ? `${t.itsPerSecond.toFixed(1)} it/s` : '',
    t.trainSeconds !== null ? `train ${t.trainSeconds.toFixed(1)} s` : '',
    t.evalViewsTotal !== null ? `eval ${t.evalViewsDone}/${t.evalViewsTotal} views` : '',
    t.testPSNR !== null ? `test PSNR ${t.testPSNR.toFixed(3)} dB${t.complete ? '' : ' (so far)'}` : '',
    t.error ? `error: ${t.error}` : '',
  );
const peak = results.gpuMemory.training?.peakUsedMiB;
if (peak !== undefined) bits.push(`peak GPU memory ${peak} MiB`);
console.log(`results: ${bits.filter(Boolean).join('; ')}`);
