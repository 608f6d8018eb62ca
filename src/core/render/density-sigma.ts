/**
 * sigma = softplus(feature + shift) as one op with its gradient (issue 13), the values of the tf
 * ops it replaces on the cpu backend, bit for bit: tf.add of a float32 scalar (one float32
 * rounding), tfjs-backend-cpu's Softplus (its thresholds, in double, rounded once), and the
 * gradient tfjs-core gives softplus, dy * sigmoid(x) with sigmoid(x) = 1 / (1 + exp(-x)) rounded
 * and the product rounded. One array out and one back instead of the four (add, softplus,
 * sigmoid, product) tfjs makes, and no tensors at all in a render's march.
 * test/core/render/density-sigma.test.ts holds it to tf.softplus(tf.add(...)) and its gradient.
 */
import * as tf from '@tensorflow/tfjs-core';

/** tfjs-backend-cpu's Softplus thresholds: log(float32 epsilon) + 2. */
const THRESHOLD = Math.log(1.1920928955078125e-7) + 2;

/** tfjs-backend-cpu's softplus of one value (in double; the caller rounds). */
function softplusCpu(x: number): number {
  const expX = Math.exp(x);
  if (x < THRESHOLD) return expX;
  if (x > -THRESHOLD) return x;
  return Math.log(1 + expX);
}

/** sigma[i] = softplus(f32(feature[i] + shift)) for i < n; `shifted` (optional) receives the f32 sums. */
export function densitySigmaValues(feature: Float32Array, n: number, shift: number, shifted?: Float32Array): Float32Array {
  const s = Math.fround(shift);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = Math.fround(feature[i] + s);
    if (shifted) shifted[i] = x;
    out[i] = softplusCpu(x);
  }
  return out;
}

/** The differentiable op: sigma [n] from feature [n] (a tfjs custom op on the host arrays). */
export function densitySigma(feature: tf.Tensor1D, shift: number): tf.Tensor1D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const f = (args[0] as tf.Tensor).dataSync() as Float32Array;
    const n = f.length;
    const x = new Float32Array(n);
    const value = tf.tensor1d(densitySigmaValues(f, n, shift, x));
    const gradFunc = (dy: tf.Tensor) => {
      const d = dy.dataSync() as Float32Array;
      const g = new Float32Array(n);
      for (let i = 0; i < n; i++) g[i] = d[i] * Math.fround(1 / (1 + Math.exp(-x[i])));
      return [tf.tensor1d(g)];
    };
    return { value, gradFunc };
  });
  return op(feature) as tf.Tensor1D;
}
