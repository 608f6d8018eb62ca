/**
 * tfjs ops with hand-written CPU kernels (forward and backward) behind tf.customGrad, so the
 * training loss stays an ordinary differentiable tf function. They read their inputs with
 * dataSync, which is free on the cpu backend (the tensor's own buffer).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Vec3 } from '../field/geometry';
import type { VMMode } from '../field/vm-kernels';
import { vmBackwardThreads, vmForwardThreads } from '../parallel/vm';
import { accumulateBackward, accumulateForward, type Packing, weightsBackward, weightsForward } from './composite';

const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;

/**
 * Samples the factors (3 planes then 3 lines) at packed normalised coords. On several compute
 * threads the gradients of a mode come back in buffers reused by the next backward of that mode
 * (parallel/vm.ts): a differentiated function may call this once per mode, as renderBatch does.
 */
export function vmSample(
  planes: tf.Tensor[],
  lines: tf.Tensor[],
  comps: number,
  reso: Vec3,
  coords: Float32Array,
  n: number,
  mode: VMMode,
): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ts = args.slice(0, 6) as tf.Tensor[];
    const factors = { planes: ts.slice(0, 3).map(f32), lines: ts.slice(3, 6).map(f32), comps, reso };
    // the forward keeps the points' taps for this op's backward (one vmSample per mode per step)
    const out = vmForwardThreads(factors, coords, n, mode, 0, true);
    const value = mode === 'sum' ? tf.tensor1d(out) : tf.tensor2d(out, [n, 3 * comps]);
    const gradFunc = (dy: tf.Tensor) => {
      const g = vmBackwardThreads(factors, coords, n, mode, f32(dy), true);
      return [...g.planes.map((d, i) => tf.tensor(d, ts[i].shape)), ...g.lines.map((d, i) => tf.tensor(d, ts[3 + i].shape))];
    };
    return { value, gradFunc };
  });
  return op(...planes, ...lines);
}

/** Compositing weights w [S] from sigma [S]. */
export function compositeWeights(sigma: tf.Tensor1D, pk: Packing, scale: number): tf.Tensor1D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const s = f32(args[0] as tf.Tensor);
    const value = tf.tensor1d(weightsForward(s, pk, scale));
    const gradFunc = (dy: tf.Tensor) => tf.tensor1d(weightsBackward(s, pk, scale, f32(dy)));
    return { value, gradFunc };
  });
  return op(sigma) as tf.Tensor1D;
}

/** rgbMap [R, 3] = sum of w * rgb over each ray's decoded samples + (1 - acc) (white). */
export function accumulate(w: tf.Tensor1D, rgb: tf.Tensor2D, idx: Int32Array, rayOf: Int32Array, nRays: number): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const wd = f32(args[0] as tf.Tensor);
    const rd = f32(args[1] as tf.Tensor);
    const value = tf.tensor2d(accumulateForward(wd, rd, idx, rayOf, nRays), [nRays, 3]);
    const gradFunc = (dy: tf.Tensor) => {
      const g = accumulateBackward(wd, rd, idx, rayOf, f32(dy));
      return [tf.tensor1d(g.dW), tf.tensor2d(g.dRgb, [idx.length, 3])];
    };
    return { value, gradFunc };
  });
  return op(w, rgb) as tf.Tensor2D;
}

/** sum over tensors of mean(|x|), with gradient sign(x) / size. */
export function meanAbsSum(xs: tf.Tensor[]): tf.Scalar {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ts = args.slice(0, xs.length) as tf.Tensor[];
    let total = 0;
    for (const t of ts) {
      const d = f32(t);
      let s = 0;
      for (let i = 0; i < d.length; i++) s += Math.abs(d[i]);
      total += s / d.length;
    }
    const gradFunc = (dy: tf.Tensor) => {
      const g = f32(dy)[0];
      return ts.map((t) => {
        const d = f32(t);
        const out = new Float32Array(d.length);
        const k = g / d.length;
        for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? k : d[i] < 0 ? -k : 0;
        return tf.tensor(out, t.shape);
      });
    };
    return { value: tf.scalar(total), gradFunc };
  });
  return op(...xs) as tf.Scalar;
}
