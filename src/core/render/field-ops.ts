/**
 * The field kernels a device render path is built from: VM factor sampling, sample placement, the alpha-mask lookup
 * and compositing (weights and colours) (and the backend's largest buffer, which sizes the decoder's chunks), with the contracts of the plain-tf-ops references (ops-tf.ts,
 * device-slots.ts; declared with the backends' kernel sets in kernels/device-kernels.ts). A
 * backend's fused kernels are held to the references by tests; `fieldOpsFor` picks the set of a
 * backend.
 */
import { type DeviceKernels, deviceKernelsFor } from '../kernels/device-kernels';
import { type MaskContains, maskContainsTf, type PlaceSlots, placeSlotsTf } from './device-slots';
import { accumulateTf, compositeWeightsTf, vmSampleTf } from './ops-tf';

export type FieldOps = Required<
  Pick<DeviceKernels, 'name' | 'vmSample' | 'maskContains' | 'compositeWeights' | 'accumulate' | 'maxBufferBytes'>
> & {
  placeSlots: PlaceSlots;
};

/** The plain-ops placement with a given mask lookup (the reference's, or a backend's fused one). */
const placeSlotsWith =
  (maskContains: MaskContains): PlaceSlots =>
  (o, d, u, opts, mask) =>
    placeSlotsTf(o, d, u, opts, mask, maskContains);

export const TF_FIELD_OPS: FieldOps = {
  name: 'tf-ops',
  vmSample: vmSampleTf,
  placeSlots: placeSlotsWith(maskContainsTf),
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
  return {
    name: k.name,
    vmSample: k.vmSample ?? TF_FIELD_OPS.vmSample,
    placeSlots: k.placeSlots ?? placeSlotsWith(maskContains),
    maskContains,
    compositeWeights: k.compositeWeights ?? TF_FIELD_OPS.compositeWeights,
    accumulate: k.accumulate ?? TF_FIELD_OPS.accumulate,
    maxBufferBytes: k.maxBufferBytes ?? TF_FIELD_OPS.maxBufferBytes,
  };
}
