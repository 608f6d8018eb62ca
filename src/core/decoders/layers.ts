/** Small shared pieces of the decoders: linear-layer parameters, their init, and the forward op. */
import * as tf from '@tensorflow/tfjs-core';
import { deviceKernelsFor } from '../kernels/device-kernels';
import { makeParam, type Param } from '../params';
import type { Rng } from '../random';

/**
 * Parameters of one linear layer `name` (fanIn -> fanOut): weight `${name}.w` stored [fanIn, fanOut]
 * row-major (so y = x W + b) with entries U(-wBound, wBound), bias `${name}.b` [fanOut] with entries
 * U(-bBound, bBound). The weight is drawn first, then the bias, from `rng`.
 */
export function linearParams(name: string, fanIn: number, fanOut: number, rng: Rng, wBound: number, bBound: number): [Param, Param] {
  const w = makeParam(`${name}.w`, [fanIn, fanOut], 'network', () => rng.uniform(-wBound, wBound));
  const b = makeParam(`${name}.b`, [fanOut], 'network', () => (bBound === 0 ? 0 : rng.uniform(-bBound, bBound)));
  return [w, b];
}

/** PyTorch nn.Linear default bound, 1/sqrt(fan_in), for both weight and bias. */
export function defaultBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

/**
 * y = x W + b, or relu(x W + b), as one tf.fused.matMul kernel (functional ops only, so no
 * chained-op registration is needed). Backends with a fused kernel (webgpu:
 * kernels/webgpu-matmul.ts, and TensorFlow) add the bias and apply the relu as they write the
 * product, in training too: tfjs would split a relu fused.matMul into matMul, add and relu while
 * a gradient is recorded, so the relu layer is a custom gradient around the fused kernel.
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, activation: 'linear' | 'relu' = 'linear'): tf.Tensor2D {
  if (activation === 'relu') return linearRelu(x, w as tf.Tensor2D, b as tf.Tensor1D);
  return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
}

/**
 * relu(x W + b); gradients: g = dy * (y > 0) (the backend's fused kernel where it registered one,
 * DeviceKernels.reluGrad), dx = g W^T, dW = x^T g, db = sum of g over rows.
 */
const linearRelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, b] = args as tf.Tensor2D[];
  const save = args[3] as tf.GradSaveFunc;
  const attrs = { transposeA: false, transposeB: false, activation: 'relu' };
  const y = tf.engine().runKernel(tf._FusedMatMul, { a: x, b: w, bias: b }, attrs) as tf.Tensor2D;
  save([x, w, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws, ys] = saved as tf.Tensor2D[];
      const fused = deviceKernelsFor(tf.getBackend())?.reluGrad;
      const g = fused ? fused(dy as tf.Tensor2D, ys) : (tf.mul(dy, tf.step(ys)) as tf.Tensor2D);
      return [tf.matMul(g, ws, false, true), tf.matMul(xs, g, true, false), tf.sum(g, 0)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** Checks `p` against `params` (count and shapes) so a mis-ordered list fails loudly. */
export function checkParams(decoder: string, params: readonly Param[], p: readonly tf.Tensor[]): void {
  if (p.length !== params.length) throw new Error(`${decoder}: expected ${params.length} parameter tensors, got ${p.length}`);
  for (let i = 0; i < p.length; i++) {
    const want = params[i].shape;
    const got = p[i].shape;
    if (want.length !== got.length || want.some((s, j) => s !== got[j])) {
      throw new Error(`${decoder}: parameter ${params[i].name} has shape [${got}], expected [${want}]`);
    }
  }
}
