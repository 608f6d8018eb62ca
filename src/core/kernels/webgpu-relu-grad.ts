/**
 * reluGradWebgpu: the relu layer's gradient mask, dy where y > 0 and 0 elsewhere (the numbers of
 * tf.mul(dy, tf.step(y)) in decoders/layers.ts, except that a masked entry is +0, never -0), as one
 * WebGPU program instead of tfjs's step and multiply: on lavapipe those two were 75 ms of a smoke
 * step's 1049 (two hidden layers of [30k, 128]). Four values an invocation (vec4) when the size is a
 * multiple of 4. Held to the plain ops by test/core/kernels/webgpu-relu-grad.test.ts. Requires the
 * webgpu backend to be active.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { MAIN, runProgram, webgpuBackend, WgslProgram } from './webgpu-program';

class ReluGradProgram extends WgslProgram {}

export function reluGradWebgpu(dy: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  const backend = webgpuBackend('reluGradWebgpu', 'tf.mul(dy, tf.step(y))');
  if (dy.shape.length !== 2 || dy.shape[0] !== y.shape[0] || dy.shape[1] !== y.shape[1])
    throw new Error(`reluGradWebgpu: dy [${dy.shape}] and y [${y.shape}] must have one 2-D shape`);
  const vec = dy.size % 4 === 0;
  const zero = vec ? 'vec4<f32>(0.0)' : '0.0';
  const program = new ReluGradProgram({
    shaderKey: `tensorf_relu_grad${vec ? '_vec4' : ''}`,
    outputShape: dy.shape,
    threads: vec ? dy.size / 4 : dy.size,
    variableNames: ['dy', 'y'],
    size: true,
    ...(vec ? { outputComponent: 4 as const } : {}),
    code: `
${MAIN} {
  if (index >= uniforms.size) { return; }
  result[index] = select(${zero}, dy[index], y[index] > ${zero});
}
`,
  });
  return runProgram(backend, program, [dy, y]) as tf.Tensor2D;
}
