/**
 * The host render of a chunk without gradients that stops evaluating density along a ray once
 * its transmittance is spent (issue 13). The samples are placed as in host-chunk.ts (the
 * reference); each round computes density for the next `segment` samples of every ray still
 * marching, in one call over the chunk, and composites them as composite.ts does (the same
 * float64 recurrence, continued across rounds, so every weight computed is bit-identical to the
 * reference's). With tau = stopAt <= 1e-4 (the weight threshold; default 1e-4), a ray retires when
 *
 *   T < stopT = tau (1 - 1e-6) / (1 + 1e-10)^N        (N: samples per ray)
 *
 * Every later sample k then has w_k = a_k T_k <= T_k <= T (1 + 1e-10)^N < 1e-4 (1 - 1e-6), and
 * its float32 rounding stays below 1e-4: no sample the reference decodes is skipped, and the
 * decoder runs once per chunk on the same samples, in the same order.
 *
 * What the unevaluated samples' weights would add: with T_{k+1} = T_k (1 - a_k + eps),
 * sum_{k > m} w_k = T - T_end + eps sum_{k > m} T_k, between T - T_end and T - T_end + N eps T
 * (1 + eps)^N. The march counts that remainder as T, as if the ray were absorbed at its next
 * sample t_next: acc += T, depth += T t_next, and the white background term 1 - acc loses T.
 * Against the reference, acc and each rgb channel then differ by T_end - eps sum T_k, at most
 * T (1 + N eps) < tau (small where the ray stays inside the object, up to T where it leaves it
 * right after the stop), and depth by at most T (1 + N eps) t_last. Rays that are not retired
 * come out bit-identical. (Dropping the remainder instead would err by T - T_end, typically ~T.)
 * tau = 1e-4 bounds rgb to 1/39 of an 8-bit step; a smaller stopAt tightens it at the cost of
 * fewer samples saved.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../field/alpha-mask';
import type { VMFactors } from '../field/vm-kernels';
import { vmForwardThreads } from '../parallel/vm';
import { nextFactorsKey } from '../kernels/vm-wasm';
import { densitySigmaValues } from './density-sigma';
import type { ChunkInput, ChunkRender } from './chunk';
import { accumulateForward, T_EPS } from './composite';
import { chunkSamples } from './host-chunk';
import { decodeSamples, RENDER_CONSTANTS, type RenderConstants, selectDecoded } from './render-batch';
import type { SamplePlan } from './samples';

export interface MarchOptions {
  /**
   * Samples per ray per round. A retiring ray wastes up to a segment's samples past its stop,
   * while each round costs one density call over the chunk: on a 500-iteration Lego model, 8
   * saved 20.7% of the density evaluations, 32 14.6%, 1 (the limit) 22.7% (scripts/bench-march.ts).
   */
  segment: number;
  /** The transmittance at which a ray stops (before the margins of stopTransmittance); at most the weight threshold. */
  stopAt: number;
}
export const MARCH_DEFAULTS: MarchOptions = { segment: 8, stopAt: 1e-4 };

export interface MarchResult {
  render: ChunkRender;
  planned: number; // samples placed (the reference evaluates density at all of them)
  evaluated: number; // samples whose density was computed
  decoded: number;
  /** Per ray, the transmittance at which it retired (the weight left unevaluated); 0 if it ran to its end. */
  residual: Float64Array;
}

/** The transmittance below which no later sample of a ray of nSamples can pass the threshold (see the header). */
export function stopTransmittance(threshold: number, nSamples: number): number {
  return (threshold * (1 - 1e-6)) / (1 + T_EPS) ** nSamples;
}

