/**
 * The training step on the cpu backend: the batch gathered and its samples placed on the host
 * (packed), the loss differentiated through the hand-written kernels (step.ts), Adam on the
 * model's own arrays. Nothing to synchronise: the host arrays are the parameters.
 */
import { gatherRays } from '../data/ray-pool';
import { NEAR_FAR } from '../field/geometry';
import { planSamples } from '../render/samples';
import { type AdamState, adamStep } from './adam';
import type { Param } from '../params';
import { toSharedF32 } from '../shared-memory';
import { modelParams } from '../model';
import { hostGradients } from './step';
import type { StepInput, StepResult, TrainPath } from './train-path';

/**
 * Moves parameters and moments that are not in shared memory yet there (a state restored from
 * elsewhere), so that the compute threads update them in place; a no-op once they are.
 */
function shareHostState(params: Param[], adam: AdamState): void {
  params.forEach((p, i) => {
    p.data = toSharedF32(p.data);
    adam.m[i] = toSharedF32(adam.m[i]);
    adam.v[i] = toSharedF32(adam.v[i]);
  });
}

export class HostPath implements TrainPath {
  readonly name = 'host' as const;

  async step(s: StepInput): Promise<StepResult> {
    s.timer?.begin();
    shareHostState(modelParams(s.model), s.adam);
    const batch = gatherRays(s.pool, s.indices);
    const f = s.model.field;
    const plan = planSamples(batch.origins, batch.dirs, batch.count, {
      box: f.box,
      step: s.stepSize,
      nSamples: s.nSamples,
      near: NEAR_FAR[0],
      far: NEAR_FAR[1],
      jitter: s.rng,
      mask: s.mask,
    });
    await s.timer?.mark('gather+placement');
    const { grads, ...r } = hostGradients(s.model, batch, plan, s.l1Weight);
    await s.timer?.mark('forward+backward');
    adamStep(s.adam, modelParams(s.model), grads);
    await s.timer?.mark('adam');
    return { ...r, samples: plan.count };
  }

  async syncToHost(): Promise<void> {}
  invalidate(): void {}
  deviceParams(): null {
    return null;
  }
  dispose(): void {}
}
