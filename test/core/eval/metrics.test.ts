import { describe, expect, it } from 'vitest';
import { errorMap, gaussianTaps, mse, psnrFromMse, ssim } from '../../../src/core/eval/metrics';
import { sideBySide } from '../../../src/core/eval/image-compose';
import { Rng } from '../../../src/core/random';

/**
 * Naive SSIM: for every valid top-left corner, a direct 11x11 window sum with the 2D Gaussian
 * g[i] g[j] (no separability), the same clipping and constants as TensoRF's rgb_ssim.
 */
function naiveSsim(a: Float32Array, b: Float32Array, w: number, h: number): number {
  const g: number[] = [];
  for (let i = 0; i < 11; i++) g.push(Math.exp(-0.5 * ((i - 5) / 1.5) ** 2));
  const s = g.reduce((x, y) => x + y, 0);
  const f = g.map((v) => v / s);
  const c1 = 0.0001;
  const c2 = 0.0009;
  let total = 0;
  let count = 0;
  for (let ch = 0; ch < 3; ch++) {
    for (let y = 0; y + 11 <= h; y++) {
      for (let x = 0; x + 11 <= w; x++) {
        let ma = 0,
          mb = 0,
          maa = 0,
          mbb = 0,
          mab = 0;
        for (let i = 0; i < 11; i++) {
          for (let j = 0; j < 11; j++) {
            const wt = f[i] * f[j];
            const va = a[((y + i) * w + x + j) * 3 + ch];
            const vb = b[((y + i) * w + x + j) * 3 + ch];
            ma += wt * va;
            mb += wt * vb;
            maa += wt * va * va;
            mbb += wt * vb * vb;
            mab += wt * va * vb;
          }
        }
        const s00 = Math.max(0, maa - ma * ma);
        const s11 = Math.max(0, mbb - mb * mb);
        const raw = mab - ma * mb;
        const s01 = Math.sign(raw) * Math.min(Math.sqrt(s00 * s11), Math.abs(raw));
        total += ((2 * ma * mb + c1) * (2 * s01 + c2)) / ((ma * ma + mb * mb + c1) * (s00 + s11 + c2));
        count++;
      }
    }
  }
  return total / count;
}

function randomImage(w: number, h: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: w * h * 3 }, () => rng.next());
}

describe('mse and psnr', () => {
  it('hand example', () => {
    // differences 0.1, -0.1, 0, 0.2 -> mse = (0.01 + 0.01 + 0 + 0.04) / 4 = 0.015
    const a = Float32Array.from([0.5, 0.5, 0.5, 0.5]);
    const b = Float32Array.from([0.4, 0.6, 0.5, 0.3]);
    expect(mse(a, b)).toBeCloseTo(0.015, 7);
    // psnr = -10 log10(0.015) = 18.2391...
    expect(psnrFromMse(mse(a, b))).toBeCloseTo(18.23909, 4);
    expect(psnrFromMse(0.01)).toBeCloseTo(20, 10);
    expect(psnrFromMse(1e-4)).toBeCloseTo(40, 10);
  });

  it('rejects mismatched lengths', () => {
    expect(() => mse(new Float32Array(3), new Float32Array(4))).toThrow();
  });
});

describe('ssim', () => {
  it('uses the normalised 11-tap Gaussian with sigma 1.5', () => {
    const f = gaussianTaps();
    expect(f.length).toBe(11);
    expect(f.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    // f[5] / f[4] = exp(0.5 / 2.25)
    expect(f[5] / f[4]).toBeCloseTo(Math.exp(0.5 / 2.25), 12);
    expect(f[0]).toBeCloseTo(f[10], 15);
  });

  it('is 1 for identical images', () => {
    const im = randomImage(20, 24, new Rng(1));
    expect(ssim(im, im, 20, 24)).toBeCloseTo(1, 10);
    const flat = new Float32Array(16 * 16 * 3).fill(0.3);
    expect(ssim(flat, flat, 16, 16)).toBeCloseTo(1, 10);
  });

  it('agrees with a naive direct 2D-window SSIM on random 20x24 images', () => {
    const rng = new Rng(2);
    const a = randomImage(20, 24, rng);
    const noise = randomImage(20, 24, rng);
    const b = a.map((v, i) => Math.min(1, Math.max(0, v + 0.3 * (noise[i] - 0.5))));
    const fast = ssim(a, b, 20, 24);
    const slow = naiveSsim(a, b, 20, 24);
    expect(Math.abs(fast - slow)).toBeLessThan(1e-5);
    expect(fast).toBeGreaterThan(0);
    expect(fast).toBeLessThan(1);
    const c = randomImage(20, 24, rng);
    expect(Math.abs(ssim(a, c, 20, 24) - naiveSsim(a, c, 20, 24))).toBeLessThan(1e-5);
  });

  it('is symmetric and rejects images smaller than the window', () => {
    const rng = new Rng(3);
    const a = randomImage(13, 12, rng);
    const b = randomImage(13, 12, rng);
    expect(ssim(a, b, 13, 12)).toBeCloseTo(ssim(b, a, 13, 12), 12);
    expect(() => ssim(new Float32Array(10 * 10 * 3), new Float32Array(10 * 10 * 3), 10, 10)).toThrow(/window/);
  });
});

describe('errorMap and sideBySide', () => {
  it('maps the mean absolute error through the hot colormap', () => {
    // pixel 0: no error -> black; pixel 1: e = 0.125, t = 0.5 -> (1, 0.5, 0); pixel 2: e >= 0.25 -> white
    const a = Float32Array.from([0.2, 0.2, 0.2, 0.5, 0.5, 0.5, 0, 0, 0]);
    const b = Float32Array.from([0.2, 0.2, 0.2, 0.375, 0.625, 0.5 + 0.125, 1, 1, 1]);
    const m = errorMap(a, b, 3, 1);
    const want = [0, 0, 0, 1, 0.5, 0, 1, 1, 1];
    want.forEach((w, i) => expect(m[i]).toBeCloseTo(w, 5));
  });

  it('concatenates images horizontally', () => {
    // two 2x2 images: A pixels valued 1..4, B pixels 5..8 (all channels equal)
    const img = (vals: number[]) => Float32Array.from(vals.flatMap((v) => [v, v, v]));
    const out = sideBySide([img([1, 2, 3, 4]), img([5, 6, 7, 8])], 2, 2);
    expect(out.width).toBe(4);
    expect(out.height).toBe(2);
    const firstChannel = Array.from({ length: 8 }, (_, i) => out.data[i * 3]);
    expect(firstChannel).toEqual([1, 2, 5, 6, 3, 4, 7, 8]);
  });
});
