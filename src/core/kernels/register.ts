/**
 * Replaces the tfjs cpu backend's BatchMatMul with the hand-written kernels (WebAssembly SIMD,
 * or plain JS where SIMD is unavailable) for rank-2 float32 inputs (the decoder and basis matmuls and their gradients); anything else goes to the original.
 */
import { asF32, type CpuBackendLike } from './cpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { gemm } from './gemm';
import { registerFastElementwise } from './fast-ops';

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
      const av = asF32(backend.data.get(a.dataId).values);
      const bv = asF32(backend.data.get(b.dataId).values);
      const out = gemm(av, bv, m, k, n, transposeA, transposeB);
      return backend.makeTensorInfo([m, n], 'float32', out);
    },
  });
  registerFastElementwise();
  registered = true;
}

/** True when the training code should use the hand-written host kernels (cpu backend active). */
export function hostKernelsActive(): boolean {
  return registered && tf.getBackend() === 'cpu';
}
