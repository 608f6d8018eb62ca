/**
 * Every kernel family the webgpu training path uses, run with several shapes in a row on WebGPU
 * and compared with the cpu backend (values, and gradients of sum(f * w) where f is
 * differentiable, so the backward kernels run too). tfjs-backend-webgpu compiles a program once
 * per cache key and reuses it; a program that writes a size into its source but leaves it out of
 * the key (4.22's reverse cumsum) is right for the first shape and wrong for the next ones, which
 * this catches twice: by the numbers, and by a watch on the program cache that fails when one
 * key is seen with two different shader sources (shader-key-watch.ts).
 *
 * Shapes are chosen to reach each program variant the training path can hit: vec4 and scalar
 * element-wise programs, the shared-memory broadcast (1-D operand under 128), the three reduce
 * workgroup sizes (reduce length < 4096, >= 4096, >= 32768) and the short-row and column sums
 * of webgpu-reduce.ts, and the matmul shapes once picked to reach each of tfjs's matmul programs,
 * which now run the tiled kernel (webgpu-matmul.ts; its own test covers its register blocks and
 * K splits). WEBGPU_CPU_FORWARD = false keeps small host-resident inputs on the GPU (by default
 * tfjs runs a kernel on the CPU when all its inputs are host values under 1000 elements).
 *
 * Tolerance: 1e-4 of the largest reference value (float32 with other summation orders; the
 * largest error measured is 3.6e-6, in the cumsum gradients, while a reused program was off by
 * 0.25 and more). Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/backend';
import { Rng } from '../../../src/core/random';
import { compositeWeightsTf } from '../../../src/core/render/ops-tf';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';
import { watchShaderKeys, type ShaderKeyWatch } from './shader-key-watch';

const REL_TOL = 1e-4;

interface Case {
  name: string;
  /** float32 inputs, uniform in [-1, 1] (or [0.1, 1] with `positive`) */
  shapes: number[][];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
  grad?: boolean;
  positive?: boolean;
}

const ints = (values: number[]) => tf.tensor1d(values, 'int32');
/** n indices in [0, rows), deterministic, every row hit when n >= rows, repeats included. */
const indices = (n: number, rows: number) => Array.from({ length: n }, (_, i) => (i * 7 + (i >> 2)) % rows);

/** A fixed boolean pattern (a constant, so not on the gradient tape). */
const pattern = (s: number[]) =>
  tf.tensor(
    Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => (i * 5) % 3 === 0),
    s,
    'bool',
  );

const cumsumCases = (): Case[] =>
  [false, true].flatMap((exclusive) =>
    [false, true].flatMap((reverse) =>
      [6, 9, 4, 17, 2, 33].map((n) => ({
        name: `cumsum exclusive=${exclusive} reverse=${reverse} [3, ${n}]`,
        shapes: [[3, n]],
        f: (x: tf.Tensor) => tf.cumsum(x, 1, exclusive, reverse),
        grad: true,
      })),
    ),
  );

