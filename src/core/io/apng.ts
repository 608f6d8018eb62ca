/**
 * Animated PNG (APNG) encoding: 8-bit RGB frames of one size, each shown 1/fps seconds, looping
 * forever. The first frame is the file's default image (IDAT), so a viewer without APNG support
 * (and pngjs) reads it as a still PNG; the others are fdAT chunks. Chunks: signature, IHDR, acTL,
 * then per frame fcTL and IDAT or fdAT, then IEND; fcTL and fdAT share one sequence counter.
 * `ApngEncoder` makes the chunks one frame at a time, so a long turntable never holds every
 * frame; `encodeApng` is the whole file in memory (the app's recordings).
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from './png-check';

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data, CRC-32 over type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let k = 0; k < 4; k++) out[4 + k] = type.charCodeAt(k);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, k) => view.setUint32(4 * k, v));
  return out;
}

/** The zlib stream of an RGB8 frame: each row prefixed with filter type 0 (none). */
export function frameData(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const stride = 3 * width;
  if (rgb.length !== stride * height)
    throw new RangeError(`APNG frame: expected ${stride * height} bytes for ${width}x${height}, got ${rgb.length}`);
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return deflateSync(raw);
}

export class ApngEncoder {
  private seq = 0;
  private written = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly frames: number,
    readonly fps: number,
  ) {
    const ok = (v: number, max: number) => Number.isInteger(v) && v >= 1 && v <= max;
    if (!ok(width, 0x7fffffff) || !ok(height, 0x7fffffff)) throw new RangeError(`APNG: bad frame size ${width}x${height}`);
    if (!ok(frames, 0x7fffffff)) throw new RangeError(`APNG: bad frame count ${frames}`);
    if (!ok(fps, 0xffff)) throw new RangeError(`APNG: bad frame rate ${fps} (an integer from 1 to 65535)`);
  }

  /** Signature, IHDR (8-bit RGB, no interlace) and acTL (frame count, endless loop). */
  header(): Uint8Array[] {
    const ihdr = new Uint8Array(13);
    ihdr.set(u32s(this.width, this.height));
    ihdr.set([8, 2, 0, 0, 0], 8);
    return [PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('acTL', u32s(this.frames, 0))];
  }

  /** The chunks of the next frame (RGB8, row-major): fcTL, then IDAT for the first frame, fdAT after. */
  frame(rgb: Uint8Array): Uint8Array[] {
    if (this.written >= this.frames) throw new RangeError(`APNG: more than the ${this.frames} frames announced`);
    const fctl = new Uint8Array(26);
    const view = new DataView(fctl.buffer);
    view.setUint32(0, this.seq++);
    view.setUint32(4, this.width);
    view.setUint32(8, this.height);
    // x and y offsets 0; delay 1/fps s; dispose op 0 (none), blend op 0 (source)
    view.setUint16(20, 1);
    view.setUint16(22, this.fps);
    const data = frameData(rgb, this.width, this.height);
    const first = this.written++ === 0;
    if (first) return [pngChunk('fcTL', fctl), pngChunk('IDAT', data)];
    const fdat = new Uint8Array(4 + data.length);
    new DataView(fdat.buffer).setUint32(0, this.seq++);
    fdat.set(data, 4);
    return [pngChunk('fcTL', fctl), pngChunk('fdAT', fdat)];
  }

  /** IEND, once every announced frame was given. */
  end(): Uint8Array[] {
    if (this.written !== this.frames) throw new RangeError(`APNG: ${this.written} of the ${this.frames} frames announced were given`);
    return [pngChunk('IEND', new Uint8Array(0))];
  }
}

/** A whole APNG in memory from RGB8 frames of `width` x `height`. */
export function encodeApng(frames: Uint8Array[], width: number, height: number, fps: number): Uint8Array {
  const enc = new ApngEncoder(width, height, frames.length, fps);
  const parts = [...enc.header(), ...frames.flatMap((f) => enc.frame(f)), ...enc.end()];
  return Buffer.concat(parts);
}

/** Flat RGB floats in [0, 1] -> RGB bytes (clamped; NaN -> 0), as the PNG writer rounds them. */
export function rgbBytes(rgb: Float32Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let k = 0; k < rgb.length; k++) {
    const v = rgb[k];
    out[k] = v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0;
  }
  return out;
}
