/**
 * Image metrics on HWC RGB float images in [0, 1] (row-major, 3 floats per pixel): MSE, PSNR,
 * SSIM exactly as TensoRF's `rgb_ssim` (which is mip-NeRF's), and an error heat image.
 */

/** Mean squared error over all entries (accumulated in float64). */
export function mse(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`mse: length mismatch ${a.length} vs ${b.length}`);
  if (a.length === 0) throw new Error('mse: empty input');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s / a.length;
}

/** PSNR in dB for images with peak 1: -10 log10(mse). Infinity for mse 0. */
export function psnrFromMse(m: number): number {
  return -10 * Math.log10(m);
}

export const SSIM_FILTER_SIZE = 11;
export const SSIM_FILTER_SIGMA = 1.5;

/** The normalised 1D Gaussian taps of rgb_ssim: exp(-0.5 ((i - 5) / sigma)^2), i = 0..size-1. */
export function gaussianTaps(size = SSIM_FILTER_SIZE, sigma = SSIM_FILTER_SIGMA): Float64Array {
  const hw = Math.floor(size / 2);
  const shift = (2 * hw - size + 1) / 2;
  const f = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const t = (i - hw + shift) / sigma;
    f[i] = Math.exp(-0.5 * t * t);
    sum += f[i];
  }
  for (let i = 0; i < size; i++) f[i] /= sum;
  return f;
}

/**
 * Mean SSIM of two HWC RGB images (max value 1): separable 11-tap Gaussian (sigma 1.5), 'valid'
 * filtering (output (H-10) x (W-10)), C1 = 0.01^2, C2 = 0.03^2, variances clipped at 0 and the
 * covariance clipped to +-sqrt(var_a var_b) as in rgb_ssim; mean over every pixel and channel.
 */
export function ssim(a: Float32Array, b: Float32Array, width: number, height: number): number {
  const C = 3;
  if (a.length !== width * height * C || b.length !== a.length) throw new Error('ssim: size mismatch');
  const K = SSIM_FILTER_SIZE;
  if (width < K || height < K) throw new Error(`ssim: image ${width}x${height} smaller than the ${K}x${K} window`);
  const f = gaussianTaps();
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  const ow = width - K + 1;
  const oh = height - K + 1;
  const ca = new Float64Array(width * height);
  const cb = new Float64Array(width * height);
  // Horizontal pass results: means and second moments, each [height, ow].
  const hA = new Float64Array(height * ow);
  const hB = new Float64Array(height * ow);
  const hAA = new Float64Array(height * ow);
  const hBB = new Float64Array(height * ow);
  const hAB = new Float64Array(height * ow);
  let total = 0;
  for (let ch = 0; ch < C; ch++) {
    for (let i = 0, n = width * height; i < n; i++) {
      ca[i] = a[i * C + ch];
      cb[i] = b[i * C + ch];
    }
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < ow; x++) {
        let sa = 0,
          sb = 0,
          saa = 0,
          sbb = 0,
          sab = 0;
        for (let k = 0; k < K; k++) {
          const w = f[k];
          const va = ca[row + x + k];
          const vb = cb[row + x + k];
          const wa = w * va;
          const wb = w * vb;
          sa += wa;
          sb += wb;
          saa += wa * va;
          sbb += wb * vb;
          sab += wa * vb;
        }
        const o = y * ow + x;
        hA[o] = sa;
        hB[o] = sb;
        hAA[o] = saa;
        hBB[o] = sbb;
        hAB[o] = sab;
      }
    }
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let ma = 0,
          mb = 0,
          maa = 0,
          mbb = 0,
          mab = 0;
        for (let k = 0; k < K; k++) {
          const w = f[k];
          const o = (y + k) * ow + x;
          ma += w * hA[o];
          mb += w * hB[o];
          maa += w * hAA[o];
          mbb += w * hBB[o];
          mab += w * hAB[o];
        }
        const mu00 = ma * ma;
        const mu11 = mb * mb;
        const mu01 = ma * mb;
        const s00 = Math.max(0, maa - mu00);
        const s11 = Math.max(0, mbb - mu11);
        let s01 = mab - mu01;
        s01 = Math.sign(s01) * Math.min(Math.sqrt(s00 * s11), Math.abs(s01));
        total += ((2 * mu01 + c1) * (2 * s01 + c2)) / ((mu00 + mu11 + c1) * (s00 + s11 + c2));
      }
    }
  }
  return total / (C * ow * oh);
}

/**
 * Heat image of the per-pixel error e = mean over channels of |a - b|, as HWC RGB in [0, 1].
 * Colormap "hot": t = min(1, e / maxErr); r = clamp(3t), g = clamp(3t - 1), b = clamp(3t - 2),
 * i.e. black (no error) -> red -> yellow -> white (error >= maxErr). maxErr defaults to 0.25 so
 * maps from different iterations share one scale.
 */
export function errorMap(a: Float32Array, b: Float32Array, width: number, height: number, maxErr = 0.25): Float32Array {
  const n = width * height;
  if (a.length !== n * 3 || b.length !== a.length) throw new Error('errorMap: size mismatch');
  const out = new Float32Array(n * 3);
  const clamp = (v: number) => (v < 0 ? 0 : Math.min(v, 1));
  for (let i = 0; i < n; i++) {
    const j = i * 3;
    const e = (Math.abs(a[j] - b[j]) + Math.abs(a[j + 1] - b[j + 1]) + Math.abs(a[j + 2] - b[j + 2])) / 3;
    const t = Math.min(1, e / maxErr);
    out[j] = clamp(3 * t);
    out[j + 1] = clamp(3 * t - 1);
    out[j + 2] = clamp(3 * t - 2);
  }
  return out;
}
