/** RGBA images of the protocol (base64, top row first) as bytes (DOM-free). */
import type { ImageData64 } from '../protocol/messages';

/** Decodes an image's base64 RGBA; throws when the byte count is not width * height * 4. */
export function decodeRgba(img: ImageData64): Uint8ClampedArray<ArrayBuffer> {
  const bin = atob(img.rgba);
  const want = img.width * img.height * 4;
  if (bin.length !== want) throw new Error(`image of ${img.width}x${img.height} has ${bin.length} bytes, expected ${want}`);
  const out = new Uint8ClampedArray(want);
  for (let i = 0; i < want; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Reverses the row order (top-first bytes -> bottom-first, as a WebGL texture wants them). */
export function flipRows(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array<ArrayBuffer> {
  const row = width * 4;
  const out = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) out.set(rgba.subarray((height - 1 - y) * row, (height - y) * row), y * row);
  return out;
}
