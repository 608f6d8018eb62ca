/**
 * How a training step runs on a backend, chosen once per run (Trainer's constructor):
 * - `host`: the cpu backend; parameters and Adam moments are the model's own Float32Arrays,
 *   samples are placed on the host (planSamples) and the hand-written kernels do the work.
 * - `device`: a backend whose tensors live on a device (webgpu, tensorflow); parameters, Adam
 *   moments and the training rays stay there between steps (device-path.ts).
 * The trainer talks to either through this interface; what a schedule change or a checkpoint
 * needs from the host arrays it asks for with syncToHost, and after changing them it calls
 * invalidate.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { RayPool } from '../data/ray-pool';
import type { AlphaMask } from '../field/alpha-mask';
import type { Model } from '../model';
import type { ParamGroups } from '../params';
import type { Rng } from '../random';
import type { AdamState } from './adam';
import type { PhaseTimer } from './phase-timer';

export interface StepInput {
  model: Model;
  adam: AdamState;
  pool: RayPool;
  /** The batch's ray indices into `pool` (from the seeded sampler). */
  indices: Uint32Array;
  /** The jitter stream: one u ~ U(0, 1) per ray of the batch, drawn in ray order. */
  rng: Rng;
  nSamples: number;
  stepSize: number;
  mask: AlphaMask | null;
  l1Weight: number;
  /** Records milliseconds per phase of the step (the benchmark; phase-timer.ts); absent in training. */
  timer?: PhaseTimer;
}

export interface StepResult {
  loss: number;
  mse: number;
  /** Samples placed (host path: packed samples; device path: valid slots). */
  samples: number;
  decoded: number;
}

export interface TrainPath {
  readonly name: 'host' | 'device';
  step(s: StepInput): Promise<StepResult>;
  /** Makes the model's parameter arrays and the Adam moments current (a no-op on the host path). */
  syncToHost(model: Model, adam: AdamState): Promise<void>;
  /** The host arrays changed (upsampling, shrinking, a new optimizer, a restored state, new rays, a new mask). */
  invalidate(): void;
  /** The current parameters as tensors for rendering, or null to wrap the host arrays. */
  deviceParams(): ParamGroups<tf.Tensor> | null;
  dispose(): void;
}
