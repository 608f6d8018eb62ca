/**
 * A guard on the size of every buffer a WebGPU program binds. A device binds at most
 * `maxStorageBufferBindingSize` bytes per storage buffer (128 MiB on lavapipe; tfjs asks for the
 * adapter's limit, commonly 2-4 GiB on a GPU). Past it, Dawn rejects the bind group and tfjs
 * submits nothing: the program's output keeps whatever its buffer held, and training goes on with
 * wrong numbers and no error. Measured here: a [894000, 150] x [150, 128] matmul (the thesis
 * preset's decoder at iteration 30) "ran" in 0.7 ms on lavapipe and returned garbage.
 *
 * The guard wraps the backend's runWebGPUProgram (every tfjs and project program goes through it)
 * and throws one BackendError (front ends print it as one line, exit 2) naming the program, the
 * buffer size and the limit before anything is recorded. The device paths keep their tensors
 * under the limit (render/device-render.ts decodes in chunks of rows), so this fires only for
 * shapes nothing here splits.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';

/** Bytes per element of a tfjs dtype on the GPU (bool and int32 are stored as 32-bit words). */
const BYTES = 4;

interface GuardedBackend {
  device: { limits: { maxStorageBufferBindingSize: number } };
  runWebGPUProgram: (
    program: { constructor: { name: string }; outputShape: number[] },
    inputs: tf.TensorInfo[],
    ...rest: unknown[]
  ) => tf.TensorInfo;
}

/** The first buffer of the program over `limit` bytes, as a message, or null. */
export function oversizedBinding(programName: string, inputShapes: number[][], outputShape: number[], limit: number): string | null {
  const buffers = [...inputShapes.map((s, i) => ({ what: `input ${i}`, shape: s })), { what: 'output', shape: outputShape }];
  for (const b of buffers) {
    const bytes = tf.util.sizeFromShape(b.shape) * BYTES;
    if (bytes > limit) {
      const mib = (v: number) => (v / 2 ** 20).toFixed(0);
      return (
        `webgpu: ${programName} needs a ${mib(bytes)} MiB buffer (${b.what}, [${b.shape}]) but this device binds at most ` +
        `${mib(limit)} MiB (maxStorageBufferBindingSize); use less data per buffer (--batch, --chunk, --train-views, --downscale) or --backend cpu`
      );
    }
  }
  return null;
}

const guarded = new WeakSet<object>();

/** Installs the guard on the active webgpu backend (once per backend object). */
export function installBindingGuard(backend: WebGPUBackend): void {
  const be = backend as unknown as GuardedBackend;
  if (guarded.has(be)) return;
  const limit = be.device.limits.maxStorageBufferBindingSize;
  const original = be.runWebGPUProgram;
  be.runWebGPUProgram = function (this: unknown, program, inputs, ...rest) {
    const problem = oversizedBinding(
      program.constructor.name,
      inputs.map((t) => t.shape),
      program.outputShape,
      limit,
    );
    if (problem) throw new BackendError(problem);
    return original.call(this, program, inputs, ...rest);
  };
  guarded.add(be);
}

/** The active webgpu device's binding limit in bytes. */
export function maxBindingBytes(backend: WebGPUBackend): number {
  return (backend as unknown as GuardedBackend).device.limits.maxStorageBufferBindingSize;
}
