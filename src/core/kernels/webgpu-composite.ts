/**
 * Fused WebGPU compositing (issue 14): the numbers and contract of compositeWeightsTf
 * (render/ops-tf.ts) in one dispatch forward and one backward, instead of the ~10 element-wise,
 * log, cumsum (a reverse cumsum backward) and exp programs of the plain-ops version; and of
 * accumulateTf in one dispatch forward and two backward. The WGSL is in wgsl/composite.ts; held
 * to the plain-ops versions and to the host kernels (render/composite.ts) by
 * test/core/kernels/webgpu-composite.test.ts, several shapes in a row.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  accumulateForwardSource,
  accumulateGradRgbSource,
  accumulateGradWeightsSource,
  compositeBackwardSource,
  compositeForwardSource,
  expm1Source,
} from './wgsl/composite';
import { MAIN, runProgram, webgpuBackend, WgslProgram } from './webgpu-program';

class CompositeForwardProgram extends WgslProgram {}
class CompositeBackwardProgram extends WgslProgram {}
class Expm1Program extends WgslProgram {}
class AccumulateForwardProgram extends WgslProgram {}
class AccumulateBackwardProgram extends WgslProgram {}

const WORKGROUP = 64;

function checkDense(caller: string, sigma: tf.Tensor, delta: tf.Tensor): void {
  if (sigma.rank !== 2 || !tf.util.arraysEqual(sigma.shape, delta.shape)) {
    throw new Error(`${caller}: sigma [${sigma.shape}] and delta [${delta.shape}] must both be [R, N]`);
  }
}

/** dL/dsigma for dL/dw = dw (all [R, N]); the backward half of compositeWeightsWebgpu. */
export function compositeWeightsBackwardWebgpu(sigma: tf.Tensor2D, delta: tf.Tensor2D, dw: tf.Tensor2D, scale: number): tf.Tensor2D {
  const backend = webgpuBackend('compositeWeightsBackwardWebgpu', 'compositeWeightsTf');
  checkDense('compositeWeightsBackwardWebgpu', sigma, delta);
  if (!tf.util.arraysEqual(dw.shape, sigma.shape))
    throw new Error(`compositeWeightsBackwardWebgpu: dw [${dw.shape}] must be [${sigma.shape}]`);
  const program = new CompositeBackwardProgram({
    shaderKey: 'tensorf_composite_bwd',
    outputShape: sigma.shape,
    threads: sigma.shape[0],
    variableNames: ['sigma', 'delta', 'dw'],
    uniforms: 'scale : f32,',
    workgroupSize: WORKGROUP,
    code: compositeBackwardSource(MAIN),
  });
  return runProgram(backend, program, [sigma, delta, dw], [{ type: 'float32', data: [scale] }]) as tf.Tensor2D;
}

function forward(backend: ReturnType<typeof webgpuBackend>, sigma: tf.Tensor2D, delta: tf.Tensor2D, scale: number): tf.Tensor2D {
  const program = new CompositeForwardProgram({
    shaderKey: 'tensorf_composite_fwd',
    outputShape: sigma.shape,
    threads: sigma.shape[0],
    variableNames: ['sigma', 'delta'],
    uniforms: 'scale : f32,',
    workgroupSize: WORKGROUP,
    code: compositeForwardSource(MAIN),
  });
  return runProgram(backend, program, [sigma, delta], [{ type: 'float32', data: [scale] }]) as tf.Tensor2D;
}

/**
 * Compositing weights on a dense [R, N] grid, as compositeWeightsTf:
 *   alpha = 1 - exp(-sigma * delta * scale) (as -expm1), T_k = prod_{j<k} (1 - alpha_j + 1e-10),
 *   w = alpha * T.
 * Differentiable w.r.t. sigma (tf.customGrad; the backward is compositeWeightsBackwardWebgpu).
 * delta is a constant here: it is not an input of the custom gradient, so asking tfjs for a
 * gradient w.r.t. delta fails loudly instead of returning zeros (compositeWeightsTf gives one).
 * The webgpu backend must be active.
 */
