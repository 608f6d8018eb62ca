/**
 * Fused WebGPU Adam update (issue 14): adamUpdateTf's numbers (train/adam-tf.ts, the formula of
 * train/adam.ts) in three dispatches, one per output (a tfjs program writes one tensor), instead
 * of the thirteen element-wise programs of the plain-ops version. The WGSL is in wgsl/adam.ts;
 * held to adamUpdateTf and to adamStep by test/core/kernels/webgpu-adam.test.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { adamScalars, type AdamUpdateOptions, checkAdamInputs } from './adam-scalars';
import { ADAM_UNIFORMS, ADAM_VARIABLES, type AdamOutput, adamSource } from './wgsl/adam';
import { MAIN, runProgram, type Uniform, webgpuBackend, WgslProgram } from './webgpu-program';

class AdamParamProgram extends WgslProgram {}
class AdamMomentProgram extends WgslProgram {}

const WORKGROUP = 256;

/**
 * Returns the new [param, m, v] as adamUpdateTf does (new tensors; the inputs are left as they
 * are). The webgpu backend must be active.
 */
export function adamUpdateWebgpu<T extends tf.Tensor>(param: T, m: T, v: T, grad: T, opts: AdamUpdateOptions): [T, T, T] {
  const backend = webgpuBackend('adamUpdateWebgpu', 'adamUpdateTf');
  checkAdamInputs('adamUpdateWebgpu', param, m, v, grad);
  const s = adamScalars('adamUpdateWebgpu', opts);
  const uniforms: Uniform[] = [s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.stepSize, s.bc2, s.eps].map((x) => ({
    type: 'float32',
    data: [x],
  }));
  const vec4 = param.size % 4 === 0;
  const inputs: Record<string, T> = { param, mom1: m, mom2: v, grad };
  const run = (out: AdamOutput): T => {
    const Program = out === 'param' ? AdamParamProgram : AdamMomentProgram;
    const program = new Program({
      shaderKey: `tensorf_adam_${out}${vec4 ? '_vec4' : ''}`,
      outputShape: param.shape,
      threads: vec4 ? param.size / 4 : param.size,
      variableNames: ADAM_VARIABLES[out],
      uniforms: ADAM_UNIFORMS,
      size: true,
      workgroupSize: WORKGROUP,
      outputComponent: vec4 ? 4 : 1,
      code: adamSource(MAIN, out, vec4),
    });
    return runProgram(
      backend,
      program,
      ADAM_VARIABLES[out].map((n) => inputs[n]),
      uniforms,
    ) as T;
  };
  return [run('param'), run('m'), run('v')];
}
