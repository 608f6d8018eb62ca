/**
 * A register-tiled BatchMatMul and _FusedMatMul for the webgpu backend (issue 14: the decoders'
 * matrix multiplies as tiled kernels). Measured on lavapipe, tfjs 4.22's shared-memory
 * matMulPacked and SplitK programs ran the decoder's multiplies at 1.0-1.4 GFLOP/s, 60% of a smoke
 * step's device time; this kernel runs them 1.5-6.7x faster there, at 2.1-7.7 GFLOP/s
 * (`node scripts/run.mjs scripts/kernel-timings.ts --only matmul`).
 *
 * It replaces tfjs's webgpu kernels for float32 products with one batch (every multiply of
 * training, forward and backward, whatever the transposes; tf.fused.matMul with a [N] bias and a
 * linear or relu activation, applied as the product is written); batched, non-float32 or other
 * fused products go to the stock kernels. The WGSL is in wgsl/matmul.ts; planMatmul picks the
 * register block and the K split from the sizes alone. Where the device has 8-lane subgroups
 * (lavapipe; webgpu-subgroups.ts) the subgroup kernel of wgsl/matmul-subgroup.ts runs instead,
 * planned by planSubgroupMatmul (1.4-3x the tiled one there). Held to a float64 product by
 * test/core/kernels/webgpu-matmul.test.ts, all four transpose variants, several shapes in a row.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { type Epilogue, epilogueKey, MATMUL_WORKGROUP, NO_EPILOGUE, splitSumSource, tiledMatmulSource } from './wgsl/matmul';
import { SUBGROUP, subgroupMatmulSource } from './wgsl/matmul-subgroup';
import { MAIN, WgslProgram } from './webgpu-program';
import { subgroupLanes } from './webgpu-subgroups';

class TiledMatmulProgram extends WgslProgram {}
class SubgroupMatmulProgram extends WgslProgram {}
class SplitSumProgram extends WgslProgram {}

export type MatmulKernel = 'auto' | 'tiled' | 'subgroup';
let kernelChoice: MatmulKernel = 'auto';

/**
 * Which kernel the products use: 'auto' (the default) takes the subgroup kernel where the device
 * has subgroups of 8 (webgpu-subgroups.ts), else the register-tiled one; tests and benchmarks
 * force one. 'subgroup' without such a device is an error.
 */
export function useMatmulKernel(kind: MatmulKernel): void {
  if (kind === 'subgroup' && subgroupLanes() !== SUBGROUP)
    throw new Error('useMatmulKernel: this webgpu device has no subgroups of 8 lanes (lavapipe on a 256-bit CPU has them)');
  kernelChoice = kind;
}

/** The kernel a product runs on now. */
export function activeMatmulKernel(): 'tiled' | 'subgroup' {
  if (kernelChoice !== 'auto') return kernelChoice;
  return subgroupLanes() === SUBGROUP ? 'subgroup' : 'tiled';
}

export interface MatmulPlan {
  /** rows of C per invocation (strided by the workgroup size) */
  tm: number;
  /** consecutive columns of C per invocation */
  tn: number;
  /** K chunks summed afterwards (1: no split) */
  splits: number;
  kChunk: number;
  workgroups: number;
}

/** Workgroups below which a long K is split (enough to fill a GPU; lavapipe needs only a few). */
const TARGET_WORKGROUPS = 256;
/** The same for the subgroup kernel, which runs on CPU devices only (a few threads). */
const SUBGROUP_TARGET_WORKGROUPS = 64;
/** The shortest K chunk worth a split (the partial sums cost one [S, M, N] write and read). */
const MIN_K_CHUNK = 256;

const pow2AtMost = (x: number, cap: number) => {
  let p = 1;
  while (p * 2 <= Math.min(x, cap)) p *= 2;
  return p;
};

