/**
 * One optimisation step: loss = MSE(rendered, target) + l1Weight * density L1, gradients by
 * tfjs autodiff through the custom ops, Adam on the parameter arrays.
 */
import { NonFiniteLossError } from '../errors';
import * as tf from '@tensorflow/tfjs-core';
import { modelParams, paramTensors, type Model } from '../model';
import type { RayPool } from '../data/ray-pool';
import { meanAbsSum } from '../render/ops';
import { RENDER_CONSTANTS, renderBatch } from '../render/render-batch';
import { decodedSlots, denseLayout, renderDense } from '../render/render-batch-tf';
import type { SamplePlan } from '../render/samples';
import { adamStep, type AdamState } from './adam';

export interface StepResult {
  loss: number;
  mse: number;
  decoded: number;
}

export function trainStep(model: Model, adam: AdamState, batch: RayPool, plan: SamplePlan, l1Weight: number): StepResult {
  const params = modelParams(model);
  let decoded = 0;
  let mseValue = 0;
  const grads: Float32Array[] = [];
  let lossValue = 0;
  tf.tidy(() => {
    const tensors = paramTensors(params);
    const target = tf.tensor2d(batch.rgbs, [batch.count, 3]);
    const f = (...ts: tf.Tensor[]) => {
      const out = renderBatch(model.field, model.decoder, ts, plan, batch.dirs, batch.count);
      decoded = out.decoded;
      const mse = tf.mean(tf.squaredDifference(out.rgb, target));
      mseValue = (mse.dataSync() as Float32Array)[0];
      const l1 = l1Weight > 0 ? tf.mul(meanAbsSum(ts.slice(0, 6)), l1Weight) : tf.scalar(0);
      return tf.add(mse, l1) as tf.Scalar;
    };
    const { value, grads: gs } = tf.valueAndGrads(f)(tensors);
    lossValue = (value.dataSync() as Float32Array)[0];
    gs.forEach((g, i) => grads.push(g ? (g.dataSync() as Float32Array) : new Float32Array(params[i].data.length)));
  });
  if (!Number.isFinite(lossValue)) throw new NonFiniteLossError(lossValue);
  adamStep(adam, params, grads);
  return { loss: lossValue, mse: mseValue, decoded };
}

/** The same step on plain tf ops for device backends (webgpu, tensorflow); reads results asynchronously. */
export async function trainStepTf(model: Model, adam: AdamState, batch: RayPool, plan: SamplePlan, l1Weight: number): Promise<StepResult> {
  const params = modelParams(model);
  const tensors = paramTensors(params);
  const target = tf.tensor2d(batch.rgbs, [batch.count, 3]);
  try {
    const L = denseLayout(plan, batch.count);
    const { sel } = await decodedSlots(model.field, tensors, L, RENDER_CONSTANTS);
    let mseT: tf.Scalar | null = null;
    const f = (...ts: tf.Tensor[]) => {
      const rgb = renderDense(model.field, model.decoder, ts, L, sel, batch.dirs, RENDER_CONSTANTS);
      const mse = tf.mean(tf.squaredDifference(rgb, target)) as tf.Scalar;
      mseT = tf.keep(mse);
      if (l1Weight <= 0) return mse;
      const l1 = ts.slice(0, 6).map((x) => tf.mean(tf.abs(x))).reduce((a, b) => tf.add(a, b));
      return tf.add(mse, tf.mul(l1, l1Weight)) as tf.Scalar;
    };
    const { value, grads } = tf.tidy(() => tf.valueAndGrads(f)(tensors));
    const lossValue = (await value.data())[0];
    const mseValue = (await (mseT as unknown as tf.Scalar).data())[0];
    const gradData = await Promise.all(grads.map((g, i) => (g ? (g.data() as Promise<Float32Array>) : Promise.resolve(new Float32Array(params[i].data.length)))));
    value.dispose();
    (mseT as unknown as tf.Scalar).dispose();
    grads.forEach((g) => g?.dispose());
    if (!Number.isFinite(lossValue)) throw new NonFiniteLossError(lossValue);
    adamStep(adam, params, gradData);
    return { loss: lossValue, mse: mseValue, decoded: sel.length };
  } finally {
    tensors.forEach((t) => t.dispose());
    target.dispose();
  }
}
