/**
 * One differentiable forward pass over a batch of rays: density at the packed samples ->
 * sigma = softplus(feature + shift) -> compositing weights -> appearance features and the decoder
 * only where w > threshold -> accumulated colour on white, clamped to [0, 1].
 */
import type { ParamGroups } from '../params';
import type { Decoder } from '../decoders/types';
import * as tf from '@tensorflow/tfjs-core';
import { appearanceDecoder } from './decoder-op';
import { hostKernelsActive } from '../kernels/register';
import type { VMField } from '../field/vm';
import { accumulate, compositeWeights, vmSample } from './ops';
import { densitySigma } from './density-sigma';
import type { SamplePlan } from './samples';

export interface RenderConstants {
  densityShift: number; // -10
  distanceScale: number; // 25
  weightThreshold: number; // 1e-4
}
export const RENDER_CONSTANTS: RenderConstants = { densityShift: -10, distanceScale: 25, weightThreshold: 1e-4 };

export interface BatchOutput {
  rgb: tf.Tensor2D; // [R, 3]
  weights: Float32Array; // [S] (values, for depth / opacity)
  decoded: number; // samples that went through the decoder
}

/**
 * `t` holds the model's parameters as tensors, by group.
 */
export function renderBatch(
  field: VMField,
  decoder: Decoder,
  t: ParamGroups<tf.Tensor>,
  plan: SamplePlan,
  rayDirs: Float32Array,
  nRays: number,
  k: RenderConstants = RENDER_CONSTANTS,
): BatchOutput {
  const S = plan.count;
  const feature = vmSample(t.densityPlanes, t.densityLines, field.densityComps, field.reso, plan.coords, S, 'sum') as tf.Tensor1D;
  const sigma = densitySigma(feature, k.densityShift);
  const w = compositeWeights(sigma, plan, k.distanceScale);
  const wd = w.dataSync() as Float32Array;
  const { idx, coords, dirs } = selectDecoded(wd, plan, rayDirs, k.weightThreshold);
  const rgbSamples = decodeSamples(field, decoder, t, coords, dirs, idx.length);
  const rgb = tf.clipByValue(accumulate(w, rgbSamples, idx, plan.rayOf, nRays), 0, 1) as tf.Tensor2D;
  return { rgb, weights: wd, decoded: idx.length };
}

/** The samples with w > threshold, in packed order: their indices, normalised coords and ray directions. */
export function selectDecoded(
  wd: Float32Array,
  plan: SamplePlan,
  rayDirs: Float32Array,
  threshold: number,
): { idx: Int32Array; coords: Float32Array; dirs: Float32Array } {
  const S = plan.count;
  let A = 0;
  for (let s = 0; s < S; s++) if (wd[s] > threshold) A++;
  const idx = new Int32Array(A);
  const coords = new Float32Array(3 * A);
  const dirs = new Float32Array(3 * A);
  for (let s = 0, a = 0; s < S; s++) {
    if (!(wd[s] > threshold)) continue;
    idx[a] = s;
    const r = plan.rayOf[s];
    for (let c = 0; c < 3; c++) {
      coords[3 * a + c] = plan.coords[3 * s + c];
      dirs[3 * a + c] = rayDirs[3 * r + c];
    }
    a++;
  }
  return { idx, coords, dirs };
}

/**
 * Colours [A, 3] of A samples from their normalised coords [A*3] and view directions [A*3]:
 * appearance products -> basis matrix -> decoder (its fused host kernels where registered).
 */
export function decodeSamples(
  field: VMField,
  decoder: Decoder,
  t: ParamGroups<tf.Tensor>,
  coords: Float32Array,
  dirs: Float32Array,
  A: number,
): tf.Tensor2D {
  const appFeat = vmSample(t.appPlanes, t.appLines, field.appComps, field.reso, coords, A, 'products') as tf.Tensor2D;
  const dirT = tf.tensor2d(dirs, [A, 3]);
  if (decoder.fused && hostKernelsActive()) return appearanceDecoder(decoder.fused, t.basis, t.decoder, appFeat, dirT);
  return decoder.apply(t.decoder, tf.matMul(appFeat, t.basis) as tf.Tensor2D, dirT);
}
