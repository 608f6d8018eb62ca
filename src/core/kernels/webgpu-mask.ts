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
import { MAIN, runProgram, webgpuBackend, WgslProgram } from './webgpu-program';

class MaskContainsProgram extends WgslProgram {}

/** 1 where the mask m contains the point of x [P, 3] (world coordinates), else 0: [P] float32. */
export function maskContainsWebgpu(m: DeviceMask, x: tf.Tensor2D): tf.Tensor1D {
  const backend = webgpuBackend('maskContainsWebgpu', 'maskContainsTf');
  if (x.rank !== 2 || x.shape[1] !== 3) throw new Error(`maskContainsWebgpu: points must be [P, 3], got [${x.shape}]`);
  const [nx, ny, nz] = m.reso;
  if (m.data.size !== nx * ny * nz)
    throw new Error(`maskContainsWebgpu: mask data has ${m.data.size} values, reso ${m.reso} needs ${nx * ny * nz}`);
  const program = new MaskContainsProgram({
    shaderKey: 'tensorf_mask_contains',
    outputShape: [x.shape[0]],
    threads: x.shape[0],
    variableNames: ['pts', 'mask'],
    uniforms: 'boxMin : vec3<f32>, boxRange : vec3<f32>, reso : vec3<i32>,',
    size: true,
    code: maskContainsSource(MAIN),
  });
  const range = m.box.max.map((v, a) => v - m.box.min[a]);
  return runProgram(
    backend,
    program,
    [x, m.data],
    [
      { type: 'float32', data: [...m.box.min] },
      { type: 'float32', data: range },
      { type: 'int32', data: [nx, ny, nz] },
    ],
  ) as tf.Tensor1D;
}
