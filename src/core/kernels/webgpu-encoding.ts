/**
 * decoderInputWebgpu: the decoder input [f, d, PE(f), PE(d)] of decoderInputTf
 * (decoders/encoding.ts) as one fused WebGPU program forward and one backward (WGSL in
 * wgsl/encoding.ts). Measured on lavapipe in a smoke step, the plain ops (sines, cosines,
 * concatenations, their slices and broadcast sums backward) took about 170 ms of a 1.5 s step.
 * Differentiable w.r.t. the features; the directions are constants (not an input of the custom
 * gradient, so asking for their gradient fails loudly). Held to decoderInputTf by
 * test/core/kernels/webgpu-encoding.test.ts. Requires the webgpu backend to be active.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decoderInputBackwardSource, decoderInputForwardSource } from './wgsl/encoding';
import { MAIN, runProgram, webgpuBackend, WgslProgram } from './webgpu-program';

class DecoderInputProgram extends WgslProgram {}
class DecoderInputGradProgram extends WgslProgram {}

/** One of the two programs: output shape, bound inputs, invocations and body; D, E, F, G are the uniforms. */
const spec = (shaderKey: string, outputShape: number[], threads: number, variableNames: string[], code: string) => ({
  shaderKey,
  outputShape,
  threads,
  variableNames,
  uniforms: 'D : i32, E : i32, F : i32, G : i32,',
  size: true,
  code,
});

export function decoderInputWebgpu(features: tf.Tensor2D, dirs: tf.Tensor2D, fePe: number, viewPe: number): tf.Tensor2D {
  const backend = webgpuBackend('decoderInputWebgpu', 'decoderInputTf');
  const [n, d] = features.shape;
  const e = dirs.shape[1];
  if (features.rank !== 2 || dirs.rank !== 2 || dirs.shape[0] !== n)
    throw new Error(`decoderInputWebgpu: features [${features.shape}] and dirs [${dirs.shape}] must be [N, D] and [N, E]`);
  for (const [name, v] of [
    ['fePe', fePe],
    ['viewPe', viewPe],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`decoderInputWebgpu: ${name} must be an integer >= 0, got ${v}`);
  }
  const width = d + e + 2 * d * fePe + 2 * e * viewPe;
  const uniforms = [d, e, fePe, viewPe].map((v) => ({ type: 'int32' as const, data: [v] }));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const feat = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([feat]);
    const forward = new DecoderInputProgram(
      spec('tensorf_decoder_input', [n, width], n * (d + e), ['feat', 'dirs'], decoderInputForwardSource(MAIN)),
    );
    return {
      value: runProgram(backend, forward, [feat, dirs], uniforms) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const backward = new DecoderInputGradProgram(
          spec('tensorf_decoder_input_grad', [n, d], n * d, ['feat', 'dy'], decoderInputBackwardSource(MAIN)),
        );
        return runProgram(backend, backward, [saved[0], dy], uniforms);
      },
    };
  });
  return f(features) as tf.Tensor2D;
}
