/**
 * The plain host render of a chunk without gradients: every sample of every ray placed
 * (planSamples), its density computed and composited (renderBatch, the training step's forward
 * pass), the decoder run where w > 1e-4. The reference the early-terminating march
 * (march-host.ts) is held to.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../field/alpha-mask';
import { NEAR_FAR } from '../field/geometry';
import type { ChunkInput, ChunkRender } from './chunk';
import { renderBatch } from './render-batch';
import { planSamples, type SamplePlan } from './samples';

/** The evaluation samples of a chunk's rays (u = 0, near / far, the alpha mask), packed ray by ray. */
export function chunkSamples(c: ChunkInput, mask: AlphaMask | null): SamplePlan {
  return planSamples(c.origins, c.dirs, c.count, {
    box: c.field.box,
    step: c.step,
    nSamples: c.nSamples,
    near: NEAR_FAR[0],
    far: NEAR_FAR[1],
    jitter: null,
    mask,
  });
}

export function renderChunkFull(c: ChunkInput, mask: AlphaMask | null): ChunkRender {
  const plan = chunkSamples(c, mask);
  const out: ChunkRender = { rgb: new Float32Array(3 * c.count), depth: new Float32Array(c.count), acc: new Float32Array(c.count) };
  tf.tidy(() => {
    const b = renderBatch(c.field, c.decoder, c.params, plan, c.dirs, c.count);
    out.rgb.set(b.rgb.dataSync());
    for (let k = 0; k < plan.count; k++) {
      const r = plan.rayOf[k];
      out.acc[r] += b.weights[k];
      out.depth[r] += b.weights[k] * plan.t[k];
    }
  });
  return out;
}
