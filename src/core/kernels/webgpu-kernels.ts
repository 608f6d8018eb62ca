/** The fused WebGPU kernels (WGSL through tfjs-backend-webgpu) as the webgpu backend's DeviceKernels. */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { adamUpdateWebgpu } from './webgpu-adam';
import { maxBindingBytes } from './webgpu-binding-guard';
import { trimWebgpuBufferPool } from './webgpu-buffer-pool';
import { accumulateWebgpu, compositeWeightsWebgpu } from './webgpu-composite';
import { decoderInputWebgpu } from './webgpu-encoding';
import { maskContainsWebgpu } from './webgpu-mask';
import { reluGradWebgpu } from './webgpu-relu-grad';
import { placeSlotsWebgpu } from './webgpu-slots';
import { vmSampleWebgpu } from './webgpu-vm';
import type { DeviceKernels } from './device-kernels';

export const WEBGPU_KERNELS: DeviceKernels = {
  name: 'webgpu-fused',
  vmSample: vmSampleWebgpu,
  placeSlots: placeSlotsWebgpu,
  maskContains: maskContainsWebgpu,
  decoderInput: decoderInputWebgpu,
  reluGrad: reluGradWebgpu,
  compositeWeights: compositeWeightsWebgpu,
  accumulate: accumulateWebgpu,
  adamUpdate: adamUpdateWebgpu,
  maxBufferBytes: () => maxBindingBytes(tf.backend() as unknown as WebGPUBackend),
  endStep: () => void trimWebgpuBufferPool(),
};
