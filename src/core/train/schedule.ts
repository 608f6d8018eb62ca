/**
 * The training schedule as named actions at iterations (0-based step index after which they
 * run, as in the reference loop): alpha-mask updates (the first also shrinks the box and switches
 * the L1 weight, the second also filters the training rays), then upsampling (which rebuilds
 * the optimizer). Learning rates decay by ratio^(1/iterations) every step.
 */
import type { TrainConfig } from '../config';
import { upsampleVoxelCounts } from '../field/geometry';

export type ScheduleAction = { kind: 'alpha-mask'; shrink: boolean; filterRays: boolean } | { kind: 'upsample'; voxels: number };

export interface Schedule {
  at(iteration: number): ScheduleAction[];
  lrFactor: number;
  l1Weight(iteration: number): number;
}

export function buildSchedule(cfg: TrainConfig): Schedule {
  const voxels = upsampleVoxelCounts(cfg.gridStart, cfg.gridEnd, cfg.upsampleAt.length);
  const firstMask = cfg.alphaMaskAt.length > 0 ? cfg.alphaMaskAt[0] : Infinity;
  return {
    lrFactor: cfg.lrDecayRatio ** (1 / cfg.iterations),
    l1Weight: (it) => (it > firstMask ? cfg.l1Rest : cfg.l1Initial),
    at(it) {
      const actions: ScheduleAction[] = [];
      const m = cfg.alphaMaskAt.indexOf(it);
      if (m >= 0) actions.push({ kind: 'alpha-mask', shrink: m === 0, filterRays: m === 1 });
      const u = cfg.upsampleAt.indexOf(it);
      if (u >= 0) actions.push({ kind: 'upsample', voxels: voxels[u] });
      return actions;
    },
  };
}

/** The schedule iteration (as --upsample-at and --alpha-mask-at name it) of a change made after `stepsDone` steps. */
export function scheduleIteration(stepsDone: number): number {
  return stepsDone - 1;
}
