/**
 * Replaces the tfjs cpu backend's BatchMatMul with the hand-written kernel for rank-2 float32
 * inputs (the decoder and basis matmuls and their gradients); anything else goes to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matmul } from './matmul';

interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

let registered = false;

export function registerFastCpuKernels(): void {
  if (registered) return;
  const original = tf.getKernel(tf.BatchMatMul, 'cpu');
  if (!original) throw new Error('cpu backend not loaded: import @tensorflow/tfjs-backend-cpu first');
  tf.unregisterKernel(tf.BatchMatMul, 'cpu');
  tf.registerKernel({
    kernelName: tf.BatchMatMul,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      if (a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== 'float32' || b.dtype !== 'float32') {
        return original.kernelFunc(args);
      }
      const backend = args.backend as unknown as CpuBackendLike;
      const m = transposeA ? a.shape[1] : a.shape[0];
      const k = transposeA ? a.shape[0] : a.shape[1];
      const n = transposeB ? b.shape[0] : b.shape[1];
      const out = matmul(backend.data.get(a.dataId).values, backend.data.get(b.dataId).values, m, k, n, transposeA, transposeB);
      return backend.makeTensorInfo([m, n], 'float32', out);
    },
  });
  registered = true;
}
