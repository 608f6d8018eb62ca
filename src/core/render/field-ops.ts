/**
 * The field kernels a device render path is built from: VM factor sampling, the alpha-mask lookup
 * and compositing weights (and the backend's largest buffer, which sizes the decoder's chunks), with the contracts of the plain-tf-ops references (ops-tf.ts,
 * device-slots.ts; declared with the backends' kernel sets in kernels/device-kernels.ts). A
 * backend's fused kernels are held to the references by tests; `fieldOpsFor` picks the set of a
 * backend.
 */
import { type DeviceKernels, deviceKernelsFor } from '../kernels/device-kernels';
import { maskContainsTf } from './device-slots';
import { compositeWeightsTf, vmSampleTf } from './ops-tf';

export type FieldOps = Required<Pick<DeviceKernels, 'name' | 'vmSample' | 'maskContains' | 'compositeWeights' | 'maxBufferBytes'>>;

export const TF_FIELD_OPS: FieldOps = {
  name: 'tf-ops',
  vmSample: vmSampleTf,
  maskContains: maskContainsTf,
  compositeWeights: compositeWeightsTf,
  maxBufferBytes: () => Number.POSITIVE_INFINITY,
};

/** The field kernels of a device backend: its registered fused ones, each falling back to the reference. */
export function fieldOpsFor(backend: string): FieldOps {
  const k = deviceKernelsFor(backend);
  if (!k || (!k.vmSample && !k.maskContains && !k.compositeWeights)) return TF_FIELD_OPS;
  return {
    name: k.name,
    vmSample: k.vmSample ?? TF_FIELD_OPS.vmSample,
    maskContains: k.maskContains ?? TF_FIELD_OPS.maskContains,
    compositeWeights: k.compositeWeights ?? TF_FIELD_OPS.compositeWeights,
    maxBufferBytes: k.maxBufferBytes ?? TF_FIELD_OPS.maxBufferBytes,
  };
}
