/** Small shared pieces of the decoders: linear-layer parameters, their init, and the forward op. */
import * as tf from '@tensorflow/tfjs-core';
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
 * y = x W + b, or relu(x W + b), as one tf.fused.matMul (functional ops only, so no chained-op
 * registration is needed). Backends with a fused kernel (webgpu: kernels/webgpu-matmul.ts, and
 * TensorFlow) add the bias and apply the relu as they write the product; tfjs itself runs
 * matMul, add and relu separately while a gradient is being recorded with relu.
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, activation: 'linear' | 'relu' = 'linear'): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b, activation }) as tf.Tensor2D;
}

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
