/**
 * Adam (PyTorch semantics, betas (0.9, 0.99), eps 1e-8) on the parameters' own Float32Arrays.
 * Each parameter group has its learning rate; `rebuild` resets moments and step (what TensoRF
 * does at every upsampling, since the factor shapes change).
 */
import { adamRange } from '../kernels/adam-range';
import { adamScalars } from '../kernels/adam-scalars';
import { pool } from '../parallel/threads';
import { isShared, sharedF32 } from '../shared-memory';
import type { Param, ParamGroup } from '../params';

/** Parameters smaller than this are updated on the calling thread (a pool call costs more). */
const PARALLEL_MIN = 65536;

export interface AdamState {
  step: number;
  lr: Record<ParamGroup, number>;
  m: Float32Array[];
  v: Float32Array[];
}

export const BETA1 = 0.9;
export const BETA2 = 0.99;
export const EPS = 1e-8;

export function createAdam(params: readonly Param[], lr: Record<ParamGroup, number>): AdamState {
  return {
    step: 0,
    lr: { ...lr },
    m: params.map((p) => sharedF32(p.data.length)),
    v: params.map((p) => sharedF32(p.data.length)),
  };
}

/**
 * One update of every parameter. Large parameters whose arrays are all in shared memory are cut
 * between the compute threads (elementwise, so the bits do not depend on the cut).
 */
export function adamStep(state: AdamState, params: readonly Param[], grads: readonly Float32Array[]): void {
  state.step += 1;
  const threads = pool();
  for (let i = 0; i < params.length; i++) {
    const p = params[i].data;
    const g = grads[i];
    const m = state.m[i];
    const v = state.v[i];
    const k = adamScalars('adamStep', { lr: state.lr[params[i].group], beta1: BETA1, beta2: BETA2, eps: EPS, step: state.step });
    if (threads.size > 1 && p.length >= PARALLEL_MIN && [p, g, m, v].every(isShared)) threads.run('adam', { p, g, m, v, k }, p.length);
    else adamRange(p, g, m, v, k, 0, p.length);
  }
}

export function decayLr(state: AdamState, factor: number): void {
  for (const k of Object.keys(state.lr) as ParamGroup[]) state.lr[k] *= factor;
}
