/** Rendering many rays without gradients (evaluation, previews), chunk by chunk. */
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../field/alpha-mask';
import { NEAR_FAR, nSamplesEval, stepSize } from '../field/geometry';
import { type Model, modelParams, paramTensors } from '../model';
import { renderBatch } from './render-batch';
import { planSamples } from './samples';

export interface RenderedRays {
  rgb: Float32Array; // count * 3
  depth: Float32Array; // count (expected t, weighted; 0 where empty)
  acc: Float32Array; // count (accumulated opacity)
}

export interface RenderSettings {
  mask: AlphaMask | null;
  stepRatio: number;
  chunk: number;
}

export function renderRays(model: Model, origins: Float32Array, dirs: Float32Array, count: number, s: RenderSettings): RenderedRays {
  const f = model.field;
  const step = stepSize(f.box, f.reso, s.stepRatio);
  const nSamples = nSamplesEval(f.box, step);
  const out: RenderedRays = { rgb: new Float32Array(count * 3), depth: new Float32Array(count), acc: new Float32Array(count) };
  const params = modelParams(model);
  const tensors = paramTensors(params);
  try {
    for (let start = 0; start < count; start += s.chunk) {
      const n = Math.min(s.chunk, count - start);
      const o = origins.subarray(3 * start, 3 * (start + n));
      const d = dirs.subarray(3 * start, 3 * (start + n));
      const plan = planSamples(o, d, n, { box: f.box, step, nSamples, near: NEAR_FAR[0], far: NEAR_FAR[1], jitter: null, mask: s.mask });
      tf.tidy(() => {
        const b = renderBatch(f, model.decoder, tensors, plan, d, n);
        out.rgb.set(b.rgb.dataSync(), 3 * start);
        for (let k = 0; k < plan.count; k++) {
          const r = start + plan.rayOf[k];
          out.acc[r] += b.weights[k];
          out.depth[r] += b.weights[k] * plan.t[k];
        }
      });
    }
  } finally {
    tensors.forEach((t) => t.dispose());
  }
  return out;
}
