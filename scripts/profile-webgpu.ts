/**
 * Where a webgpu training step's device time goes, program by program (not part of the tests).
 *   node scripts/run.mjs scripts/profile-webgpu.ts [--preset smoke] [--decoder mlp] [--from 42] [--iters 1] [--top 25] [--eval]
 *
 * A real run (the preset's iterations and schedule, as `npm run bench`) trains up to --from, then
 * the next --iters steps run with tfjs's timestamp queries on: every program gets its own compute
 * pass with begin/end timestamps. Dawn allows timestamps only with its `allow_unsafe_apis`
 * toggle, so WebGPU is installed here with it before the backend starts. Programs are grouped by
 * class name, input shapes and output shape; the table gives total ms, calls and share of the
 * summed device time. With --eval, what is profiled is the render of test view 0 after step --from
 * (the evaluation's work per view) instead of the next steps. Timing every program serialises the queue, so the step's wall time is longer
 * than in training; the per-program times are what the device spent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/backend';
import { resolveConfig } from '../src/core/config';
import { measureSteps } from '../src/core/run/measure-steps';
import { loadTestViews, loadTrainPool } from '../src/core/run/scene-data';
import { Trainer } from '../src/core/train/trainer';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const FROM = Number(flag('from', '42'));
const ITERS = Number(flag('iters', '1'));
const TOP = Number(flag('top', '25'));
const EVAL = args.includes('--eval');

const webgpu = (await import('webgpu')) as { create: (o: string[]) => unknown; globals: object };
Object.assign(globalThis, webgpu.globals);
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: webgpu.create(['enable-dawn-features=allow_unsafe_apis']) },
  configurable: true,
});
const info = await initBackend('webgpu');
console.log(info.device);

interface Timer {
  name: string;
  query: Promise<number>;
}
interface ProfiledBackend {
  activeTimers: Timer[] | null;
  supportTimestampQuery: boolean;
  runWebGPUProgram: (
    program: { constructor: { name: string }; outputShape: number[] },
    inputs: tf.TensorInfo[],
    ...rest: unknown[]
  ) => unknown;
}
const be = tf.backend() as unknown as ProfiledBackend;
if (!be.supportTimestampQuery) throw new Error('this adapter has no timestamp-query feature');
const labels: string[] = [];
const original = be.runWebGPUProgram.bind(be);
be.runWebGPUProgram = (program, inputs, ...rest) => {
  const before = be.activeTimers?.length ?? 0;
  const out = original(program, inputs, ...rest);
  if (be.activeTimers && be.activeTimers.length > before) {
    labels.push(`${program.constructor.name} ${inputs.map((t) => `[${t.shape}]`).join(' ')} -> [${program.outputShape}]`);
  }
  return out;
};

const cfg = resolveConfig({
  preset: flag('preset', 'smoke') as 'smoke',
  decoder: flag('decoder', 'mlp') as 'mlp',
  backend: 'webgpu',
  visEvery: 0,
  checkpointEvery: 0,
});
const train = loadTrainPool(cfg);
const trainer = new Trainer(cfg, { train: train.pool, test: loadTestViews(cfg, [0]), testCount: 1 }, info);
const walls: number[] = [];
await measureSteps(trainer, {
  from: FROM,
  iters: EVAL ? 0 : ITERS,
  syncPhases: false,
  onEvent: (e) => {
    if (e.type !== 'step') return;
    if (e.iteration > FROM) walls.push(e.stepSeconds * 1000);
    if (e.iteration === FROM && !EVAL) be.activeTimers = [];
    process.stderr.write(`\riteration ${e.iteration} (${(e.stepSeconds * 1000).toFixed(0)} ms, ${e.decoded} decoded)   `);
  },
});
if (EVAL) {
  be.activeTimers = [];
  const t0 = performance.now();
  await trainer.evaluate([0], false);
  walls.push(performance.now() - t0);
}
const timers = be.activeTimers ?? [];
be.activeTimers = null;
const ms = await Promise.all(timers.map((t) => t.query));
const groups = new Map<string, { ms: number; calls: number }>();
ms.forEach((t, i) => {
  const g = groups.get(labels[i]) ?? { ms: 0, calls: 0 };
  g.ms += t;
  g.calls += 1;
  groups.set(labels[i], g);
});
const total = ms.reduce((a, b) => a + b, 0);
console.log(
  `\nsteps ${FROM + 1}..${FROM + ITERS}: wall ${walls.map((w) => w.toFixed(0)).join(', ')} ms; device ${total.toFixed(0)} ms in ${ms.length} programs`,
);
for (const [label, g] of [...groups].sort((a, b) => b[1].ms - a[1].ms).slice(0, TOP)) {
  console.log(
    `${g.ms.toFixed(1).padStart(9)} ms ${String(g.calls).padStart(4)}x ${((100 * g.ms) / total).toFixed(1).padStart(5)}%  ${label}`,
  );
}
tf.removeBackend('webgpu');
