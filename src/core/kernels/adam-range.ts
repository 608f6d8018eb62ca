/**
 * One Adam update of elements lo..hi-1 of a parameter, in place (train/adam.ts cuts a parameter
 * between threads with it; the scalars are adam-scalars.ts's, in double as before):
 *   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g^2,
 *   p' = p - stepSize m' / (sqrt(v') / bc2 + eps)
 * Elements are independent, so any cut gives the same bits.
 */
import type { AdamScalars } from './adam-scalars';

export function adamRange(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  k: AdamScalars,
  lo: number,
  hi: number,
): void {
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, bc2, eps } = k;
  for (let j = lo; j < hi; j++) {
    const gj = g[j];
    const mj = beta1 * m[j] + oneMinusBeta1 * gj;
    const vj = beta2 * v[j] + oneMinusBeta2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    p[j] -= (stepSize * mj) / (Math.sqrt(vj) / bc2 + eps);
  }
}
