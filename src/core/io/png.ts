/**
 * PNG reading and writing on top of pngjs's sync API.
 *
 * Reading accepts every PNG colour type (grey, grey+alpha, RGB, RGBA, palette) at every bit depth
 * the PNG specification allows for it (png-check.ts names the others); pngjs expands all of them
 * to RGBA. 8-bit and lower depths come back as 8-bit samples; 16-bit
 * files keep their full precision as a Uint16Array (maxValue 65535), so callers must divide by
 * `maxValue`, never by a hard-coded 255.
 */
import { DatasetError } from '../errors';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import { writeFileAtomic } from './atomic';
import { checkPngFile, parsePngHeader, type PngHeader } from './png-check';

export interface PngImage {
  width: number;
  height: number;
  channels: 4; // always RGBA after decoding
  depth: 8 | 16; // sample depth of `data` (1/2/4-bit files are rescaled to 8)
  maxValue: 255 | 65535; // the sample value that means 1.0
  data: Uint8Array | Uint16Array; // height*width*4 samples, row-major RGBA
}

export { MAX_PNG_PIXELS, parsePngHeader, type PngHeader } from './png-check';

const IEND = [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/**
 * Cheap check that a file is a whole PNG without decoding it: reads the header and the last 12
 * bytes, which must be the IEND chunk (a download cut short fails here).
 */
export function readPngHeader(path: string): PngHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new DatasetError(`${path}: cannot open (${errorCode(e)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new DatasetError(`${path}: cannot open (is a directory, expected a PNG file)`);
    const size = stat.size;
    const head = new Uint8Array(Math.min(33, size));
    readSync(fd, head, 0, head.length, 0);
    const header = parsePngHeader(head, path);
    const tail = new Uint8Array(IEND.length);
    if (size < 33 + IEND.length) throw new DatasetError(`${path}: truncated PNG (no IEND chunk at the end)`);
    readSync(fd, tail, 0, tail.length, size - tail.length);
    if (!endsWithIend(tail)) throw new DatasetError(`${path}: truncated PNG (no IEND chunk at the end)`);
    return header;
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${path}: cannot read (${errorCode(e)})`);
  } finally {
    closeSync(fd);
  }
}

/** Decodes a PNG file to RGBA. Throws a one-line DatasetError for a missing, truncated or corrupt file. */
export function readPng(path: string): PngImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DatasetError(`${path}: cannot read PNG (${errorCode(e)})`);
  }
  // Every chunk, checksum and the size of the image data are checked first (png-check.ts): pngjs
  // alone returns zeros for missing or short image data.
  const header = checkPngFile(bytes, path);
  const sixteen = header.depth === 16;
  let png: { width: number; height: number; data: Uint8Array | Uint16Array };
  try {
    // skipRescale keeps 16-bit samples as they are; lower depths must be rescaled to 8 bits.
    // checkPngFile has verified every checksum: pngjs need not again (a fifth of its time).
    png = PNG.sync.read(bytes, { skipRescale: sixteen, checkCRC: false }) as unknown as typeof png;
  } catch (e) {
    const what = e instanceof Error ? e.message : String(e);
    throw new DatasetError(`${path}: corrupt PNG (${oneLine(what)})`);
  }
  const expected = png.width * png.height * 4;
  if (!png.data || png.data.length !== expected) {
    throw new DatasetError(`${path}: corrupt PNG (decoded ${png.data?.length ?? 0} samples, expected ${expected})`);
  }
  const data = sixteen
    ? png.data instanceof Uint16Array
      ? png.data
      : new Uint16Array(png.data.buffer, png.data.byteOffset, expected)
    : new Uint8Array(png.data.buffer, png.data.byteOffset, expected);
  return {
    width: png.width,
    height: png.height,
    channels: 4,
    depth: sixteen ? 16 : 8,
    maxValue: sixteen ? 65535 : 255,
    data,
  };
}

/**
 * Writes an 8-bit RGB PNG from H*W*3 floats in [0, 1] (clamped; NaN -> 0), row-major.
 * Atomic (writeFileAtomic): a temporary file beside `path` is renamed over it.
 */
export function writePngRgb(path: string, rgb: Float32Array, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`writePngRgb: bad image size ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`writePngRgb: expected ${width * height * 3} values for ${width}x${height}, got ${rgb.length}`);
  }
  const n = width * height;
  const rgba = Buffer.alloc(n * 4);
  for (let p = 0, q = 0, o = 0; p < n; p++, q += 3, o += 4) {
    rgba[o] = toByte(rgb[q]);
    rgba[o + 1] = toByte(rgb[q + 1]);
    rgba[o + 2] = toByte(rgb[q + 2]);
    rgba[o + 3] = 255;
  }
  const png = new PNG({ width, height });
  png.data = rgba;
  const bytes = PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true });
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, [bytes]);
}

function endsWithIend(bytes: Uint8Array): boolean {
  if (bytes.length < IEND.length) return false;
  const o = bytes.length - IEND.length;
  for (let k = 0; k < IEND.length; k++) if (bytes[o + k] !== IEND[k]) return false;
  return true;
}

function toByte(v: number): number {
  if (!(v > 0)) return 0; // also NaN
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

function errorCode(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, expected a PNG file';
  if (code === 'EACCES') return 'permission denied';
  return code ?? (e instanceof Error ? oneLine(e.message) : String(e));
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
