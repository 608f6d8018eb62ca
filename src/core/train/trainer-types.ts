/** The trainer's data, control, saved state and hooks (trainer.ts). */
import type { SamplerState } from '../data/ray-pool';
import type { RayPool } from '../data/ray-pool';
import type { ViewSet } from '../data/view-set';
import type { AlphaMask } from '../field/alpha-mask';
import type { Box, Vec3 } from '../field/geometry';
import type { ParamGroup } from '../params';

export interface TrainData {
  train: RayPool;
  test: ViewSet;
  /** Number of views in the test split (the running test PSNR uses views 0, n/k, 2n/k, ...). */
  testCount: number;
}

/** Set by a front end (a signal handler, the app's stop and save buttons); read between steps. */
export interface TrainerControl {
  stopRequested: boolean;
  /** Write a checkpoint after the current step, at the point the periodic one is written (the run driver clears it). */
  checkpointRequested?: boolean;
}

/**
 * Whether the checkpoint hook runs after `iteration` steps: every cfg.checkpointEvery iterations,
 * or on request; never at the last iteration (the run driver saves the final state itself).
 */
export function checkpointDue(cfg: { checkpointEvery: number; iterations: number }, iteration: number, control: TrainerControl): boolean {
  if (iteration >= cfg.iterations) return false;
  return control.checkpointRequested === true || (cfg.checkpointEvery > 0 && iteration % cfg.checkpointEvery === 0);
}

/**
 * Everything a run's future depends on, as the trainer holds it (arrays by reference). A
 * checkpoint stores it (trainer-checkpoint.ts); `restore` puts it into a fresh Trainer built with
 * the same config and training rays, which then continues exactly as the saved run would have.
 */
export interface TrainerState {
  iteration: number;
  trainSeconds: number;
  box: Box;
  reso: Vec3;
  params: { name: string; shape: number[]; data: Float32Array }[];
  adam: { step: number; lr: Record<ParamGroup, number>; m: Float32Array[]; v: Float32Array[] };
  mask: AlphaMask | null;
  rng: { state: number; spare: number | null };
  sampler: SamplerState;
  /** keep: one flag per ray of the loaded pool (data.train): is it in the current pool? */
  pool: { source: number; fingerprint: string; keep: Uint8Array; count: number };
  nSamples: number;
  resoMask: Vec3;
  decoderInitDone: boolean;
}
