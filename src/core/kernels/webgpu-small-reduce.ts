/**
 * Sum and All over a short innermost run on the webgpu backend, one invocation per output
 * (issue 14). Measured on lavapipe in a smoke step, tfjs 4.22's reduce program took 870 ms for two
 * sums whose rows hold 2 and 3 values (the positional encoding's broadcast gradient,
 * [20512, 27, 2] -> [20512, 27], and the compositing's) and 147 ms for the in-box `tf.all` of
 * device-slots.ts ([68096, 3] -> [68096]): it gives each output a whole workgroup.
 *
 * Taken here: float32 Sum and bool All whose reduced axes are the innermost ones, with at most
 * SMALL_REDUCE values per output and at least one output dimension; everything else goes to the
 * stock kernel. The WGSL is in wgsl/small-reduce.ts; held to the cpu backend by
 * test/core/kernels/webgpu-small-reduce.test.ts, several shapes in a row.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { type SmallReduceOp, smallReduceSource } from './wgsl/small-reduce';
import { MAIN, WgslProgram } from './webgpu-program';

class SmallReduceProgram extends WgslProgram {}

/** Longest row reduced here (the stock program's workgroup tree pays off beyond a few dozen). */
export const SMALL_REDUCE = 32;

interface ReducePlan {
  outShape: number[];
  reduceSize: number;
}

/** The output shape and row length when the small-reduce program applies, else null. */
export function smallReducePlan(shape: number[], axis: number | number[], keepDims: boolean): ReducePlan | null {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  const rank = shape.length;
  if (axes.length === 0 || tf.backend_util.getAxesPermutation(axes, rank) !== null) return null; // not innermost
  const reduceSize = axes.reduce((p, a) => p * shape[a], 1);
  const kept = shape.filter((_, i) => !axes.includes(i));
  if (kept.length === 0 || reduceSize > SMALL_REDUCE || reduceSize < 1 || tf.util.sizeFromShape(kept) === 0) return null;
  return { outShape: keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept, reduceSize };
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
      const plan = x.dtype === inDtype ? smallReducePlan(x.shape, axis, keepDims) : null;
      if (!plan) return stock.kernelFunc(args);
      const program = new SmallReduceProgram({
        shaderKey: `tensorf_small_reduce_${op}`,
        outputShape: plan.outShape,
        threads: tf.util.sizeFromShape(plan.outShape),
        variableNames: ['x'],
        uniforms: 'reduceSize : i32,',
        size: true,
        code: smallReduceSource(MAIN, op),
      });
      const backend = args.backend as unknown as WebGPUBackend;
      return backend.runWebGPUProgram(program, [x], outDtype, [{ type: 'int32', data: [plan.reduceSize] }]);
    },
  });
}

let registered = false;

/** Registers the small-row Sum and All on webgpu (idempotent). */
export function registerWebgpuSmallReduce(): void {
  if (registered) return;
  override(tf.Sum, 'sum', 'float32', 'float32');
  override(tf.All, 'all', 'bool', 'bool');
  registered = true;
}
