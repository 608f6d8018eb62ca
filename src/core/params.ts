/**
 * Trainable parameters are plain Float32Arrays that the trainer owns (so the optimizer, the
 * checkpoint and the upsampling can work on them directly). A training step wraps them as
 * tensors, differentiates, and hands the gradients to the optimizer. The arrays are in shared
 * memory (shared-memory.ts), so the compute threads read and update them in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sharedF32 } from './shared-memory';

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
  const data = sharedF32(paramSize(shape));
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

/**
 * The model's parameters by name (DESIGN.md section 4): per axis pair the density and appearance
 * planes and lines, the basis matrix, then the decoder's. `T` is whatever stands for a parameter
 * (a Param, a tensor, a gradient). The flat order (`flatGroups`) is the model's parameter order.
 */
export interface ParamGroups<T> {
  densityPlanes: T[];
  densityLines: T[];
  appPlanes: T[];
  appLines: T[];
  basis: T;
  decoder: T[];
}

const PAIRS = 3;

/** Names the entries of a list in the model's parameter order (3+3+3+3 factors, basis, decoder). */
export function groupParams<T>(flat: readonly T[]): ParamGroups<T> {
  if (flat.length < 4 * PAIRS + 1) throw new Error(`groupParams: expected at least ${4 * PAIRS + 1} entries, got ${flat.length}`);
  return {
    densityPlanes: flat.slice(0, PAIRS),
    densityLines: flat.slice(PAIRS, 2 * PAIRS),
    appPlanes: flat.slice(2 * PAIRS, 3 * PAIRS),
    appLines: flat.slice(3 * PAIRS, 4 * PAIRS),
    basis: flat[4 * PAIRS],
    decoder: flat.slice(4 * PAIRS + 1),
  };
}

export function flatGroups<T>(g: ParamGroups<T>): T[] {
  return [...g.densityPlanes, ...g.densityLines, ...g.appPlanes, ...g.appLines, g.basis, ...g.decoder];
}

/** The density factors (the entries the L1 term regularises). */
export function densityFactorsOf<T>(g: ParamGroups<T>): T[] {
  return [...g.densityPlanes, ...g.densityLines];
}