const FAMILIES: Record<string, Case[]> = {
  cumsum: [
    ...cumsumCases(),
    ...[
      [5, 6],
      [5, 9],
      [7, 4],
      [3, 30],
      [40, 27],
    ].map(([r, n]) => ({
      name: `compositeWeightsTf [${r}, ${n}]`,
      shapes: [
        [r, n],
        [r, n],
      ],
      positive: true,
      f: (sigma: tf.Tensor, delta: tf.Tensor) => compositeWeightsTf(sigma as tf.Tensor2D, delta as tf.Tensor2D, 25),
      grad: true,
    })),
  ],
  gather: [
    ...[
      [20, 4, 50],
      [35, 4, 80],
      [12, 6, 30],
      [64, 2, 500],
      [9, 3, 2000],
    ].map(([rows, c, n]) => ({
      name: `gather [${rows}, ${c}] x ${n} (grad: unsortedSegmentSum)`,
      shapes: [[rows, c]],
      f: (t: tf.Tensor) => tf.gather(t, ints(indices(n, rows))),
      grad: true,
    })),
    ...[
      [100, 40],
      [37, 60],
      [1000, 7],
    ].map(([rows, n]) => ({
      name: `gather 1-D [${rows}] x ${n}`,
      shapes: [[rows]],
      f: (t: tf.Tensor) => tf.gather(t, ints(indices(n, rows))),
      grad: true,
    })),
  ],
  unsortedSegmentSum: [
    [50, 8],
    [120, 16],
    [33, 5],
    [2000, 40],
  ].map(([n, segs]) => ({
    name: `unsortedSegmentSum [${n}, 3] -> ${segs} (grad: gather)`,
    shapes: [[n, 3]],
    f: (x: tf.Tensor) => tf.unsortedSegmentSum(x, ints(indices(n, segs)), segs),
    grad: true,
  })),
  matMul: [
    [3, 50, 5],
    [8, 20, 8], // reduce (output <= 128)
    [40, 30, 27],
    [100, 150, 8],
    [117, 27, 3], // small output size
    [144, 2500, 27],
    [128, 3000, 3], // split-K (inner >= 2000), as the basis and last-layer weight gradients
    [300, 150, 128],
    [256, 128, 128],
    [301, 129, 33],
    [96, 27, 150], // packed: vec4 or not, tiles fitting or not
  ].map(([m, k, n]) => ({
    name: `matMul [${m}, ${k}] x [${k}, ${n}] (grads: transposed matmuls)`,
    shapes: [
      [m, k],
      [k, n],
    ],
    f: (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    grad: true,
  })),
  reduce: [
    ...[
      [5, 7],
      [9, 130],
      [3, 5000],
      [2, 40000],
    ].map(([r, n]) => ({ name: `sum axis 1 [${r}, ${n}]`, shapes: [[r, n]], f: (x: tf.Tensor) => tf.sum(x, 1, true), grad: true })),
    ...[
      [4, 3, 5],
      [4, 50, 16],
    ].map((s) => ({ name: `sum axis 0 [${s}]`, shapes: [s], f: (x: tf.Tensor) => tf.sum(x, 0), grad: true })),
    ...[[6], [130, 3], [5000], [40001]].map((s) => ({ name: `mean [${s}]`, shapes: [s], f: (x: tf.Tensor) => tf.mean(x), grad: true })),
    ...[
      [7, 3],
      [300, 27],
    ].map((s) => ({ name: `mean abs [${s}]`, shapes: [s], f: (x: tf.Tensor) => tf.mean(tf.abs(x)), grad: true })),
  ],
  unary: (
    [
      ['softplus', (x) => tf.softplus(tf.mul(x, 8))],
      ['exp', tf.exp],
      ['expm1', tf.expm1],
      ['log', (x) => tf.log(tf.add(tf.square(x), 0.1))],
      ['neg', tf.neg],
      ['sigmoid', tf.sigmoid],
      ['tanh', tf.tanh],
      ['sin', (x) => tf.sin(tf.mul(x, 30))],
      ['cos', tf.cos],
      ['relu', tf.relu],
      ['step (forward)', (x) => tf.step(x)],
      ['floor + cast (forward)', (x) => tf.cast(tf.cast(tf.floor(tf.mul(x, 5)), 'int32'), 'float32')],
    ] as [string, (x: tf.Tensor) => tf.Tensor][]
  ).flatMap(([op, f]) =>
    [[5], [130], [1001], [4096], [33, 12]].map((s) => ({ name: `${op} [${s}]`, shapes: [s], f, grad: !op.includes('forward') })),
  ),
  // [op, f, gradient with broadcasting]: tfjs's Minimum and SquaredDifference gradients do not
  // reduce over broadcast dimensions (training uses them without broadcasting or without gradient)
  binary: (
    [
      ['add', tf.add, true],
      ['sub', tf.sub, true],
      ['mul', tf.mul, true],
      ['div', (a, b) => tf.div(a, tf.add(tf.square(b), 0.5)), true],
      ['minimum', tf.minimum, false],
      ['squaredDifference', tf.squaredDifference, false],
    ] as [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, boolean][]
  ).flatMap(([op, f, broadcastGrad]) =>
    [
      [
        [6, 3],
        [6, 3],
      ],
      [
        [9, 8],
        [9, 8],
      ],
      [
        [20, 130],
        [20, 130],
      ], // same shape, scalar and vec4
      [[6, 3], [3]],
      [[5, 120], [120]],
      [[4, 200], [200]],
      [[7, 8], [8]], // 1-D operand (shared memory under 128)
      [[3], [6, 3]],
      [
        [6, 3],
        [6, 1],
      ],
      [
        [30, 8],
        [30, 1],
      ],
      [
        [4, 50, 6],
        [4, 50, 1],
      ],
      [
        [1, 50],
        [4, 1],
      ],
      [
        [4, 1, 6],
        [1, 50, 1],
      ],
      [[50], []],
    ].map(([a, b]) => ({ name: `${op} [${a}] [${b}]`, shapes: [a, b], f, grad: broadcastGrad || a.join() === b.join() })),
  ),
  clip: [[6], [8], [400], [117, 3], [64, 3], [5, 4]].map((s) => ({
    name: `clipByValue [${s}] (grad: select)`,
    shapes: [s],
    f: (x: tf.Tensor) => tf.clipByValue(tf.mul(x, 1.5), 0, 1),
    grad: true,
  })),
  layout: [
    ...[
      [10, 4],
      [117, 4],
      [33, 16],
    ].map(([s, c]) => ({
      name: `concat 3 x [${s}, ${c}] axis 1`,
      shapes: [
        [s, c],
        [s, c],
        [s, c],
      ],
      f: (...xs: tf.Tensor[]) => tf.concat(xs, 1),
      grad: true,
    })),
    ...[
      [7, 2],
      [30, 9],
    ].map(([s, c]) => ({
      name: `concat [${s}, ${c}] [${s}, 1] axis 1`,
      shapes: [
        [s, c],
        [s, 1],
      ],
      f: (a: tf.Tensor, b: tf.Tensor) => tf.concat([a, b], 1),
      grad: true,
    })),
    ...[[5], [64], [301]].map((s) => ({
      name: `stack 2 x [${s}]`,
      shapes: [s, s],
      f: (a: tf.Tensor, b: tf.Tensor) => tf.stack([a, b]),
      grad: true,
    })),
    ...[
      [5, 3],
      [64, 3],
      [301, 3],
    ].map((s) => ({
      name: `unstack [${s}] axis 1`,
      shapes: [s],
      f: (x: tf.Tensor) => tf.stack(tf.unstack(x, 1).map((u, i) => tf.mul(u, i + 1))),
      grad: true,
    })),
    ...[
      [
        [12, 27],
        [2, 3],
        [7, 20],
      ],
      [
        [40, 150],
        [5, 0],
        [30, 27],
      ],
      [
        [9, 4],
        [0, 1],
        [9, 2],
      ],
    ].map(([s, b, e]) => ({
      name: `slice [${s}] from [${b}] size [${e}]`,
      shapes: [s],
      f: (x: tf.Tensor) => tf.slice(x, b, e),
      grad: true,
    })),
    ...[
      [3, 117],
      [16, 3],
      [40, 50],
      [150, 128],
    ].map((s) => ({ name: `transpose [${s}]`, shapes: [s], f: (x: tf.Tensor) => tf.transpose(x), grad: true })),
    ...[
      [4, 6, 2],
      [3, 40, 5],
    ].map((s) => ({ name: `transpose [${s}] perm 1,2,0`, shapes: [s], f: (x: tf.Tensor) => tf.transpose(x, [1, 2, 0]), grad: true })),
    ...[[6, 3], [200, 3], [9]].map((s) => ({
      name: `where [${s}]`,
      shapes: [s, s],
      f: (a: tf.Tensor, b: tf.Tensor) => tf.where(pattern(s), a, tf.mul(b, 2)),
      grad: true,
    })),
    ...[[4, 3], [100, 27], [7]].map((s) => ({
      name: `zeros + ones [${s}] (fill)`,
      shapes: [s],
      f: (x: tf.Tensor) => tf.add(tf.add(x, tf.zeros(s)), tf.ones(s)),
      grad: true,
    })),
  ],
};

function inputsOf(c: Case, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  const [lo, hi] = c.positive ? [0.1, 1] : [-1, 1];
  return c.shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.uniform(lo, hi)));
}

