/**
 * Timing of the VM factor sampling, forward and backward, outside the test suite (issue 14):
 * kernels/webgpu-vm.ts vmSampleWebgpu and render/ops-tf.ts vmSampleTf on webgpu, render/ops.ts
 * vmSample (hand-written JS kernels) on cpu, on a 64^3 grid with S samples: C = 16 'sum' (density)
 * and C = 48 'products' (appearance). Prints min and median ms over ITERS runs after WARM warm-up
 * runs, and ns per sample-channel, a channel being one of the 3C plane x line products of a sample.
 * Backward = (forward + backward through tf.grads with a given dy) - forward.
 *
 *   node scripts/run.mjs scripts/bench-vm-sample.ts
 *   env: S (50000), ITERS (5), WARM (2), ONLY (kernel,tf,cpu), CASE (sum | products),
 *        COORDS (random: uniform in [-1, 1]^3 | rays: 100 consecutive samples per ray)
 * vmSampleTf on webgpu takes tens of seconds per call on lavapipe: ONLY=kernel,cpu skips it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/backend';
import { vmSampleTf } from '../src/core/render/ops-tf';
import { vmSample } from '../src/core/render/ops';
import { vmSampleWebgpu } from '../src/core/kernels/webgpu-vm';
import { Rng } from '../src/core/random';

const R = 64;
const S = Number(process.env.S ?? 50_000);
const ITERS = Number(process.env.ITERS ?? 5);
const WARM = Number(process.env.WARM ?? 2);
const only = (process.env.ONLY ?? 'kernel,tf,cpu').split(',');
const rng = new Rng(7);
const cases = [
  { C: 16, mode: 'sum' as const },
  { C: 48, mode: 'products' as const },
];
// COORDS=random: uniform in [-1, 1]^3; COORDS=rays: 100 samples per ray at half-voxel steps (as
// TensoRF's dense [R, N] layout: a ray's samples are consecutive), random lines through the box.
const RAYS = (process.env.COORDS ?? 'random') === 'rays';
function rayCoords(): Float32Array {
  const c = new Float32Array(S * 3);
  const N = 100;
  const step = 1 / (R - 1); // half a voxel in [-1, 1] units (voxel = 2 / (R - 1))
  for (let r = 0; r * N < S; r++) {
    const d = [rng.normal(), rng.normal(), rng.normal()];
    const n = Math.hypot(...d);
    const o = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    for (let k = 0; k < N && r * N + k < S; k++) {
      for (let a = 0; a < 3; a++) {
        let x = o[a] + ((k - N / 2) * step * d[a]) / n;
        x = ((((x + 1) % 4) + 4) % 4) - 1; // into [-1, 3), then mirrored into [-1, 1]
        c[3 * (r * N + k) + a] = x > 1 ? 2 - x : x;
      }
    }
  }
  return c;
}
const coordsData = RAYS ? rayCoords() : Float32Array.from({ length: S * 3 }, () => rng.uniform(-1, 1));
const factorData = cases.map(({ C }) => ({
  planes: [0, 1, 2].map(() => Float32Array.from({ length: R * R * C }, () => 0.1 * rng.normal())),
  lines: [0, 1, 2].map(() => Float32Array.from({ length: R * C }, () => 0.1 * rng.normal())),
}));
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function sync(ts: tf.Tensor[]) {
  const heads = ts.map((t) => tf.slice(tf.reshape(t, [-1]), 0, 1));
  await Promise.all(heads.map((h) => h.data()));
  tf.dispose(heads);
}

type F = (planes: tf.Tensor[], lines: tf.Tensor[]) => tf.Tensor;
async function measure(label: string, C: number, f: F, k: number) {
  const planes = factorData[k].planes.map((d) => tf.variable(tf.tensor3d(d, [R, R, C])));
  const lines = factorData[k].lines.map((d) => tf.variable(tf.tensor2d(d, [R, C])));
  const fw: number[] = [];
  const fb: number[] = [];
  let dy: tf.Tensor | undefined;
  for (let i = 0; i < ITERS + WARM; i++) {
    let t0 = performance.now();
    const y = f(planes, lines);
    await sync([y]);
    const tf1 = performance.now() - t0;
    if (!dy) dy = tf.randomNormal(y.shape);
    y.dispose();
    await sync([dy]);
    t0 = performance.now();
    const g = tf.grads((...xs: tf.Tensor[]) => f(xs.slice(0, 3), xs.slice(3)))([...planes, ...lines], dy);
    await sync(g);
    const tfb = performance.now() - t0;
    tf.dispose(g);
    if (i >= WARM) {
      fw.push(tf1);
      fb.push(tfb);
    }
  }
  const n = S * 3 * C;
  const min = (xs: number[]) => Math.min(...xs);
  const ns = (ms: number) => ((ms * 1e6) / n).toFixed(1);
  const bwMin = min(fb.map((x, i) => x - fw[i]));
  console.log(
    `${label.padEnd(28)} C=${C} ${RAYS ? 'rays' : 'random'}: forward min ${min(fw).toFixed(1)} ms (${ns(min(fw))} ns) median ${median(fw).toFixed(1)}; backward (f+b - f) min ${bwMin.toFixed(1)} ms (${ns(bwMin)} ns) median ${(median(fb) - median(fw)).toFixed(1)}; f+b [${fb.map((x) => x.toFixed(0))}] f [${fw.map((x) => x.toFixed(0))}]`,
  );
  tf.dispose([...planes, ...lines, dy!]);
}

await initBackend('webgpu');
tf.env().set('WEBGPU_CPU_FORWARD', false);
const coords = tf.tensor2d(coordsData, [S, 3]);
for (const [k, { C, mode }] of cases.entries()) {
  if (process.env.CASE && process.env.CASE !== mode) continue;
  if (only.includes('kernel')) await measure(`vmSampleWebgpu ${mode}`, C, (p, l) => vmSampleWebgpu(p, l, coords, mode), k);
  if (only.includes('tf')) await measure(`vmSampleTf webgpu ${mode}`, C, (p, l) => vmSampleTf(p, l, coords, mode), k);
}
coords.dispose();
tf.removeBackend('webgpu');
if (only.includes('cpu')) {
  await initBackend('cpu');
  for (const [k, { C, mode }] of cases.entries())
    if (!process.env.CASE || process.env.CASE === mode)
      await measure(`ops.ts vmSample cpu ${mode}`, C, (p, l) => vmSample(p, l, C, [R, R, R], coordsData, S, mode), k);
}
process.exit(0);
