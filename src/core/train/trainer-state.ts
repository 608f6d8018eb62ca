/**
 * The state a Trainer holds (trainer.ts): what `Trainer.state()` returns, what a checkpoint stores
 * (trainer-checkpoint.ts) and what `Trainer.restore()` puts back.
 */
import type { SamplerState } from '../data/ray-pool';
import type { AlphaMask } from '../field/alpha-mask';
import type { Box, Vec3 } from '../field/geometry';
import type { ParamGroup } from '../params';

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
