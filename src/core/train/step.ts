/**
 * The differentiated part of a step on the host path (host-path.ts, which then runs Adam on the
 * parameter arrays): loss = MSE(rendered, target) + l1Weight * density L1, the MSE's gradients by
 * tfjs autodiff through the hand-written kernels' custom ops, the L1 term's added by hand
 * (l1-term.ts: the same bits as through tfjs, without its full-size arrays).
 */
import { groupParams } from '../params';
import { NonFiniteLossError } from '../errors';
import * as tf from '@tensorflow/tfjs-core';
import { modelParams, paramTensors, type Model } from '../model';
import type { RayPool } from '../data/ray-pool';
import { addL1Gradient, l1Value } from './l1-term';
import { renderBatch } from '../render/render-batch';
import type { SamplePlan } from '../render/samples';
import type { StepResult } from './train-path';

/** A host step's result; the host path adds the sample count (train-path.ts StepResult). */
export type HostStepResult = Omit<StepResult, 'samples'>;

/** Loss, MSE and the gradient of every parameter (in modelParams order); parameters untouched. */
export function hostGradients(
  model: Model,
  batch: RayPool,
  plan: SamplePlan,
  l1Weight: number,
): HostStepResult & { grads: Float32Array[] } {
  const params = modelParams(model);
  let decoded = 0;
  let mseValue = 0;
  const grads: Float32Array[] = [];
  let lossValue = 0;
  tf.tidy(() => {
    const tensors = paramTensors(params);
    const target = tf.tensor2d(batch.rgbs, [batch.count, 3]);
    const f = (...ts: tf.Tensor[]) => {
      const out = renderBatch(model.field, model.decoder, groupParams(ts), plan, batch.dirs, batch.count);
      decoded = out.decoded;
      const mse = tf.mean(tf.squaredDifference(out.rgb, target));
      mseValue = (mse.dataSync() as Float32Array)[0];
      return mse as tf.Scalar;
    };
    const { grads: gs } = tf.valueAndGrads(f)(tensors);
    gs.forEach((g, i) => grads.push(g ? (g.dataSync() as Float32Array) : new Float32Array(params[i].data.length)));
  });
  // the density factors are the first six parameters (modelParams order)
  const density = params.slice(0, 6).map((p) => p.data);
  lossValue = Math.fround(mseValue + l1Value(density, l1Weight));
  addL1Gradient(grads, density, l1Weight);
  if (!Number.isFinite(lossValue)) throw new NonFiniteLossError(lossValue);
  return { loss: lossValue, mse: mseValue, decoded, grads };
}
