/**
 * placeSlotsWebgpu: the sample placement of placeSlotsTf (render/device-slots.ts) as four fused
 * WebGPU programs, coords, valid, t and delta (WGSL in wgsl/slots.ts); nothing is uploaded.
 * Measured on lavapipe, the plain-ops placement was some 30 programs over the slots, about a fifth
 * of a smoke test view's render. Held to placeSlotsTf by test/core/kernels/webgpu-slots.test.ts.
 * Requires the webgpu backend to be active.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import type { DeviceMask, DeviceSlots, SlotOptions } from './device-kernels';
import { MASK_UNIFORMS, maskUniforms } from './webgpu-mask';
import { MAIN, runProgram, type Uniform, webgpuBackend, WgslProgram } from './webgpu-program';
import { type SlotOutput, slotsSource } from './wgsl/slots';

class SlotsProgram extends WgslProgram {}

const SLOT_UNIFORMS = 'slots : i32, n : i32, boxMin : vec3<f32>, boxMax : vec3<f32>, inv : vec3<f32>, near : f32, far : f32, step : f32,';

export function placeSlotsWebgpu(
  origins: tf.Tensor2D,
  dirs: tf.Tensor2D,
  u: tf.Tensor1D,
  o: SlotOptions,
  mask: DeviceMask | null,
): DeviceSlots {
  const backend = webgpuBackend('placeSlotsWebgpu', 'placeSlotsTf');
  const R = origins.shape[0];
  const n = o.nSamples;
  if (origins.rank !== 2 || origins.shape[1] !== 3 || !util.arraysEqual(dirs.shape, origins.shape) || !util.arraysEqual(u.shape, [R]))
    throw new Error(`placeSlotsWebgpu: expected origins and dirs [R, 3] and u [R], got [${origins.shape}], [${dirs.shape}], [${u.shape}]`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`placeSlotsWebgpu: nSamples must be a positive integer, got ${n}`);
  if (R * n * 3 >= 2 ** 31) throw new Error(`placeSlotsWebgpu: ${R} rays x ${n} slots is too many for i32 indices`);
  const inv = o.box.max.map((v, a) => 2 / (v - o.box.min[a]));
  const uniforms: Uniform[] = [
    { type: 'int32', data: [R * n] },
    { type: 'int32', data: [n] },
    { type: 'float32', data: [...o.box.min] },
    { type: 'float32', data: [...o.box.max] },
    { type: 'float32', data: inv },
    { type: 'float32', data: [o.near] },
    { type: 'float32', data: [o.far] },
    { type: 'float32', data: [o.step] },
  ];
  const run = (what: SlotOutput, outputShape: number[]): tf.Tensor => {
    const withMask = what === 'valid' && mask !== null;
    const program = new SlotsProgram({
      shaderKey: `tensorf_slots_${what}${withMask ? '_mask' : ''}`,
      outputShape,
      threads: R * n,
      variableNames: withMask ? ['origins', 'dirs', 'u', 'mask'] : ['origins', 'dirs', 'u'],
      uniforms: SLOT_UNIFORMS + (withMask ? MASK_UNIFORMS : ''),
      code: slotsSource(MAIN, what, withMask),
    });
    const inputs = withMask ? [origins, dirs, u, mask.data] : [origins, dirs, u];
    return runProgram(backend, program, inputs, withMask ? [...uniforms, ...maskUniforms(mask)] : uniforms);
  };
  const coords = run('coords', [R * n, 3]) as tf.Tensor2D;
  const valid = run('valid', [R * n]) as tf.Tensor1D;
  const t = run('t', [R, n]) as tf.Tensor2D;
  const delta = run('delta', [R, n]) as tf.Tensor2D;
  return { nRays: R, n, coords, valid, delta, t };
}
