/**
 * Sum and All on the webgpu backend where tfjs 4.22's reduce program does badly (issue 14):
 *
 * - over a short innermost run (at most SMALL_REDUCE values an output): one invocation per output.
 *   tfjs gives each output a workgroup; measured on lavapipe in a smoke step, it took 870 ms for two
 *   sums whose rows hold 2 and 3 values (the positional encoding's broadcast gradient,
 *   [20512, 27, 2] -> [20512, 27], and the compositing's) and 147 ms for the in-box `tf.all` of
 *   device-slots.ts ([68096, 3] -> [68096]).
 * - over leading axes (float32 Sum only; a bias gradient, [20512, 128] -> [128]): column sums in
 *   chunks of rows, then over the chunks. tfjs transposes the input first (about 30 ms a call there).
 *
 * Float32 Sum and bool All; everything else (and any reduction to a scalar) goes to the stock
 * kernel. Sums are taken in a fixed order. The WGSL is in wgsl/reduce.ts; held to sums written in
 * the test by test/core/kernels/webgpu-reduce.test.ts, several shapes in a row.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { columnSumSource, type SmallReduceOp, smallReduceSource } from './wgsl/reduce';
import { MAIN, WgslProgram } from './webgpu-program';

class SmallReduceProgram extends WgslProgram {}
class ColumnSumProgram extends WgslProgram {}

/** Longest row reduced by one invocation (the stock program's workgroup tree pays off beyond a few dozen). */
export const SMALL_REDUCE = 32;
/** Rows a column-sum invocation adds in its first pass. */
export const COLUMN_CHUNK = 256;

export interface ReducePlan {
  kind: 'rows' | 'columns';
  outShape: number[];
  /** rows: values per output; columns: rows summed per column */
  reduceSize: number;
}

/** How the reduction of `shape` over `axis` runs here, or null for the stock kernel. */
export function reducePlan(shape: number[], axis: number | number[], keepDims: boolean, columnsAllowed: boolean): ReducePlan | null {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  const rank = shape.length;
  const kept = shape.filter((_, i) => !axes.includes(i));
  if (axes.length === 0 || kept.length === 0 || tf.util.sizeFromShape(shape) === 0) return null;
  const reduceSize = axes.reduce((p, a) => p * shape[a], 1);
  const outShape = keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept;
  const innermost = tf.backend_util.getAxesPermutation(axes, rank) === null;
  if (innermost) return reduceSize <= SMALL_REDUCE ? { kind: 'rows', outShape, reduceSize } : null;
  const leading = axes.every((a, i) => a === i);
  return leading && columnsAllowed ? { kind: 'columns', outShape, reduceSize } : null;
}

/** Sum over the leading rows of x viewed as [rows, cols]: chunked partial sums, then their sum. */
function columnSum(backend: WebGPUBackend, x: tf.TensorInfo, plan: ReducePlan): tf.TensorInfo {
  const rows = plan.reduceSize;
  const cols = tf.util.sizeFromShape(x.shape) / rows;
  const pass = (input: tf.TensorInfo, nRows: number, chunk: number, outputShape: number[]) => {
    const program = new ColumnSumProgram({
      shaderKey: 'tensorf_column_sum',
      outputShape,
      threads: tf.util.sizeFromShape(outputShape),
      variableNames: ['x'],
      uniforms: 'rows : i32, cols : i32, chunk : i32,',
      size: true,
      code: columnSumSource(MAIN),
    });
    const u = [nRows, cols, chunk].map((v) => ({ type: 'int32' as const, data: [v] }));
    return backend.runWebGPUProgram(program, [input], 'float32', u);
  };
  const chunks = Math.ceil(rows / COLUMN_CHUNK);
  if (chunks === 1) return pass(x, rows, rows, plan.outShape);
  const partial = pass(x, rows, COLUMN_CHUNK, [chunks, cols]);
  const out = pass(partial, chunks, chunks, plan.outShape);
  backend.disposeData(partial.dataId);
  return out;
}

function override(kernelName: string, op: SmallReduceOp, inDtype: tf.DataType, outDtype: tf.DataType): void {
  const stock = tf.getKernel(kernelName, 'webgpu');
  if (!stock) throw new Error('webgpu backend not loaded: import @tensorflow/tfjs-backend-webgpu first');
  tf.unregisterKernel(kernelName, 'webgpu');
  tf.registerKernel({
    kernelName,
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const plan = x.dtype === inDtype ? reducePlan(x.shape, axis, keepDims, op === 'sum') : null;
      if (!plan) return stock.kernelFunc(args);
      const backend = args.backend as unknown as WebGPUBackend;
      if (plan.kind === 'columns') return columnSum(backend, x, plan);
      const program = new SmallReduceProgram({
        shaderKey: `tensorf_small_reduce_${op}`,
        outputShape: plan.outShape,
        threads: tf.util.sizeFromShape(plan.outShape),
        variableNames: ['x'],
        uniforms: 'reduceSize : i32,',
        size: true,
        code: smallReduceSource(MAIN, op),
      });
      return backend.runWebGPUProgram(program, [x], outDtype, [{ type: 'int32', data: [plan.reduceSize] }]);
    },
  });
}

let registered = false;

/** Registers these Sum and All kernels on webgpu (idempotent). */
export function registerWebgpuReduce(): void {
  if (registered) return;
  override(tf.Sum, 'sum', 'float32', 'float32');
  override(tf.All, 'all', 'bool', 'bool');
  registered = true;
}
