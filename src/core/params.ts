/**
 * Trainable parameters are plain Float32Arrays that the trainer owns (so the optimizer, the
 * checkpoint and the upsampling can work on them directly). A training step wraps them as
 * tensors, differentiates, and hands the gradients to the optimizer.
 */
import * as tf from '@tensorflow/tfjs-core';

export type ParamGroup = 'factors' | 'network';

export interface Param {
  name: string;
  shape: number[];
  data: Float32Array;
  group: ParamGroup;
}

export function paramSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function makeParam(name: string, shape: number[], group: ParamGroup, fill?: (i: number) => number): Param {
  const data = new Float32Array(paramSize(shape));
  if (fill) for (let i = 0; i < data.length; i++) data[i] = fill(i);
  return { name, shape, data, group };
}

/** Wraps parameters as tensors (no copy on the cpu backend). Caller disposes. */
export function paramTensors(params: readonly Param[]): tf.Tensor[] {
  return params.map((p) => tf.tensor(p.data, p.shape));
}

export function countParams(params: readonly Param[]): number {
  return params.reduce((n, p) => n + p.data.length, 0);
}

/** The name of the first array holding Inf or NaN, or null when all are finite. */
export function firstNonFinite(arrays: readonly { name: string; data: Float32Array }[]): string | null {
  for (const { name, data } of arrays) {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return name;
  }
  return null;
}
