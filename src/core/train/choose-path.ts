/** The training path for a backend (train-path.ts): host kernels on cpu, device-resident elsewhere. */
import { fieldOpsFor } from '../render/field-ops';
import { DevicePath } from './device-path';
import { HostPath } from './host-path';
import type { TrainPath } from './train-path';

export function choosePath(backend: string): TrainPath {
  return backend === 'cpu' ? new HostPath() : new DevicePath(fieldOpsFor(backend));
}
