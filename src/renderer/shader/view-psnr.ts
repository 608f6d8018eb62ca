/** A render's PSNR against a test view's ground truth as the protocol carries it (8-bit RGBA, top row first); DOM-free. */
import type { ImageData64 } from '../../protocol/messages';
import { decodeRgba } from '../rgba-decode';

/** PSNR (dB) of colour floats [H*W*3] in [0, 1] against the truth image's RGB bytes / 255. */
export function psnrAgainst(rgb: Float32Array, truth: ImageData64): number {
  const t = decodeRgba(truth);
  const n = truth.width * truth.height;
  if (rgb.length !== 3 * n) throw new Error(`psnrAgainst: ${rgb.length} values for a ${truth.width}x${truth.height} image`);
  let se = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.min(1, Math.max(0, rgb[3 * i + c])) - t[4 * i + c] / 255;
      se += d * d;
    }
  }
  return -10 * Math.log10(se / (3 * n));
}