export function compositeWeightsWebgpu(sigma: tf.Tensor2D, delta: tf.Tensor2D, scale: number): tf.Tensor2D {
  const backend = webgpuBackend('compositeWeightsWebgpu', 'compositeWeightsTf');
  checkDense('compositeWeightsWebgpu', sigma, delta);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const s = args[0] as tf.Tensor2D;
    return {
      value: forward(backend, s, delta, scale),
      gradFunc: (dy: tf.Tensor) => compositeWeightsBackwardWebgpu(s, delta, dy as tf.Tensor2D, scale),
    };
  });
  return f(sigma) as tf.Tensor2D;
}

/** Element-wise expm1 accurate to float32 rounding (the one the compositing kernels use). */
export function expm1Webgpu(x: tf.Tensor): tf.Tensor {
  const backend = webgpuBackend('expm1Webgpu', 'tf.expm1');
  const program = new Expm1Program({
    shaderKey: 'tensorf_expm1',
    outputShape: x.shape,
    threads: x.size,
    variableNames: ['x'],
    size: true,
    workgroupSize: 128,
    code: expm1Source(MAIN),
  });
  return runProgram(backend, program, [x]);
}

/**
 * rgb [R, 3] = sum_n w * mask * rgb + (1 - sum_n w) (white background), as accumulateTf.
 * Differentiable w.r.t. w and rgb (tf.customGrad); mask is a constant (not an input of the
 * custom gradient, so a gradient w.r.t. it fails loudly). The webgpu backend must be active.
 */
export function accumulateWebgpu(w: tf.Tensor2D, rgb: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const backend = webgpuBackend('accumulateWebgpu', 'accumulateTf');
  const [R, N] = w.shape;
  if (w.rank !== 2 || !tf.util.arraysEqual(mask.shape, [R, N]) || !tf.util.arraysEqual(rgb.shape, [R, N, 3])) {
    throw new Error(
      `accumulateWebgpu: expected w and mask [${R}, ${N}] and rgb [${R}, ${N}, 3], got w [${w.shape}], mask [${mask.shape}], rgb [${rgb.shape}]`,
    );
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [wt, rgbt] = args as [tf.Tensor2D, tf.Tensor3D];
    const save = args[2] as tf.GradSaveFunc;
    save([wt, rgbt, mask]); // kept for the backward (a mask made inside the differentiated function would be disposed before it)
    const program = new AccumulateForwardProgram({
      shaderKey: 'tensorf_accumulate_fwd',
      outputShape: [R, 3],
      threads: R,
      variableNames: ['weights', 'rgb', 'mask'],
      workgroupSize: WORKGROUP,
      code: accumulateForwardSource(MAIN),
    });
    const value = runProgram(backend, program, [wt, rgbt, mask]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [ws, rgbs, masks] = saved as [tf.Tensor2D, tf.Tensor3D, tf.Tensor2D];
      const dW = new AccumulateBackwardProgram({
        shaderKey: 'tensorf_accumulate_dw',
        outputShape: [R, N],
        threads: R * N,
        variableNames: ['mask', 'rgb', 'dout'],
        size: true,
        workgroupSize: 128,
        code: accumulateGradWeightsSource(MAIN),
      });
      const dRgb = new AccumulateBackwardProgram({
        shaderKey: 'tensorf_accumulate_drgb',
        outputShape: [R, N, 3],
        threads: R * N,
        variableNames: ['weights', 'mask', 'dout'],
        workgroupSize: 128,
        code: accumulateGradRgbSource(MAIN),
      });
      return [runProgram(backend, dW, [masks, rgbs, dy]), runProgram(backend, dRgb, [ws, masks, dy])];
    };
    return { value, gradFunc };
  });
  return f(w, rgb) as tf.Tensor2D;
}
