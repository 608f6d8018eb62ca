/**
 * The field kernels a device render path is built from: VM factor sampling and compositing
 * weights, with the contracts of the plain-tf-ops references in ops-tf.ts. A backend-specific
 * fast path (a fused WGSL kernel) is another FieldOps with the same signatures, held to the
 * reference by tests; `fieldOpsFor` picks the set of a backend.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { VMMode } from '../field/vm-kernels';
import { deviceKernelsFor } from '../kernels/device-kernels';
import { compositeWeightsTf, vmSampleTf } from './ops-tf';

export interface FieldOps {
  readonly name: string;
  /** planes 3 x [H, W, C], lines 3 x [L, C], coords [S, 3]; 'sum' -> [S], 'products' -> [S, 3C]; 0 where valid is 0. */
  vmSample(planes: tf.Tensor[], lines: tf.Tensor[], coords: tf.Tensor2D, mode: VMMode, valid?: tf.Tensor1D): tf.Tensor;
  /** Compositing weights [R, N] from sigma and delta [R, N] (differentiable w.r.t. sigma). */
  compositeWeights(sigma: tf.Tensor2D, delta: tf.Tensor2D, scale: number): tf.Tensor2D;
}

export const TF_FIELD_OPS: FieldOps = {
  name: 'tf-ops',
  vmSample: (planes, lines, coords, mode, valid) => vmSampleTf(planes, lines, coords, mode, valid),
  compositeWeights: compositeWeightsTf,
};

/** The field kernels of a device backend: its registered fused ones (kernels/device-kernels.ts), each falling back to the reference. */
export function fieldOpsFor(backend: string): FieldOps {
  const k = deviceKernelsFor(backend);
  if (!k || (!k.vmSample && !k.compositeWeights)) return TF_FIELD_OPS;
  return {
    name: k.name,
    vmSample: k.vmSample ? (planes, lines, coords, mode, valid) => k.vmSample!(planes, lines, coords, mode, valid) : TF_FIELD_OPS.vmSample,
    compositeWeights: k.compositeWeights ?? TF_FIELD_OPS.compositeWeights,
  };
}
