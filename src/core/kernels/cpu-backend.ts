/**
 * The part of tfjs's cpu backend that the hand-written kernels use: reading a tensor's values and
 * making an output tensor from a Float32Array (tfjs-backend-cpu does not export its class type).
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface CpuBackendLike {
  data: { get(id: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** The cpu backend may hold small tensors' values as other array types. */
export const asF32 = (v: ArrayLike<number>): Float32Array => (v instanceof Float32Array ? v : Float32Array.from(v));