/** Register block and K split for C[M, N] = A[M, K] B[K, N]. */
/** M, K and N must be positive integers (`caller` names the planner in the error). */
function checkSizes(caller: string, m: number, k: number, n: number): void {
  for (const [name, v] of [
    ['M', m],
    ['K', k],
    ['N', n],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${caller}: ${name} must be a positive integer, got ${v}`);
  }
}

export function planMatmul(m: number, k: number, n: number): MatmulPlan {
  checkSizes('planMatmul', m, k, n);
  // As many rows a lane as fill the workgroup (8 at most), then columns up to 64 accumulators.
  // (Lanes along the columns of B, as a CPU's SIMD matmul does, ran 1.2-1.7x slower on lavapipe.)
  const tm = Math.min(8, Math.ceil(m / MATMUL_WORKGROUP));
  const tn = Math.min(pow2AtMost(Math.max(1, 2 * n - 1), 16), pow2AtMost(Math.floor(64 / tm), 16));
  const blocks = Math.ceil(m / (tm * MATMUL_WORKGROUP)) * Math.ceil(n / tn);
  return { tm, tn, ...splitK(blocks, k, TARGET_WORKGROUPS) };
}

/** K chunks for `blocks` output blocks: split when the blocks are fewer than `target` and K is long. */
function splitK(blocks: number, k: number, target: number): { splits: number; kChunk: number; workgroups: number } {
  let splits = 1;
  if (blocks < target && k >= 2 * MIN_K_CHUNK) splits = Math.min(Math.ceil(target / blocks), Math.floor(k / MIN_K_CHUNK));
  const kChunk = Math.ceil(k / splits);
  splits = Math.ceil(k / kChunk);
  return { splits, kChunk, workgroups: blocks * splits };
}

export interface SubgroupMatmulPlan {
  /** row groups of 8 per block (BM = 8 t rows) */
  t: number;
  /** column groups of 8 per block (BN = 8 j columns) */
  j: number;
  splits: number;
  kChunk: number;
  workgroups: number;
}

/**
 * Block and K split of the subgroup kernel: 64 accumulators a lane (on lavapipe 96 or 128 ran no
 * faster), as many column groups as N fills (up to 4), then the rows: 16x32, 32x16 or 64x8
 * blocks, fewer rows when M is short.
 */
export function planSubgroupMatmul(m: number, k: number, n: number): SubgroupMatmulPlan {
  checkSizes('planSubgroupMatmul', m, k, n);
  const j = pow2AtMost(Math.ceil(n / SUBGROUP) * 2 - 1, 4);
  const t = Math.min(64 / (SUBGROUP * j), Math.ceil(m / SUBGROUP));
  const blocks = Math.ceil(m / (SUBGROUP * t)) * Math.ceil(n / (SUBGROUP * j));
  return { t, j, ...splitK(blocks, k, SUBGROUP_TARGET_WORKGROUPS) };
}

/** op(a) op(b) [+ bias] [relu] with the active kernel's program (and the split sum, which then applies the epilogue). */
function runMatmul(
  backend: WebGPUBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.TensorInfo | null = null,
  relu = false,
): tf.TensorInfo {
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  const epilogue: Epilogue = { bias: bias !== null, relu };
  const key = epilogueKey(epilogue);
  const extra = bias ? [bias] : [];
  const strides = [
    transposeA ? 1 : k, // aM
    transposeA ? m : 1, // aK
    transposeB ? 1 : n, // bK
    transposeB ? k : 1, // bN
  ];
  const subgroup = activeMatmulKernel() === 'subgroup';
  const plan = subgroup ? planSubgroupMatmul(m, k, n) : planMatmul(m, k, n);
  const fused = plan.splits === 1 ? epilogue : NO_EPILOGUE;
  const spec = {
    outputShape: plan.splits === 1 ? [m, n] : [plan.splits, m, n],
    variableNames: plan.splits === 1 && bias ? ['a', 'b', 'bias'] : ['a', 'b'],
    uniforms: 'M : i32, K : i32, N : i32, S : i32, kChunk : i32, aM : i32, aK : i32, bK : i32, bN : i32,',
  };
  const suffix = plan.splits === 1 ? key : '';
  const program =
    'tm' in plan
      ? new TiledMatmulProgram({
          ...spec,
          shaderKey: `tensorf_matmul_${plan.tm}x${plan.tn}${suffix}`,
          threads: plan.workgroups * MATMUL_WORKGROUP,
          workgroupSize: MATMUL_WORKGROUP,
          code: tiledMatmulSource(MAIN, plan.tm, plan.tn, fused),
        })
      : new SubgroupMatmulProgram({
          ...spec,
          shaderKey: `tensorf_matmul_sg${plan.t}x${plan.j}${suffix}`,
          threads: plan.workgroups * SUBGROUP,
          workgroupSize: SUBGROUP,
          code: subgroupMatmulSource(MAIN, plan.t, plan.j, fused),
        });
  const uniforms = [m, k, n, plan.splits, plan.kChunk, ...strides].map((v) => ({ type: 'int32' as const, data: [v] }));
  const out = backend.runWebGPUProgram(program, plan.splits === 1 ? [a, b, ...extra] : [a, b], 'float32', uniforms);
  if (plan.splits === 1) return out;
  const sum = new SplitSumProgram({
    shaderKey: `tensorf_matmul_splitsum${key}`,
    outputShape: [m, n],
    threads: m * n,
    variableNames: bias ? ['partial', 'bias'] : ['partial'],
    uniforms: 'S : i32, N : i32,',
    size: true,
    code: splitSumSource(MAIN, epilogue),
  });
  const sumUniforms = [plan.splits, n].map((v) => ({ type: 'int32' as const, data: [v] }));
  const summed = backend.runWebGPUProgram(sum, [out, ...extra], 'float32', sumUniforms);
  backend.disposeData(out.dataId);
  return summed;
}

/** Whether the tiled kernel takes this product (one batch, float32); the rest go to the stock kernel. */
export function tiledMatmulApplies(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  const batch = (s: number[]) => s.slice(0, -2).reduce((p, d) => p * d, 1);
  const float = a.dtype === 'float32' && b.dtype === 'float32';
  const matrices = a.shape.length >= 2 && b.shape.length >= 2 && batch(a.shape) === 1 && batch(b.shape) === 1;
  return float && matrices && tf.util.sizeFromShape(a.shape) > 0 && tf.util.sizeFromShape(b.shape) > 0;
}

let stockKernel: tf.KernelConfig | undefined;

/** tfjs's own webgpu BatchMatMul, for benchmarks against it (after registerWebgpuMatmul). */
export function stockMatmulWebgpu(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (!stockKernel) throw new Error('stockMatmulWebgpu: registerWebgpuMatmul has not run');
  const info = stockKernel.kernelFunc({ inputs: { a, b }, backend: tf.backend(), attrs: { transposeA, transposeB } }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** The stock kernels' output shape: the (size-1) batch dims of the higher-rank input, then [M, N]. */
function withBatchDims(
  c: tf.TensorInfo,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  reshape: tf.KernelConfig,
  backend: WebGPUBackend,
): tf.TensorInfo {
  const rank = Math.max(a.shape.length, b.shape.length);
  const shape = [...Array(rank - 2).fill(1), c.shape[c.shape.length - 2], c.shape[c.shape.length - 1]];
  if (tf.util.arraysEqual(shape, c.shape)) return c;
  const out = reshape.kernelFunc({ inputs: { x: c }, backend: backend as unknown as tf.KernelBackend, attrs: { shape } }) as tf.TensorInfo;
  backend.disposeData(c.dataId);
  return out;
}

let registered = false;

/** Registers the tiled kernel as the webgpu BatchMatMul (idempotent). */
export function registerWebgpuMatmul(): void {
  if (registered) return;
  const stock = tf.getKernel(tf.BatchMatMul, 'webgpu');
  const stockReshape = tf.getKernel(tf.Reshape, 'webgpu');
  const stockFused = tf.getKernel(tf._FusedMatMul, 'webgpu');
  if (!stock || !stockReshape || !stockFused) throw new Error('webgpu backend not loaded: import @tensorflow/tfjs-backend-webgpu first');
  stockKernel = stock;
  tf.unregisterKernel(tf.BatchMatMul, 'webgpu');
  tf.registerKernel({
    kernelName: tf.BatchMatMul,
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const { a, b } = args.inputs as tf.BatchMatMulInputs;
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      const ai = a as tf.TensorInfo;
      const bi = b as tf.TensorInfo;
      if (!tiledMatmulApplies(ai, bi)) return stock.kernelFunc(args);
      const backend = args.backend as unknown as WebGPUBackend;
      return withBatchDims(runMatmul(backend, ai, bi, transposeA, transposeB), ai, bi, stockReshape, backend);
    },
  });
  // tf.fused.matMul (the decoders' linear layers): bias [N] and linear or relu activation fused in.
  tf.unregisterKernel(tf._FusedMatMul, 'webgpu');
  tf.registerKernel({
    kernelName: tf._FusedMatMul,
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const { a, b, bias, preluActivationWeights } = args.inputs as tf._FusedMatMulInputs;
      const { transposeA, transposeB, activation } = args.attrs as unknown as tf._FusedMatMulAttrs;
      const [ai, bi] = [a as tf.TensorInfo, b as tf.TensorInfo];
      const biasInfo = (bias as tf.TensorInfo | undefined) ?? null;
      const n = transposeB ? bi.shape[bi.shape.length - 2] : bi.shape[bi.shape.length - 1];
      const biasOk =
        biasInfo === null || (biasInfo.dtype === 'float32' && tf.util.sizeFromShape(biasInfo.shape) === n && biasInfo.shape.length === 1);
      if (!tiledMatmulApplies(ai, bi) || !biasOk || preluActivationWeights || (activation !== 'linear' && activation !== 'relu'))
        return stockFused.kernelFunc(args);
      const backend = args.backend as unknown as WebGPUBackend;
      const c = runMatmul(backend, ai, bi, transposeA, transposeB, biasInfo, activation === 'relu');
      return withBatchDims(c, ai, bi, stockReshape, backend);
    },
  });
  registered = true;
}
