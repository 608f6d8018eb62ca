/**
 * Wall-clock timings of the fused WebGPU kernels against their plain-ops references, on the
 * webgpu backend (lavapipe on a machine without a GPU). Not part of the test suite.
 *   node scripts/run.mjs scripts/kernel-timings.ts [--iters 10] [--only composite|adam|matmul] [--adam-sizes 1048576,17000000,17000001]
 * Each timed iteration ends with a one-element read of its last output (so the GPU queue has
 * drained); the median over the iterations is reported, after 3 untimed warm-up iterations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/backend';
import { adamUpdateWebgpu } from '../src/core/kernels/webgpu-adam';
import { stockMatmulWebgpu, useMatmulKernel } from '../src/core/kernels/webgpu-matmul';
import { subgroupLanes } from '../src/core/kernels/webgpu-subgroups';
import { accumulateWebgpu, compositeWeightsBackwardWebgpu, compositeWeightsWebgpu } from '../src/core/kernels/webgpu-composite';
import { accumulateTf, compositeWeightsTf } from '../src/core/render/ops-tf';
import { adamUpdateTf } from '../src/core/train/adam-tf';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ITERS = Number(flag('iters', '10'));
const ONLY = flag('only', '');
const want = (part: string) => ONLY === '' || ONLY === part;
const ADAM_SIZES = flag('adam-sizes', '1048576,17000000,17000001').split(',').map(Number);

const info = await initBackend('webgpu');
console.log(`${info.device}`);
tf.env().set('WEBGPU_CPU_FORWARD', false);

async function drain(t: tf.Tensor): Promise<void> {
  const one = tf.slice(tf.reshape(t, [-1]), [t.size - 1], [1]);
  await one.data();
  one.dispose();
}

/** Median ms of fn (which returns the tensors it made; they are disposed after the drain). */
async function time(fn: () => tf.Tensor[]): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < ITERS + 3; i++) {
    const t0 = performance.now();
    const outs = fn();
    await drain(outs[outs.length - 1]);
    const dt = performance.now() - t0;
    tf.dispose(outs);
    if (i >= 3) ms.push(dt);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const row = (label: string, ms: number, ref?: number) =>
  console.log(`${label.padEnd(48)} ${ms.toFixed(1).padStart(8)} ms${ref ? `   (${(ref / ms).toFixed(1)}x faster than ${refName})` : ''}`);
let refName = 'plain ops';

if (want('composite')) {
  const R = 4096;
  const N = 443;
  // sigma: softplus-like densities with empty space; delta: Lego's step (0.0134) but the last sample 0
  const sigma = tf.tidy(() => tf.mul(tf.relu(tf.randomNormal([R, N], 0, 1, 'float32', 1)), 20)) as tf.Tensor2D;
  const delta = tf.tidy(() => tf.concat([tf.fill([R, N - 1], 0.0134), tf.zeros([R, 1])], 1)) as tf.Tensor2D;
  const dy = tf.randomNormal([R, N], 0, 1, 'float32', 2) as tf.Tensor2D;
  const fwdBwd = (f: typeof compositeWeightsTf) => () => {
    const g = tf.grad((s: tf.Tensor) => f(s as tf.Tensor2D, delta, 25))(sigma, dy);
    return [g];
  };
  const [a, b] = [compositeWeightsWebgpu(sigma, delta, 25), compositeWeightsTf(sigma, delta, 25)];
  const diff = (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
  tf.dispose([a, b]);
  console.log(`compositing [${R}, ${N}]: max |fused - plain| = ${diff.toExponential(2)}`);
  const tfFwd = await time(() => [compositeWeightsTf(sigma, delta, 25)]);
  const ourFwd = await time(() => [compositeWeightsWebgpu(sigma, delta, 25)]);
  const tfBoth = await time(fwdBwd(compositeWeightsTf));
  const ourBoth = await time(fwdBwd(compositeWeightsWebgpu));
  const ourBwd = await time(() => [compositeWeightsBackwardWebgpu(sigma, delta, dy, 25)]);
  row('compositeWeightsTf forward', tfFwd);
  row('compositeWeightsWebgpu forward', ourFwd, tfFwd);
  row('compositeWeightsTf forward + backward', tfBoth);
  row('compositeWeightsWebgpu forward + backward', ourBoth, tfBoth);
  row('  of which the backward kernel alone', ourBwd);

  // accumulation of the same rays: w from the compositing, mask = w > 1e-4, colours in [0, 1)
  const w = compositeWeightsWebgpu(sigma, delta, 25);
  const mask = tf.tidy(() => tf.cast(tf.greater(w, 1e-4), 'float32')) as tf.Tensor2D;
  const rgb = tf.randomUniform([R, N, 3], 0, 1, 'float32', 3) as tf.Tensor3D;
  const dOut = tf.randomNormal([R, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
  const accBoth = (f: typeof accumulateTf) => () =>
    tf.grads((x: tf.Tensor, c: tf.Tensor) => f(x as tf.Tensor2D, c as tf.Tensor3D, mask))([w, rgb], dOut);
  const tfAcc = await time(() => [accumulateTf(w, rgb, mask)]);
  const ourAcc = await time(() => [accumulateWebgpu(w, rgb, mask)]);
  const tfAccBoth = await time(accBoth(accumulateTf));
  const ourAccBoth = await time(accBoth(accumulateWebgpu));
  row('accumulateTf forward', tfAcc);
  row('accumulateWebgpu forward', ourAcc, tfAcc);
  row('accumulateTf forward + backward', tfAccBoth);
  row('accumulateWebgpu forward + backward', ourAccBoth, tfAccBoth);
  tf.dispose([sigma, delta, dy, w, mask, rgb, dOut]);
}

if (want('adam')) {
  const opts = { lr: 0.02, beta1: 0.9, beta2: 0.99, eps: 1e-8, step: 7 };
  for (const n of ADAM_SIZES) {
    const [p, m, v, g] = tf.tidy(() => [
      tf.randomNormal([n]),
      tf.mul(tf.randomNormal([n]), 0.1),
      tf.mul(tf.randomUniform([n]), 0.01),
      tf.randomNormal([n]),
    ]);
    const ours = adamUpdateWebgpu(p, m, v, g, opts);
    const ref = adamUpdateTf(p, m, v, g, opts);
    const diffs = await Promise.all(ours.map(async (t, i) => (await tf.max(tf.abs(tf.sub(t, ref[i]))).data())[0]));
    tf.dispose([...ours, ...ref]);
    console.log(
      `adam n = ${n}${n % 4 ? ' (scalar program)' : ' (vec4 program)'}: max |fused - plain| over p, m, v = ${Math.max(...diffs).toExponential(2)}`,
    );
    const tfMs = await time(() => adamUpdateTf(p, m, v, g, opts));
    const ourMs = await time(() => adamUpdateWebgpu(p, m, v, g, opts));
    row(`adamUpdateTf ${n}`, tfMs);
    row(`adamUpdateWebgpu ${n}`, ourMs, tfMs);
    tf.dispose([p, m, v, g]);
  }
}
if (want('matmul')) {
  refName = "tfjs's kernel";
  // The smoke mlp decoder's products at about 20k decoded samples: layer 1 forward, its input
  // gradient (transposeB) and weight gradient (transposeA), layer 2, the output layer's weight
  // gradient, and the appearance basis product.
  const S = 20512;
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['[S x 150] x [150 x 128]', [S, 150], [150, 128], false, false],
    ['dX: [S x 128] x [150 x 128]^T', [S, 128], [150, 128], false, true],
    ['dW: [S x 150]^T x [S x 128]', [S, 150], [S, 128], true, false],
    ['[S x 128] x [128 x 128]', [S, 128], [128, 128], false, false],
    ['dW: [S x 128]^T x [S x 3]', [S, 128], [S, 3], true, false],
    ['basis: [S x 144] x [144 x 27]', [S, 144], [144, 27], false, false],
  ];
  for (const [label, sa, sb, tA, tB] of cases) {
    const a = tf.randomNormal(sa, 0, 1, 'float32', 5);
    const b = tf.randomNormal(sb, 0, 1, 'float32', 6);
    const [ours, stock] = [tf.matMul(a, b, tA, tB), stockMatmulWebgpu(a, b, tA, tB)];
    const diff = (await tf.max(tf.abs(tf.sub(ours, stock))).data())[0];
    tf.dispose([ours, stock]);
    const stockMs = await time(() => [stockMatmulWebgpu(a, b, tA, tB)]);
    const [m, k] = tA ? [sa[1], sa[0]] : sa;
    const n = tB ? sb[0] : sb[1];
    const gflops = (ms: number) => ((2 * m * k * n) / ms / 1e6).toFixed(1);
    console.log(`${label}: max |ours - tfjs| = ${diff.toExponential(2)}`);
    row(`  tfjs BatchMatMul`, stockMs);
    // the register-tiled kernel, then the subgroup one where the device has subgroups of 8 (lavapipe)
    for (const kind of subgroupLanes() === 8 ? (['tiled', 'subgroup'] as const) : (['tiled'] as const)) {
      useMatmulKernel(kind);
      const ourMs = await time(() => [tf.matMul(a, b, tA, tB)]);
      row(`  ${kind} BatchMatMul (${gflops(ourMs)} GFLOP/s)`, ourMs, stockMs);
    }
    useMatmulKernel('auto');
    tf.dispose([a, b]);
  }
}
tf.removeBackend('webgpu');
