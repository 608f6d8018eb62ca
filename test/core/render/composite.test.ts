/**
 * Alpha compositing (composite.ts) on a hand example, against a plain loop, and its backward
 * against finite differences.
 */
import { describe, expect, it } from 'vitest';
import { accumulateBackward, accumulateForward, type Packing, weightsBackward, weightsForward } from '../../../src/core/render/composite';
import { Rng } from '../../../src/core/random';
import { maxAbs, maxAbsDiff, naiveComposite } from '../naive';

const packing = (lengths: number[], delta: number[]): Packing => {
  const rayStart = new Int32Array(lengths.length + 1);
  for (let r = 0; r < lengths.length; r++) rayStart[r + 1] = rayStart[r] + lengths[r];
  return { rayStart, delta: Float32Array.from(delta) };
};

describe('weightsForward', () => {
  it('hand example: alphas [0, 0.3, 0.8, 0.5] -> T [1, 1, 0.7, 0.14], w [0, 0.3, 0.56, 0.07]', () => {
    // delta = 0.04 and scale 25 make sigma * delta * scale = sigma, so sigma = -ln(1 - alpha):
    //   sigma = [0, -ln 0.7, -ln 0.2, -ln 0.5] -> alpha = [0, 0.3, 0.8, 0.5]
    //   T = [1, 1 - 0, (1 - 0.3), 0.7 * (1 - 0.8)] = [1, 1, 0.7, 0.14]   (the 1e-10 terms are below float32)
    //   w = alpha * T = [0, 0.3, 0.56, 0.07]
    // Ray 1 is empty; ray 2's last sample has delta 0 (k = N-1), so alpha = 0 whatever sigma is.
    const sigma = Float32Array.from([0, -Math.log(0.7), -Math.log(0.2), -Math.log(0.5), 3, 50]);
    const pk = packing([4, 0, 2], [0.04, 0.04, 0.04, 0.04, 0.04, 0]);
    const w = weightsForward(sigma, pk, 25);
    const want = [0, 0.3, 0.56, 0.07, 1 - Math.exp(-3), 0];
    expect(maxAbsDiff(w, want)).toBeLessThan(1e-6);
    expect(w[5]).toBe(0);
  });

  it('matches a plain loop on random rays', () => {
    const rng = new Rng(3);
    const lengths = [5, 0, 1, 9, 3];
    const S = lengths.reduce((a, b) => a + b, 0);
    const sigma = Float32Array.from({ length: S }, () => rng.uniform(0, 5));
    const delta = Float32Array.from({ length: S }, () => rng.uniform(0, 0.05));
    const pk = packing(lengths, Array.from(delta));
    const w = weightsForward(sigma, pk, 25);
    for (let r = 0; r < lengths.length; r++) {
      const s0 = pk.rayStart[r];
      const s1 = pk.rayStart[r + 1];
      const ref = naiveComposite(Array.from(sigma.subarray(s0, s1)), Array.from(pk.delta.subarray(s0, s1)), 25);
      expect(maxAbsDiff(w.subarray(s0, s1), ref.w)).toBeLessThan(1e-6);
    }
  });
});

describe('weightsBackward', () => {
  const rng = new Rng(17);
  const lengths = [6, 0, 1, 4, 3];
  const S = lengths.reduce((a, b) => a + b, 0);
  // alpha = 1 - exp(-sigma * delta * 25) in [0.05, 0.4]: the FD is well conditioned
  const sigma = Float32Array.from({ length: S }, () => rng.uniform(0.2, 2));
  const delta = Array.from({ length: S }, () => 0.01);
  const pk = packing(lengths, delta);
  pk.delta[pk.rayStart[1] - 1] = 0; // ray 0's last sample is k = N-1
  const dW = Float32Array.from({ length: S }, () => rng.uniform(-1, 1));
  const g = weightsBackward(sigma, pk, 25, dW);

  it('vs central differences of the float32 forward (relative 1e-3)', () => {
    const L = (s: Float32Array) => {
      const w = weightsForward(s, pk, 25);
      let l = 0;
      for (let i = 0; i < S; i++) l += dW[i] * w[i];
      return l;
    };
    const eps = 1e-2;
    const fd = new Float64Array(S);
    for (let i = 0; i < S; i++) {
      const p = Float32Array.from(sigma);
      const m = Float32Array.from(sigma);
      p[i] += eps;
      m[i] -= eps;
      fd[i] = (L(p) - L(m)) / (p[i] - m[i]);
    }
    expect(maxAbsDiff(g, fd)).toBeLessThan(1e-3 * maxAbs(fd));
    expect(Math.abs(g[pk.rayStart[1] - 1])).toBe(0); // delta 0 -> no dependence on sigma
  });

  it('vs central differences of a float64 plain loop (relative 1e-5)', () => {
    const L = (s: number[]) => {
      let l = 0;
      for (let r = 0; r < lengths.length; r++) {
        const s0 = pk.rayStart[r];
        const s1 = pk.rayStart[r + 1];
        const { w } = naiveComposite(s.slice(s0, s1), Array.from(pk.delta.subarray(s0, s1)), 25);
        for (let k = 0; k < w.length; k++) l += dW[s0 + k] * w[k];
      }
      return l;
    };
    const eps = 1e-6;
    const base = Array.from(sigma);
    const fd = base.map((_, i) => {
      const p = base.slice();
      const m = base.slice();
      p[i] += eps;
      m[i] -= eps;
      return (L(p) - L(m)) / (2 * eps);
    });
    expect(maxAbsDiff(g, fd)).toBeLessThan(1e-5 * maxAbs(fd));
  });

  it('stays finite when alpha saturates to 1', () => {
    const s = Float32Array.from([1e4, 1e6, 2, 1e30]);
    const p = packing([4], [0.01, 0.01, 0.01, 0.01]);
    const gs = weightsBackward(s, p, 25, Float32Array.from([1, -1, 0.5, 2]));
    for (const v of gs) expect(Number.isFinite(v)).toBe(true);
  });
});