/** f(inputs), and with `grad` the gradients of sum(f * w) w.r.t. every input, read back. */
async function runCase(c: Case, seed: number): Promise<Float32Array[]> {
  const data = inputsOf(c, seed);
  const outs = tf.tidy(() => {
    const xs = data.map((d, i) => tf.tensor(d, c.shapes[i]));
    const y = c.f(...xs);
    if (!c.grad) return [y];
    const w = tf.tensor(
      Float32Array.from({ length: y.size }, (_, i) => Math.cos(i * 0.37) + 0.5),
      y.shape,
    );
    const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(c.f(...ts), w)))(xs);
    return [y, ...grads];
  });
  const values = await Promise.all(outs.map(async (t) => Float32Array.from((await t.data()) as ArrayLike<number>)));
  tf.dispose(outs);
  return values;
}

/** max |a - b| / max |b| */
function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

describe('webgpu kernels with several shapes in a row agree with cpu', () => {
  const reference = new Map<string, Float32Array[]>();
  let gpu: WebgpuSession;
  let watch: ShaderKeyWatch | undefined;

  beforeAll(async () => {
    await initBackend('cpu');
    let seed = 1;
    for (const cases of Object.values(FAMILIES)) for (const c of cases) reference.set(c.name, await runCase(c, seed++));
    gpu = await startWebgpu();
    if (gpu.info) {
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      watch = watchShaderKeys(tf.backend());
    }
  });

  afterAll(async () => {
    watch?.stop();
    await stopWebgpu();
  });

  let seed = 1;
  for (const [family, cases] of Object.entries(FAMILIES)) {
    const seeds = cases.map(() => seed++);
    it(`${family}: ${cases.length} shapes`, async (ctx) => {
      requireWebgpu(gpu, ctx);
      const problems: string[] = [];
      let worst = 0;
      for (const [k, c] of cases.entries()) {
        const got = await runCase(c, seeds[k]);
        const want = reference.get(c.name)!;
        got.forEach((g, i) => {
          const e = g.length === want[i].length ? relErr(g, want[i]) : Infinity;
          worst = Math.max(worst, e);
          if (!(e <= REL_TOL)) problems.push(`${c.name}: ${i === 0 ? 'value' : `gradient ${i - 1}`} rel err ${e.toExponential(2)}`);
        });
      }
      console.log(`${family}: ${cases.length} shapes, largest rel err ${worst.toExponential(2)}`);
      expect(problems).toEqual([]);
    });
  }

  it('no program cache key was run with two different shader sources', (ctx) => {
    requireWebgpu(gpu, ctx);
    if (!watch?.supported) ctx.skip('tfjs-backend-webgpu internals changed: runWebGPUProgram not found');
    console.log(`programs run (distinct cache keys): ${[...watch!.programs()].map(([n, k]) => `${n} ${k}`).join(', ')}`);
    expect(watch!.clashes()).toEqual([]);
  });
});
