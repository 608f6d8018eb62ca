/**
 * Adam (PyTorch semantics, betas (0.9, 0.99), eps 1e-8) on the parameters' own Float32Arrays.
 * Each parameter group has its learning rate; `rebuild` resets moments and step (what TensoRF
 * does at every upsampling, since the factor shapes change).
 */
import type { Param, ParamGroup } from '../params';

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
    m: params.map((p) => new Float32Array(p.data.length)),
    v: params.map((p) => new Float32Array(p.data.length)),
  };
}

export function adamStep(state: AdamState, params: readonly Param[], grads: readonly Float32Array[]): void {
  state.step += 1;
  const bc1 = 1 - BETA1 ** state.step;
  const bc2 = Math.sqrt(1 - BETA2 ** state.step);
  for (let i = 0; i < params.length; i++) {
    const p = params[i].data;
    const g = grads[i];
    const m = state.m[i];
    const v = state.v[i];
    const stepSize = state.lr[params[i].group] / bc1;
    for (let j = 0; j < p.length; j++) {
      const gj = g[j];
      const mj = BETA1 * m[j] + (1 - BETA1) * gj;
      const vj = BETA2 * v[j] + (1 - BETA2) * gj * gj;
      m[j] = mj;
      v[j] = vj;
      p[j] -= (stepSize * mj) / (Math.sqrt(vj) / bc2 + EPS);
    }
  }
}

export function decayLr(state: AdamState, factor: number): void {
  for (const k of Object.keys(state.lr) as ParamGroup[]) state.lr[k] *= factor;
}