/** Plain loop: rgb_r = sum over decoded samples of w c + (1 - sum over all samples of w). */
function naiveAccumulate(w: Float32Array, rgb: Float32Array, idx: Int32Array, rayOf: Int32Array, nRays: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < nRays; r++) {
    let acc = 0;
    const c = [0, 0, 0];
    for (let s = 0; s < w.length; s++) {
      if (rayOf[s] !== r) continue;
      acc += w[s];
      const a = Array.from(idx).indexOf(s);
      if (a >= 0) for (let ch = 0; ch < 3; ch++) c[ch] += w[s] * rgb[3 * a + ch];
    }
    out.push(...c.map((v) => v + 1 - acc));
  }
  return out;
}

describe('accumulate', () => {
  // 4 rays; ray 1 has no samples, ray 3 has samples but none decoded
  const rayOf = Int32Array.from([0, 0, 0, 2, 2, 3, 3]);
  const nRays = 4;
  const rng = new Rng(9);
  const w = Float32Array.from({ length: rayOf.length }, () => rng.uniform(0, 0.3));
  const idx = Int32Array.from([0, 2, 3, 4]); // decoded samples (w > threshold)
  const rgb = Float32Array.from({ length: idx.length * 3 }, () => rng.uniform(0, 1));

  it('forward vs a plain loop, white background', () => {
    const out = accumulateForward(w, rgb, idx, rayOf, nRays);
    expect(maxAbsDiff(out, naiveAccumulate(w, rgb, idx, rayOf, nRays))).toBeLessThan(1e-6);
    expect(Array.from(out.subarray(3, 6))).toEqual([1, 1, 1]); // empty ray -> white
    const ray3 = 1 - w[5] - w[6];
    expect(maxAbsDiff(out.subarray(9, 12), [ray3, ray3, ray3])).toBeLessThan(1e-6);
  });

  it('hand example: one ray, w [0.5, 0.25], colours red and blue -> [0.75, 0.25, 0.5]', () => {
    // 0.5 (1,0,0) + 0.25 (0,0,1) + (1 - 0.75) (1,1,1) = (0.75, 0.25, 0.5)
    const out = accumulateForward(
      Float32Array.from([0.5, 0.25]),
      Float32Array.from([1, 0, 0, 0, 0, 1]),
      Int32Array.from([0, 1]),
      Int32Array.from([0, 0]),
      1,
    );
    expect(Array.from(out)).toEqual([0.75, 0.25, 0.5]);
  });

  it('backward vs the derivative of the plain loop', () => {
    const dOut = Float32Array.from({ length: nRays * 3 }, () => rng.uniform(-1, 1));
    const { dW, dRgb } = accumulateBackward(w, rgb, idx, rayOf, dOut);
    // d/dw_s = sum_ch dOut[r, ch] (rgb[a, ch] if s is decoded as a, else 0) - sum_ch dOut[r, ch]
    // d/drgb[a, ch] = dOut[r, ch] w_s
    for (let s = 0; s < w.length; s++) {
      const r = rayOf[s];
      const a = Array.from(idx).indexOf(s);
      let want = 0;
      for (let ch = 0; ch < 3; ch++) want += dOut[3 * r + ch] * ((a >= 0 ? rgb[3 * a + ch] : 0) - 1);
      expect(dW[s]).toBeCloseTo(want, 6);
    }
    for (let a = 0; a < idx.length; a++) {
      for (let ch = 0; ch < 3; ch++) expect(dRgb[3 * a + ch]).toBeCloseTo(dOut[3 * rayOf[idx[a]] + ch] * w[idx[a]], 6);
    }
    // and by finite differences of the (linear) forward
    const L = (ww: Float32Array, cc: Float32Array) => {
      const o = accumulateForward(ww, cc, idx, rayOf, nRays);
      let l = 0;
      for (let i = 0; i < o.length; i++) l += dOut[i] * o[i];
      return l;
    };
    const l0 = L(w, rgb);
    for (let s = 0; s < w.length; s++) {
      const ww = Float32Array.from(w);
      ww[s] += 0.25;
      expect((L(ww, rgb) - l0) / 0.25).toBeCloseTo(dW[s], 4);
    }
  });
});
