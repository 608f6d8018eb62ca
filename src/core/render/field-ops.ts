/**
 * The field kernels a device render path is built from: VM factor sampling, sample placement, the alpha-mask lookup
 * and compositing (weights and colours) (and the backend's largest buffer, which sizes the decoder's chunks), with the contracts of the plain-tf-ops references (ops-tf.ts,
 * device-slots.ts; declared with the backends' kernel sets in kernels/device-kernels.ts). A
 * backend's fused kernels are held to the references by tests; `fieldOpsFor` picks the set of a
 * backend.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { type DeviceKernels, deviceKernelsFor } from '../kernels/device-kernels';
import { type DeviceMask, maskContainsTf, type PlaceSlots, placeSlotsTf, type SlotOptions } from './device-slots';
import { accumulateTf, compositeWeightsTf, vmSampleTf } from './ops-tf';

export type FieldOps = Required<
  Pick<DeviceKernels, 'name' | 'vmSample' | 'maskContains' | 'compositeWeights' | 'accumulate' | 'maxBufferBytes'>
> & {
  placeSlots: PlaceSlots;
};

export const TF_FIELD_OPS: FieldOps = {
  name: 'tf-ops',
  vmSample: vmSampleTf,
  placeSlots: (o, d, u, opts, mask) => placeSlotsTf(o, d, u, opts, mask, maskContainsTf),
  maskContains: maskContainsTf,
  compositeWeights: compositeWeightsTf,
  accumulate: accumulateTf,
  maxBufferBytes: () => Number.POSITIVE_INFINITY,
};

/** The field kernels of a device backend: its registered fused ones, each falling back to the reference. */
export function fieldOpsFor(backend: string): FieldOps {
  const k = deviceKernelsFor(backend);
  if (!k || (!k.vmSample && !k.placeSlots && !k.maskContains && !k.compositeWeights && !k.accumulate)) return TF_FIELD_OPS;
  const maskContains = k.maskContains ?? TF_FIELD_OPS.maskContains;
  const placeSlots: PlaceSlots =
    k.placeSlots?.bind(k) ??
    ((o: tf.Tensor2D, d: tf.Tensor2D, u: tf.Tensor1D, opts: SlotOptions, mask: DeviceMask | null) =>
      placeSlotsTf(o, d, u, opts, mask, maskContains));
  return {
    name: k.name,
    vmSample: k.vmSample ?? TF_FIELD_OPS.vmSample,
    placeSlots,
    maskContains,
    compositeWeights: k.compositeWeights ?? TF_FIELD_OPS.compositeWeights,
    accumulate: k.accumulate ?? TF_FIELD_OPS.accumulate,
    maxBufferBytes: k.maxBufferBytes ?? TF_FIELD_OPS.maxBufferBytes,
  };
}
