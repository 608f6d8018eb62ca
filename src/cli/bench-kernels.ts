/**
 * The kernel micro-benchmarks of `npm run bench -- --kernels` (issue: GFLOP/s of the GEMM at the
 * decoder's shapes, including copies; nanoseconds per sample-channel of the VM kernels), each at
 * every thread count asked for. Inputs are random, the decoder's weights at their initial scale
 * (the kernels' cost does not depend on values, except through subnormal numbers, which that
 * scale avoids, and the VM backward's skip of zero gradients, which random gradients never hit).
 */
import { lineShape, planeShape, type VMFactors } from '../core/field/vm-kernels';
import type { Vec3 } from '../core/field/geometry';
import { gemm } from '../core/kernels/gemm';
import { decoderForwardThreads } from '../core/parallel/decoder';
import { useThreads } from '../core/parallel/threads';
import { vmBackwardThreads, vmForwardThreads } from '../core/parallel/vm';
import { sharedF32 } from '../core/shared-memory';
import { inputDim } from '../core/decoders/fused-cpu';
import { Rng } from '../core/random';
import { median } from './bench-stats';

export interface KernelRow {
  kernel: string;
  threads: number;
  shape: string;
  /** Median milliseconds per call. */
  ms: number;
  gflops?: number;
  nsPerSampleChannel?: number;
}

function time(f: () => void, reps: number): number {
  f(); // warm-up (JIT, memory growth)
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const random = (rng: Rng, n: number) => {
  const a = sharedF32(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
};

/** rows: decoded samples per step of the quick preset's late steps (about 36k). */
export async function benchKernels(threadCounts: number[], rows = 36_864, samples = 88_000, reps = 5): Promise<KernelRow[]> {
  const rng = new Rng(1);
  const out: KernelRow[] = [];
  const D0 = inputDim(27, 2, 2);
  const H = 128;
  const x = random(rng, rows * D0);
  const w1 = random(rng, D0 * H);
  const dz = random(rng, rows * H);
  const reso: Vec3 = [160, 150, 130];
  const factors = (comps: number): VMFactors => ({
    planes: [0, 1, 2].map((p) =>
      random(
        rng,
        planeShape(reso, p, comps).reduce((a, b) => a * b, 1),
      ),
    ),
    lines: [0, 1, 2].map((p) =>
      random(
        rng,
        lineShape(reso, p, comps).reduce((a, b) => a * b, 1),
      ),
    ),
    comps,
    reso,
  });
  const density = factors(16);
  const app = factors(48);
  const coords = random(rng, 3 * samples);
  const appN = rows;
  const decoderWeights = [[D0, H], [H], [H, H], [H], [H, 3], [3]].map((s) =>
    random(
      rng,
      s.reduce((a, b) => a * b, 1),
    ),
  );
  const decoderShapes = [[D0, H], [H], [H, H], [H], [H, 3], [3]];
  const f = random(rng, rows * 27);
  const d = random(rng, rows * 3);
  const g = random(rng, rows * 3);
  for (const threads of threadCounts) {
    await useThreads(threads);
    // one GEMM with its copies in and out of WebAssembly memory (the basis matmul's path)
    const flops = 2 * rows * D0 * H;
    let ms = time(() => gemm(x, w1, rows, D0, H), reps);
    out.push({
      kernel: 'gemm x*W (copies included, calling thread)',
      threads,
      shape: `${rows}x${D0} * ${D0}x${H}`,
      ms,
      gflops: flops / ms / 1e6,
    });
    ms = time(() => gemm(x, dz, D0, rows, H, true), reps);
    out.push({
      kernel: 'gemm x^T*dZ (copies included, calling thread)',
      threads,
      shape: `(${rows}x${D0})^T * ${rows}x${H}`,
      ms,
      gflops: flops / ms / 1e6,
    });
    // the whole resident decoder, forward and backward (3 GEMMs each way plus the weight gradients)
    const decFlops = 2 * rows * (D0 * H + H * H + H * 3) * 3;
    ms = time(
      () => decoderForwardThreads({ act: { kind: 'relu' }, fePe: 2, viewPe: 2 }, decoderWeights, decoderShapes, f, d, rows, 27).backward(g),
      reps,
    );
    out.push({ kernel: 'mlp decoder forward+backward', threads, shape: `${rows} rows, width ${H}`, ms, gflops: decFlops / ms / 1e6 });
    for (const [name, fac, n, mode] of [
      ['density', density, samples, 'sum'],
      ['appearance', app, appN, 'products'],
    ] as const) {
      const chans = n * 3 * fac.comps;
      ms = time(() => vmForwardThreads(fac, coords, n, mode), reps);
      out.push({
        kernel: `vm ${name} forward`,
        threads,
        shape: `${n} points, 3x${fac.comps} comps, grid ${reso.join('x')}`,
        ms,
        nsPerSampleChannel: (ms * 1e6) / chans,
      });
      const dOut = random(rng, mode === 'sum' ? n : n * 3 * fac.comps);
      ms = time(() => vmBackwardThreads(fac, coords, n, mode, dOut), reps);
      out.push({
        kernel: `vm ${name} backward`,
        threads,
        shape: `${n} points, 3x${fac.comps} comps, grid ${reso.join('x')}`,
        ms,
        nsPerSampleChannel: (ms * 1e6) / chans,
      });
    }
  }
  return out;
}