export function marchChunk(
  c: ChunkInput,
  mask: AlphaMask | null,
  options: Partial<MarchOptions> = {},
  k: RenderConstants = RENDER_CONSTANTS,
): MarchResult {
  const o = { ...MARCH_DEFAULTS, ...options };
  if (!Number.isInteger(o.segment) || o.segment < 1) throw new RangeError(`marchChunk: segment must be an integer >= 1, got ${o.segment}`);
  const plan = chunkSamples(c, mask);
  const stopT = stopTransmittance(Math.min(o.stopAt, k.weightThreshold), c.nSamples);
  const { w, residual, next, evaluated } = marchWeights(c, plan, o.segment, stopT, k);
  const R = c.count;
  const render: ChunkRender = { rgb: new Float32Array(3 * R), depth: new Float32Array(R), acc: new Float32Array(R) };
  const { idx, coords, dirs } = selectDecoded(w, plan, c.dirs, k.weightThreshold);
  tf.tidy(() => {
    const colours = decodeSamples(c.field, c.decoder, c.params, coords, dirs, idx.length).dataSync() as Float32Array;
    // the unevaluated samples hold w = 0, so this is the reference's sum for every ray that ran to its end
    render.rgb.set(accumulateForward(w, colours, idx, plan.rayOf, R));
  });
  for (let s = 0; s < plan.count; s++) {
    const r = plan.rayOf[s];
    render.acc[r] += w[s];
    render.depth[r] += w[s] * plan.t[s];
  }
  for (let r = 0; r < R; r++) {
    const T = residual[r];
    if (T > 0) {
      for (let ch = 0; ch < 3; ch++) render.rgb[3 * r + ch] -= T;
      render.acc[r] += T;
      render.depth[r] += T * plan.t[next[r]];
    }
    for (let ch = 0; ch < 3; ch++) render.rgb[3 * r + ch] = Math.min(1, Math.max(0, render.rgb[3 * r + ch]));
  }
  return { render, planned: plan.count, evaluated, decoded: idx.length, residual };
}

/**
 * Compositing weights [S] of the planned samples, marched `segment` samples per ray per round;
 * the samples of retired rays are left at w = 0. next[r]: ray r's first sample not evaluated.
 */
function marchWeights(
  c: ChunkInput,
  plan: SamplePlan,
  segment: number,
  stopT: number,
  k: RenderConstants,
): { w: Float32Array; residual: Float64Array; next: Int32Array; evaluated: number } {
  const R = c.count;
  const start = plan.rayStart;
  const w = new Float32Array(plan.count);
  const residual = new Float64Array(R);
  const T = new Float64Array(R).fill(1);
  const cursor = Int32Array.from(start.subarray(0, R));
  const active = new Int32Array(R);
  let nActive = 0;
  for (let r = 0; r < R; r++) if (start[r + 1] > start[r]) active[nActive++] = r;
  const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;
  const factors: VMFactors = {
    planes: c.params.densityPlanes.map(f32),
    lines: c.params.densityLines.map(f32),
    comps: c.field.densityComps,
    reso: c.field.reso,
  };
  const key = nextFactorsKey(); // the factors stay as they are through this chunk's rounds
  const coords = new Float32Array(3 * Math.min(plan.count, segment * nActive));
  let evaluated = 0;
  while (nActive > 0) {
    let n = 0;
    for (let i = 0; i < nActive; i++) {
      const r = active[i];
      const s1 = Math.min(cursor[r] + segment, start[r + 1]);
      coords.set(plan.coords.subarray(3 * cursor[r], 3 * s1), 3 * n);
      n += s1 - cursor[r];
    }
    const sigma = marchSigma(factors, coords, n, k.densityShift, key);
    evaluated += n;
    let j = 0;
    let kept = 0;
    for (let i = 0; i < nActive; i++) {
      const r = active[i];
      const s1 = Math.min(cursor[r] + segment, start[r + 1]);
      let t = T[r];
      for (let s = cursor[r]; s < s1; s++, j++) {
        // composite.ts weightsForward, step for step
        const a = 1 - Math.exp(-sigma[j] * plan.delta[s] * k.distanceScale);
        w[s] = a * t;
        t *= 1 - a + T_EPS;
      }
      T[r] = t;
      cursor[r] = s1;
      if (s1 === start[r + 1]) continue;
      if (t < stopT) residual[r] = t;
      else active[kept++] = r;
    }
    nActive = kept;
  }
  return { w, residual, next: cursor, evaluated };
}

/**
 * sigma = softplus(feature + shift) at n packed coords, the values renderBatch's op gives
 * (density-sigma.ts); the feature on the compute threads (cut by points: the same bits).
 */
function marchSigma(factors: VMFactors, coords: Float32Array, n: number, shift: number, key: number): Float32Array {
  return densitySigmaValues(vmForwardThreads(factors, coords, n, 'sum', key), n, shift);
}
