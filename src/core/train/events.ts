/** The trainer's event stream: one discriminated union consumed by every front end. */
import type { TrainConfig } from '../config';
import type { Box, Vec3 } from '../field/geometry';
import type { ParamCounts } from '../model';

export interface RunSummary {
  decoder: string;
  decoderWidth: number;
  decoderParams: number;
  totalParams: number;
  preset: string;
  iterations: number;
  backend: string;
  trainSeconds: number;
  testPSNR: number;
  testSSIM: number;
  evalViews: number;
  imageSize: [number, number];
  finalReso: Vec3;
  finalBox: Box;
  seed: number;
}

export type TrainEvent =
  | { type: 'started'; config: TrainConfig; backend: string; backendReason: string; params: ParamCounts; trainRays: number; imageSize: [number, number] }
  | {
      type: 'step';
      iteration: number; // 1-based count of completed steps
      total: number;
      loss: number;
      mse: number;
      trainPSNR: number;
      raysPerSecond: number;
      stepSeconds: number; // wall time of this step (sampling, forward, backward, optimizer)
      itsPerSecond: number;
      elapsed: number; // seconds of training so far
      samples: number;
      decoded: number;
    }
  | { type: 'schedule'; iteration: number; action: 'decoder-init' | 'upsample' | 'alpha-mask' | 'shrink' | 'filter-rays'; detail: string }
  | { type: 'eval'; iteration: number; testPSNR: number; testSSIM: number; views: number; final: boolean }
  | { type: 'checkpoint'; iteration: number; path: string }
  | { type: 'done'; summary: RunSummary }
  | { type: 'error'; message: string; recoverable: boolean };
