/**
 * Rendered rays -> RGBA8 images for the protocol: colour as is, expected depth as grey (near
 * bright, far dark, normalised over the pixels the model covers), accumulated opacity as grey.
 */
import { DEPTH_MIN_ACC, type ImageData64, type OutputKind } from '../protocol/messages';
import type { RenderedRays } from '../core/render/render-rays';

const byte = (v: number) => (v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255));

/** Flat HWC RGB floats in [0,1] -> RGBA bytes (alpha 255). */
export function rgbToRgba(rgb: Float32Array, width: number, height: number): Uint8Array {
  const n = width * height;
  if (rgb.length !== 3 * n) throw new Error(`rgbToRgba: ${rgb.length} values for ${width}x${height}`);
  const out = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    out[4 * i] = byte(rgb[3 * i]);
    out[4 * i + 1] = byte(rgb[3 * i + 1]);
    out[4 * i + 2] = byte(rgb[3 * i + 2]);
    out[4 * i + 3] = 255;
  }
  return out;
}

function greyToRgba(v: Float32Array): Uint8Array {
  const out = new Uint8Array(4 * v.length);
  for (let i = 0; i < v.length; i++) {
    const b = byte(v[i]);
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = b;
    out[4 * i + 3] = 255;
  }
  return out;
}

/**
 * Depth as grey: per pixel t = depth / acc where acc >= DEPTH_MIN_ACC, mapped linearly so the
 * nearest such pixel is 1 and the farthest 0.1; pixels the model leaves empty are 0.
 */
export function depthToGrey(depth: Float32Array, acc: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < depth.length; i++) {
    if (acc[i] < DEPTH_MIN_ACC) continue;
    const t = depth[i] / acc[i];
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const out = new Float32Array(depth.length);
  const span = hi - lo;
  for (let i = 0; i < depth.length; i++) {
    if (acc[i] < DEPTH_MIN_ACC) continue;
    const u = span > 0 ? (depth[i] / acc[i] - lo) / span : 0;
    out[i] = 1 - 0.9 * u;
  }
  return out;
}

export function toRgba(kind: OutputKind, r: RenderedRays, width: number, height: number): Uint8Array {
  if (kind === 'rgb') return rgbToRgba(r.rgb, width, height);
  if (kind === 'depth') return greyToRgba(depthToGrey(r.depth, r.acc));
  return greyToRgba(r.acc);
}

export function image64(rgba: Uint8Array, width: number, height: number): ImageData64 {
  return { width, height, rgba: Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength).toString('base64') };
}

/** Focal length in pixels of a camera with vertical field of view `fovY` and `height` rows. */
export function focalFromFovY(fovY: number, height: number): number {
  return (0.5 * height) / Math.tan(0.5 * fovY);
}
