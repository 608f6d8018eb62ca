/**
 * Adam on the device, in plain tf ops, with the formula of adam.ts (PyTorch semantics): per
 * parameter m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
 * p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps), the variables updated in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type AdamState, BETA1, BETA2, EPS } from './adam';

export interface DeviceMoments {
  params: tf.Variable[];
  m: tf.Variable[];
  v: tf.Variable[];
  groups: ('factors' | 'network')[];
}

export function adamStepDevice(state: AdamState, r: DeviceMoments, grads: readonly tf.Tensor[]): void {
  state.step += 1;
  const bc1 = 1 - BETA1 ** state.step;
  const bc2 = Math.sqrt(1 - BETA2 ** state.step);
  for (let i = 0; i < r.params.length; i++) {
    const stepSize = state.lr[r.groups[i]] / bc1;
    tf.tidy(() => {
      const g = grads[i];
      const m = tf.add(tf.mul(r.m[i], BETA1), tf.mul(g, 1 - BETA1));
      const v = tf.add(tf.mul(r.v[i], BETA2), tf.mul(tf.square(g), 1 - BETA2));
      const p = tf.sub(r.params[i], tf.div(tf.mul(m, stepSize), tf.add(tf.div(tf.sqrt(v), bc2), EPS)));
      r.m[i].assign(m);
      r.v[i].assign(v);
      r.params[i].assign(p);
    });
  }
}
