/**
 * The batch renderer on plain tf ops, for backends whose tensors live on a device (webgpu,
 * tensorflow): samples are laid out densely as [R, N] (N = most samples on any ray of the batch,
 * invalid slots with sigma 0). Which samples go through the decoder (w > threshold) is decided by
 * a density-only pass read back asynchronously; the differentiable pass then gathers those
 * samples, decodes them and sums their colour per ray (unsortedSegmentSum). Same numbers as the
 * packed host-kernel path (render-batch.ts).
 */
import { type Decoder } from '../decoders/types';
import * as tf from '@tensorflow/tfjs-core';
import type { VMField } from '../field/vm';
import { compositeWeightsTf, vmSampleTf } from './ops-tf';
import type { RenderConstants } from './render-batch';
import type { SamplePlan } from './samples';

export interface DenseLayout {
  nRays: number;
  n: number; // slots per ray
  coords: Float32Array; // R * n * 3 (invalid slots at 0,0,0)
  valid: Float32Array; // R * n
  delta: Float32Array; // R * n
  t: Float32Array; // R * n
}

export function denseLayout(plan: SamplePlan, nRays: number): DenseLayout {
  let n = 1;
  for (let r = 0; r < nRays; r++) n = Math.max(n, plan.rayStart[r + 1] - plan.rayStart[r]);
  const out: DenseLayout = {
    nRays,
    n,
    coords: new Float32Array(nRays * n * 3),
    valid: new Float32Array(nRays * n),
    delta: new Float32Array(nRays * n),
    t: new Float32Array(nRays * n),
  };
  for (let r = 0; r < nRays; r++) {
    for (let s = plan.rayStart[r], k = 0; s < plan.rayStart[r + 1]; s++, k++) {
      const d = r * n + k;
      out.valid[d] = 1;
      out.delta[d] = plan.delta[s];
      out.t[d] = plan.t[s];
      for (let c = 0; c < 3; c++) out.coords[3 * d + c] = plan.coords[3 * s + c];
    }
  }
  return out;
}

/** Compositing weights [R, n] from the density factors t[0..6). */
export function denseWeights(field: VMField, t: tf.Tensor[], L: DenseLayout, k: RenderConstants): tf.Tensor2D {
  return tf.tidy(() => {
    const coords = tf.tensor2d(L.coords, [L.nRays * L.n, 3]);
    const feat = vmSampleTf(t.slice(0, 3), t.slice(3, 6), coords, 'sum');
    const sigma = tf.mul(tf.softplus(tf.add(feat, k.densityShift)), tf.tensor1d(L.valid));
    return compositeWeightsTf(tf.reshape(sigma, [L.nRays, L.n]) as tf.Tensor2D, tf.tensor2d(L.delta, [L.nRays, L.n]), k.distanceScale);
  });
}

/** Flat [R * n] indices of the slots whose weight exceeds the threshold (reads the weights back). */
export async function decodedSlots(field: VMField, t: tf.Tensor[], L: DenseLayout, k: RenderConstants): Promise<{ sel: Int32Array; weights: Float32Array }> {
  const w = denseWeights(field, t, L, k);
  const wv = (await w.data()) as Float32Array;
  w.dispose();
  let count = 0;
  for (let i = 0; i < wv.length; i++) if (wv[i] > k.weightThreshold) count++;
  const sel = new Int32Array(count);
  for (let i = 0, j = 0; i < wv.length; i++) if (wv[i] > k.weightThreshold) sel[j++] = i;
  return { sel, weights: wv };
}

/** Differentiable: rgb [R, 3] on white, clamped, decoding only the `sel` slots. */
export function renderDense(
  field: VMField,
  decoder: Decoder,
  t: tf.Tensor[],
  L: DenseLayout,
  sel: Int32Array,
  rayDirs: Float32Array,
  k: RenderConstants,
): tf.Tensor2D {
  const w = denseWeights(field, t, L, k);
  const A = sel.length;
  const coords = new Float32Array(3 * A);
  const dirs = new Float32Array(3 * A);
  const rays = new Int32Array(A);
  for (let a = 0; a < A; a++) {
    const d = sel[a];
    const r = Math.floor(d / L.n);
    rays[a] = r;
    for (let c = 0; c < 3; c++) {
      coords[3 * a + c] = L.coords[3 * d + c];
      dirs[3 * a + c] = rayDirs[3 * r + c];
    }
  }
  const background = tf.sub(1, tf.sum(w, 1, true));
  if (A === 0) {
    // Nothing to decode: keep the appearance and decoder parameters in the graph with a zero
    // contribution so that tfjs returns (zero) gradients for them instead of failing.
    // (a chain of adds, not addN: WebGPU allows only 8 storage buffers per shader stage)
    const zero = tf.mul(t.slice(6).map((x) => tf.sum(x)).reduce((a, b) => tf.add(a, b)), 0);
    return tf.clipByValue(tf.add(tf.add(tf.zeros([L.nRays, 3]), background), zero), 0, 1) as tf.Tensor2D;
  }
  const app = vmSampleTf(t.slice(6, 9), t.slice(9, 12), tf.tensor2d(coords, [A, 3]), 'products') as tf.Tensor2D;
  const feat = tf.matMul(app, t[12]) as tf.Tensor2D;
  const rgb = decoder.apply(t.slice(13), feat, tf.tensor2d(dirs, [A, 3]));
  const wSel = tf.gather(tf.reshape(w, [-1]), tf.tensor1d(sel, 'int32'));
  const colour = tf.unsortedSegmentSum(tf.mul(rgb, tf.expandDims(wSel, 1)), tf.tensor1d(rays, 'int32'), L.nRays);
  return tf.clipByValue(tf.add(colour, background), 0, 1) as tf.Tensor2D;
}
