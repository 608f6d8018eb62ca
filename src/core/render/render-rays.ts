/** Rendering many rays without gradients (evaluation, previews), chunk by chunk. */
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../field/alpha-mask';
import { NEAR_FAR, nSamplesEval, stepSize } from '../field/geometry';
import { type Model, modelParams, paramTensors } from '../model';
import { hostKernelsActive } from '../kernels/register';
import { RENDER_CONSTANTS, renderBatch } from './render-batch';
import { decodedSlots, denseLayout, renderDense } from './render-batch-tf';
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

export async function renderRays(model: Model, origins: Float32Array, dirs: Float32Array, count: number, s: RenderSettings): Promise<RenderedRays> {
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
      if (hostKernelsActive()) {
        tf.tidy(() => {
          const b = renderBatch(f, model.decoder, tensors, plan, d, n);
          out.rgb.set(b.rgb.dataSync(), 3 * start);
          for (let k = 0; k < plan.count; k++) {
            const r = start + plan.rayOf[k];
            out.acc[r] += b.weights[k];
            out.depth[r] += b.weights[k] * plan.t[k];
          }
        });
      } else {
        const L = denseLayout(plan, n);
        const { sel, weights } = await decodedSlots(f, tensors, L, RENDER_CONSTANTS);
        const rgb = tf.tidy(() => renderDense(f, model.decoder, tensors, L, sel, d, RENDER_CONSTANTS));
        out.rgb.set((await rgb.data()) as Float32Array, 3 * start);
        rgb.dispose();
        for (let i = 0; i < weights.length; i++) {
          const r = start + Math.floor(i / L.n);
          out.acc[r] += weights[i];
          out.depth[r] += weights[i] * L.t[i];
        }
      }
    }
  } finally {
    tensors.forEach((t) => t.dispose());
  }
  return out;
}
