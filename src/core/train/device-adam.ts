/**
 * Adam on the device with the formula of adam.ts (PyTorch semantics): per parameter
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps),
 * the variables updated in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deviceKernelsFor } from '../kernels/device-kernels';
import { type AdamState, BETA1, BETA2, EPS } from './adam';
import { adamUpdateTf } from './adam-tf';

export interface DeviceMoments {
  params: tf.Variable[];
  m: tf.Variable[];
  v: tf.Variable[];
  groups: ('factors' | 'network')[];
}

/** One Adam step on every variable; the update kernel is the backend's fused one when registered, else adamUpdateTf. */
export function adamStepDevice(state: AdamState, r: DeviceMoments, grads: readonly tf.Tensor[]): void {
  state.step += 1;
  const update = deviceKernelsFor(tf.getBackend())?.adamUpdate ?? adamUpdateTf;
  for (let i = 0; i < r.params.length; i++) {
    const opts = { lr: state.lr[r.groups[i]], beta1: BETA1, beta2: BETA2, eps: EPS, step: state.step };
    tf.tidy(() => {
      const [p, m, v] = update(r.params[i], r.m[i], r.v[i], grads[i], opts);
      r.m[i].assign(m);
      r.v[i].assign(v);
      r.params[i].assign(p);
    });
  }
}
