/**
 * The kernels a device training or render path is built from, by backend: VM factor sampling,
 * sample placement, the alpha-mask lookup, compositing weights and colours, the decoder input, the
 * relu gradient and the Adam update, each with the
 * contract of its plain-tf-ops reference (render/ops-tf.ts vmSampleTf, compositeWeightsTf and accumulateTf,
 * render/device-slots.ts placeSlotsTf and maskContainsTf, decoders/encoding.ts decoderInputTf, train/adam-tf.ts
 * adamUpdateTf). A backend with fused kernels registers them when it starts (backend.ts); any
 * kernel it does not provide falls back to the reference. Tests hold every registered kernel to
 * its reference.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Box } from '../field/geometry';
import type { AdamUpdateOptions } from './adam-scalars';

export interface DeviceKernels {
  readonly name: string;
  /** planes 3 x [H, W, C], lines 3 x [L, C], coords [S, 3]; 'sum' -> [S], 'products' -> [S, 3C]; 0 where valid is 0. */
  vmSample?(planes: tf.Tensor[], lines: tf.Tensor[], coords: tf.Tensor2D, mode: 'sum' | 'products', valid?: tf.Tensor1D): tf.Tensor;
  /** The decoder input [f, d, PE(f), PE(d)] (decoderInputTf); differentiable w.r.t. the features only. */
  decoderInput?(features: tf.Tensor2D, dirs: tf.Tensor2D, fePe: number, viewPe: number): tf.Tensor2D;
  /** The slots of rays on the device (placeSlotsTf): coords, valid, delta and t. */
  placeSlots?(origins: tf.Tensor2D, dirs: tf.Tensor2D, u: tf.Tensor1D, o: SlotOptions, mask: DeviceMask | null): DeviceSlots;
  /** 1 where the alpha mask contains a point of x [P, 3] (world coordinates), else 0: [P] (maskContainsTf). */
  maskContains?(m: DeviceMask, x: tf.Tensor2D): tf.Tensor1D;
  /** The relu layer's gradient: dy where y > 0, else 0 (tf.mul(dy, tf.step(y)), decoders/layers.ts). */
  reluGrad?(dy: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D;
  /** rgb [R, 3] = sum_n w mask rgb + (1 - sum_n w) from w, mask [R, N] and rgb [R, N, 3] (accumulateTf; differentiable w.r.t. w and rgb). */
  accumulate?(w: tf.Tensor2D, rgb: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D;
  /** Compositing weights [R, N] from sigma and delta [R, N] (differentiable w.r.t. sigma). */
  compositeWeights?(sigma: tf.Tensor2D, delta: tf.Tensor2D, scale: number): tf.Tensor2D;
  /** New [param, m, v] (the inputs are left as they are). */
  adamUpdate?<T extends tf.Tensor>(param: T, m: T, v: T, grad: T, opts: AdamUpdateOptions): [T, T, T];
  /** The largest buffer a kernel may bind, in bytes (webgpu: maxStorageBufferBindingSize); unbounded if absent. */
  maxBufferBytes?(): number;
  /** Called after every training step and render chunk (the webgpu backend trims its buffer pool). */
  endStep?(): void;
}

/** Sample placement settings (render/device-slots.ts placeSlotsTf and the backends' fused placements). */
export interface SlotOptions {
  box: Box;
  step: number;
  nSamples: number;
  near: number;
  far: number;
}

/** The slots of a batch of rays on the device. */
export interface DeviceSlots {
  nRays: number;
  n: number;
  /** [R * n, 3] normalised to [-1, 1] over the box. */
  coords: tf.Tensor2D;
  /** [R * n] 1 where the slot holds a sample, else 0. */
  valid: tf.Tensor1D;
  /** [R, n] step, 0 in the last slot. */
  delta: tf.Tensor2D;
  /** [R, n] distance along the ray. */
  t: tf.Tensor2D;
}

/** An alpha mask on the device (render/device-slots.ts uploads it): occupancy as float32 [nz * ny * nx] and its geometry. */
export interface DeviceMask {
  box: Box;
  reso: [number, number, number];
  data: tf.Tensor1D;
}

const registry = new Map<string, DeviceKernels>();

export function registerDeviceKernels(backend: string, kernels: DeviceKernels): void {
  registry.set(backend, kernels);
}

/** The fused kernels registered for a backend, or null (then the plain-tf-ops references run). */
export function deviceKernelsFor(backend: string): DeviceKernels | null {
  return registry.get(backend) ?? null;
}
