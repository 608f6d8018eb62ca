/**
 * Shared by the Adam tests: a parameter with a few steps of gradients (seeded; some exact zeros,
 * some tiny, some large), the host update (train/adam.ts) run over them as the reference, and
 * errors in float32 ulps of the terms' scale.
 *
 * Why the terms' scale: m' = b1 m + (1 - b1) g and p' = p - update cancel when the terms nearly
 * balance, and then float32 rounding of the terms (which the host, computing in double, does not
 * do) is many ulps of the small result but a fraction of an ulp of the terms. So an error is
 * measured in units of 2^-23 * scale, with scale |b1 m| + |(1 - b1) g| for m', v' itself for v'
 * (a sum of non-negative terms), and for p' the terms |p| + |update| plus what m's rounding does
 * to the update: |update| * (m's scale / |m'|) (the update is proportional to m', which the host
 * does not round). That bounds one step; over several steps the errors of earlier steps, whose
 * terms differ, carry over, so trajectories are compared by relErr (to each array's largest value).
 */
import { makeParam } from '../../../src/core/params';
import { Rng } from '../../../src/core/random';
import { adamStep, BETA1, BETA2, createAdam, EPS } from '../../../src/core/train/adam';
import type { AdamUpdateOptions } from '../../../src/core/train/adam-tf';

export interface AdamCase {
  shape: number[];
  p0: Float32Array;
  grads: Float32Array[];
}

export interface AdamState3 {
  p: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export function adamCase(shape: number[], steps: number, seed: number): AdamCase {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const p0 = Float32Array.from({ length: n }, () => rng.normal());
  const grads = Array.from({ length: steps }, () =>
    Float32Array.from({ length: n }, (_, i) =>
      i % 11 === 3 ? 0 : i % 13 === 5 ? 1e-6 * rng.normal() : i % 17 === 7 ? 40 * rng.normal() : rng.normal(),
    ),
  );
  return { shape, p0, grads };
}

/** The state before step t (0-based): the initial one, then the host's. */
export function stateBefore(c: AdamCase, host: AdamState3[], t: number): AdamState3 {
  if (t > 0) return host[t - 1];
  const n = c.p0.length;
  return { p: c.p0, m: new Float32Array(n), v: new Float32Array(n) };
}

/** The options of step t (1-based) with the host's betas and eps. */
export const hostOptions = (lr: number, step: number): AdamUpdateOptions => ({ lr, beta1: BETA1, beta2: BETA2, eps: EPS, step });

/** adamStep over the case's gradients: the state after each step. */
export function hostAdam(c: AdamCase, lr: number): AdamState3[] {
  const p = makeParam('p', c.shape, 'factors');
  p.data.set(c.p0);
  const st = createAdam([p], { factors: lr, network: lr });
  return c.grads.map((g) => {
    adamStep(st, [p], [g]);
    return { p: p.data.slice(), m: st.m[0].slice(), v: st.v[0].slice() };
  });
}

/** Per element scales of step prev -> next with gradient g (see the header). */
export function termScales(prev: AdamState3, g: Float32Array, next: AdamState3): AdamState3 {
  const n = g.length;
  const m = Float32Array.from({ length: n }, (_, i) => BETA1 * Math.abs(prev.m[i]) + (1 - BETA1) * Math.abs(g[i]));
  const p = Float32Array.from({ length: n }, (_, i) => {
    const update = Math.abs(prev.p[i] - next.p[i]);
    return Math.abs(prev.p[i]) + update * (1 + (next.m[i] === 0 ? 0 : m[i] / Math.abs(next.m[i])));
  });
  return { p, m, v: Float32Array.from({ length: n }, (_, i) => Math.abs(next.v[i])) };
}

/** max |a - b| / max |b| */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

/** Largest relErr over p, m and v. */
export function stateRelErr(a: AdamState3, b: AdamState3): number {
  return Math.max(relErr(a.p, b.p), relErr(a.m, b.m), relErr(a.v, b.v));
}

/** Largest |a - b| in units of 2^-23 * scale (exact agreement required where the scale is 0). */
export function scaledUlps(a: ArrayLike<number>, b: ArrayLike<number>, scale: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return Infinity;
    if (d === 0) continue;
    worst = Math.max(worst, scale[i] > 0 ? d / (2 ** -23 * scale[i]) : Infinity);
  }
  return worst;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
/** A float32 value's position on the ordered integer line (so ulp distance is a difference). */
function ordinal(x: number): number {
  F32[0] = x;
  const u = U32[0];
  return u & 0x80000000 ? -(u & 0x7fffffff) : u;
}

/** Largest distance in float32 ulps between a[i] and b[i] (b rounded to float32 first). */
export function maxUlps(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) return Infinity;
    worst = Math.max(worst, Math.abs(ordinal(a[i]) - ordinal(b[i])));
  }
  return worst;
}
