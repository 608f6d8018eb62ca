/** Rendering many rays without gradients (evaluation, previews), chunk by chunk, on the active backend's render path. */
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../field/alpha-mask';
import { nSamplesEval, stepSize } from '../field/geometry';
import { type Model, modelParams } from '../model';
import { flatGroups, type ParamGroups } from '../params';
import { hostParamTensors, renderPathFor } from './render-path';

export interface RenderedRays {
  rgb: Float32Array; // count * 3
  depth: Float32Array; // count (expected t, weighted; 0 where empty)
  acc: Float32Array; // count (accumulated opacity)
}

export interface RenderSettings {
  mask: AlphaMask | null;
  stepRatio: number;
  chunk: number;
  /** The parameters as device tensors (a device-resident training's); default: the model's host arrays. */
  params?: ParamGroups<tf.Tensor> | null;
}

export async function renderRays(
  model: Model,
  origins: Float32Array,
  dirs: Float32Array,
  count: number,
  s: RenderSettings,
): Promise<RenderedRays> {
  const f = model.field;
  const step = stepSize(f.box, f.reso, s.stepRatio);
  const nSamples = nSamplesEval(f.box, step);
  const out: RenderedRays = { rgb: new Float32Array(count * 3), depth: new Float32Array(count), acc: new Float32Array(count) };
  const owned = s.params ? null : hostParamTensors(modelParams(model));
  const params = s.params ?? (owned as ParamGroups<tf.Tensor>);
  const path = renderPathFor(tf.getBackend());
  path.begin(s.mask);
  try {
    for (let start = 0; start < count; start += s.chunk) {
      const n = Math.min(s.chunk, count - start);
      const c = await path.renderChunk({
        field: f,
        decoder: model.decoder,
        params,
        origins: origins.subarray(3 * start, 3 * (start + n)),
        dirs: dirs.subarray(3 * start, 3 * (start + n)),
        count: n,
        step,
        nSamples,
      });
      out.rgb.set(c.rgb, 3 * start);
      out.depth.set(c.depth, start);
      out.acc.set(c.acc, start);
    }
  } finally {
    path.release();
    if (owned) tf.dispose(flatGroups(owned));
  }
  return out;
}
