/**
 * Replaces the tfjs cpu backend's BatchMatMul with the hand-written kernels (WebAssembly SIMD,
 * or plain JS where SIMD is unavailable) for rank-2 float32 inputs (the decoder and basis matmuls and their gradients); anything else goes to the original.
 * Its _FusedMatMul too (tf.fused.matMul: the decoders' linear layers on the plain-ops path), for
 * a [N] bias and a linear or relu activation: tfjs's own calls its internal matmul, not the kernel
 * registered here.
 */
import { asF32, type CpuBackendLike } from './cpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { gemm } from './gemm';
import { registerFastElementwise } from './fast-ops';

let registered = false;

export function registerFastCpuKernels(): void {
  if (registered) return;
  const original = tf.getKernel(tf.BatchMatMul, 'cpu');
  const originalFused = tf.getKernel(tf._FusedMatMul, 'cpu');
  if (!original || !originalFused) throw new Error('cpu backend not loaded: import @tensorflow/tfjs-backend-cpu first');
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
      const { out, shape } = product(backend, a, b, transposeA, transposeB);
      return backend.makeTensorInfo(shape, 'float32', out);
    },
  });
  tf.unregisterKernel(tf._FusedMatMul, 'cpu');
  tf.registerKernel({
    kernelName: tf._FusedMatMul,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const { a, b, bias, preluActivationWeights } = args.inputs as tf._FusedMatMulInputs as Record<string, tf.TensorInfo | undefined>;
      const { transposeA, transposeB, activation } = args.attrs as unknown as tf._FusedMatMulAttrs;
      // tf.fused.matMul hands the kernel [1, rows, cols] operands
      const matrix = (t: tf.TensorInfo) =>
        t.shape.length >= 2 && t.dtype === 'float32' && tf.util.sizeFromShape(t.shape.slice(0, -2)) === 1;
      const n = b!.shape[b!.shape.length - (transposeB ? 2 : 1)];
      const biasOk = !bias || (bias.shape.length === 1 && bias.shape[0] === n && bias.dtype === 'float32');
      if (!matrix(a!) || !matrix(b!) || !biasOk || preluActivationWeights || (activation !== 'linear' && activation !== 'relu'))
        return originalFused.kernelFunc(args);
      const backend = args.backend as unknown as CpuBackendLike;
      const { out, shape } = product(backend, a!, b!, transposeA, transposeB);
      const batchDims = Array(Math.max(a!.shape.length, b!.shape.length) - 2).fill(1);
      const bv = bias ? asF32(backend.data.get(bias.dataId).values) : null;
      for (let i = 0; i < out.length; i++) {
        const v = bv ? out[i] + bv[i % n] : out[i];
        out[i] = activation === 'relu' && v < 0 ? 0 : v;
      }
      return backend.makeTensorInfo([...batchDims, ...shape], 'float32', out);
    },
  });
  registerFastElementwise();
  registered = true;
}

/** op(a) op(b) of float32 matrices (the last two dims of a and b) with the hand-written GEMM: [M, N]. */
function product(backend: CpuBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean) {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  const av = asF32(backend.data.get(a.dataId).values);
  const bv = asF32(backend.data.get(b.dataId).values);
  return { out: gemm(av, bv, m, k, n, transposeA, transposeB), shape: [m, n] };
}

/** True when the training code should use the hand-written host kernels (cpu backend active). */
export function hostKernelsActive(): boolean {
  return registered && tf.getBackend() === 'cpu';
}
