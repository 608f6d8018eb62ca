/**
 * One Adam update of a parameter tensor in plain tf ops, on any backend (the on-device training
 * step's optimizer; DESIGN.md section 3). The same formula and constants as the host update in
 * train/adam.ts (kernels/adam-scalars.ts), and the reference that the fused WebGPU update
 * (kernels/webgpu-adam.ts) is held to.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamScalars, type AdamUpdateOptions, checkAdamInputs } from '../kernels/adam-scalars';

export type { AdamUpdateOptions } from '../kernels/adam-scalars';

/**
 * Returns the new [param, m, v] (new tensors; the inputs are left as they are, for the caller to
 * dispose or to assign to its variables):
 *   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g g
 *   p' = p - lr / (1 - beta1^t) m' / (sqrt(v') / sqrt(1 - beta2^t) + eps),  t = opts.step
 */
export function adamUpdateTf<T extends tf.Tensor>(param: T, m: T, v: T, grad: T, opts: AdamUpdateOptions): [T, T, T] {
  checkAdamInputs('adamUpdateTf', param, m, v, grad);
  const s = adamScalars('adamUpdateTf', opts);
  return tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, s.beta1), tf.mul(grad, s.oneMinusBeta1));
    const v1 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.mul(grad, s.oneMinusBeta2), grad));
    const denom = tf.add(tf.div(tf.sqrt(v1), s.bc2), s.eps);
    const p1 = tf.sub(param, tf.div(tf.mul(m1, s.stepSize), denom));
    return [p1, m1, v1] as [T, T, T];
  });
}
