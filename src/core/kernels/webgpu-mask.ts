/**
 * maskContainsWebgpu: whether the alpha mask contains each point, as maskContainsTf
 * (render/device-slots.ts), in one fused WebGPU program (WGSL in wgsl/mask-contains.ts). Measured
 * on lavapipe, the plain-ops lookup was about a quarter of a test view's render (some 250 programs
 * over the view's slots). Held to maskContainsTf by test/core/kernels/webgpu-mask.test.ts.
 * Requires the webgpu backend to be active.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { DeviceMask } from './device-kernels';
import { maskContainsSource } from './wgsl/mask-contains';
import { MAIN, runProgram, type Uniform, webgpuBackend, WgslProgram } from './webgpu-program';

class MaskContainsProgram extends WgslProgram {}

/** 1 where the mask m contains the point of x [P, 3] (world coordinates), else 0: [P] float32. */
export function maskContainsWebgpu(m: DeviceMask, x: tf.Tensor2D): tf.Tensor1D {
  const backend = webgpuBackend('maskContainsWebgpu', 'maskContainsTf');
  if (x.rank !== 2 || x.shape[1] !== 3) throw new Error(`maskContainsWebgpu: points must be [P, 3], got [${x.shape}]`);
  const program = new MaskContainsProgram({
    shaderKey: 'tensorf_mask_contains',
    outputShape: [x.shape[0]],
    threads: x.shape[0],
    variableNames: ['pts', 'mask'],
    uniforms: MASK_UNIFORMS,
    size: true,
    code: maskContainsSource(MAIN),
  });
  return runProgram(backend, program, [x, m.data], maskUniforms(m)) as tf.Tensor1D;
}

/** The uniforms of wgsl/mask-contains.ts maskLookup, declared and filled here for every program using it. */
export const MASK_UNIFORMS = 'maskMin : vec3<f32>, maskRange : vec3<f32>, maskReso : vec3<i32>,';

export function maskUniforms(m: DeviceMask): Uniform[] {
  checkMask(m);
  return [
    { type: 'float32', data: [...m.box.min] },
    { type: 'float32', data: m.box.max.map((v, a) => v - m.box.min[a]) },
    { type: 'int32', data: [...m.reso] },
  ];
}

function checkMask(m: DeviceMask): void {
  const [nx, ny, nz] = m.reso;
  if (m.data.size !== nx * ny * nz)
    throw new Error(`webgpu alpha mask: its data has ${m.data.size} values, reso ${m.reso} needs ${nx * ny * nz}`);
}
