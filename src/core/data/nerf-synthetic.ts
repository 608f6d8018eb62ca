/**
 * NeRF-synthetic (Blender) scenes: transforms_{train,val,test}.json + RGBA PNGs.
 * Images are composited on white (rgb*a + (1-a)) and optionally area-downscaled.
 */
import { DatasetError } from '../errors';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import ndarray from 'ndarray';
import { readPng, readPngHeader } from '../io/png';

export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

export interface Frame {
  file: string; // file_path as written in the JSON (e.g. "./train/r_0")
  pose: Float32Array; // 16 values, row-major 4x4 camera-to-world
}

export interface SceneSplit {
  split: SplitName;
  width: number;
  height: number;
  focal: number;
  frames: Frame[];
  /** Each [H, W, 3], RGB in [0,1] composited on white; a view over one Float32Array per image. */
  images: ndarray.NdArray<Float32Array>[];
}

export function transformsPath(dir: string, split: SplitName): string {
  return join(dir, `transforms_${split}.json`);
}

/**
 * The image file of a frame: `file_path` relative to the scene folder with ".png" appended, as the
 * reference loader does (so `./train/frame.0000` is `frame.0000.png`), unless it ends in ".png".
 */
export function framePath(dir: string, file: string): string {
  const p = join(dir, file);
  return /\.png$/i.test(file) ? p : `${p}.png`;
}

/**
 * Frames that name an image an earlier frame names too (each such image is used once per
 * listing): one phrase per repeated image, e.g. `frames[3] and frames[7] both name ./train/r_3`.
 */
export function repeatedFrames(dir: string, frames: Frame[]): string[] {
  const seen = new Map<string, number[]>();
  frames.forEach((f, k) => {
    const p = framePath(dir, f.file);
    seen.set(p, [...(seen.get(p) ?? []), k]);
  });
  return [...seen.values()]
    .filter((ks) => ks.length > 1)
    .map((ks) => `${ks.map((k) => `frames[${k}]`).join(' and ')} ${ks.length > 2 ? 'all' : 'both'} name ${frames[ks[0]].file}`);
}

/** Throws a one-line DatasetError saying where it looked and how to get the scene. */
export function checkScene(dir: string): void {
  const how = 'get it with `npm run dataset:lego` (or `npm run dataset:lego -- --from PATH` for a local folder or zip)';
  if (!existsSync(dir)) throw new DatasetError(`no NeRF-synthetic scene at ${dir} (folder not found); ${how}`);
  if (!statSync(dir).isDirectory()) throw new DatasetError(`no NeRF-synthetic scene at ${dir} (a file, not a folder); ${how}`);
  if (!existsSync(transformsPath(dir, 'train'))) {
    throw new DatasetError(`no NeRF-synthetic scene at ${dir} (transforms_train.json not found); ${how}`);
  }
}

/** Reads and validates transforms_<split>.json. Errors name the file and the offending field. */
export function readTransforms(dir: string, split: SplitName): { cameraAngleX: number; frames: Frame[] } {
  const path = transformsPath(dir, split);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') checkScene(dir); // a missing scene gets the "how to get it" message
    throw new DatasetError(`${path}: cannot read (${fsErrorText(e)})`);
  }
  const text = utf8Text(bytes, path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(`${path}: invalid JSON (${jsonErrorText(e, text)})`);
  }
  const fail = (field: string, what: string): never => {
    throw new DatasetError(`${path}: ${field}: ${what}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('(top level)', 'expected an object');
  const obj = json as Record<string, unknown>;
  const angle = obj.camera_angle_x;
  // below 1e-6 rad the focal length overflows float32 for any image size
  if (typeof angle !== 'number' || !Number.isFinite(angle) || angle < 1e-6 || angle >= Math.PI) {
    fail('camera_angle_x', `expected a number of radians in (0, pi) (the horizontal field of view), got ${describe(angle)}`);
  }
  if (!Array.isArray(obj.frames) || obj.frames.length === 0) fail('frames', `expected a non-empty array, got ${describe(obj.frames)}`);
  const frames = (obj.frames as unknown[]).map((f, k): Frame => {
    if (typeof f !== 'object' || f === null || Array.isArray(f)) fail(`frames[${k}]`, `expected an object, got ${describe(f)}`);
    const fr = f as Record<string, unknown>;
    if (typeof fr.file_path !== 'string' || fr.file_path === '')
      fail(`frames[${k}].file_path`, `expected a string, got ${describe(fr.file_path)}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(fr.file_path as string))
      fail(`frames[${k}].file_path`, 'expected a file path without control characters');
    const file = fr.file_path as string;
    if (isAbsolute(file) || normalize(file).split(/[\\/]/).includes('..'))
      fail(`frames[${k}].file_path`, `expected a path inside the scene folder, got '${file}'`);
    return { file: fr.file_path as string, pose: parsePose(fr.transform_matrix, (what) => fail(`frames[${k}].transform_matrix`, what)) };
  });
  return { cameraAngleX: angle as number, frames };
}

/** A 4x4 camera-to-world matrix: finite in float32, with an invertible rotation part. */
function parsePose(m: unknown, fail: (what: string) => never): Float32Array {
  const pose = new Float32Array(16);
  const bad = (): never => fail('expected a 4x4 array of numbers (finite in float32)');
  if (!Array.isArray(m) || m.length !== 4) bad();
  for (let r = 0; r < 4; r++) {
    const row = (m as unknown[])[r];
    if (!Array.isArray(row) || row.length !== 4) bad();
    for (let c = 0; c < 4; c++) {
      const v = (row as unknown[])[c];
      if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) bad();
      pose[r * 4 + c] = v as number;
    }
  }
  const [a, b, c, , d, e, f, , g, h, i] = pose;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!(Math.abs(det) > 1e-9)) fail(`expected an invertible rotation part (its determinant is ${det})`);
  return pose;
}

/** UTF-8 text of a JSON file (a byte-order mark is skipped); UTF-16 and invalid UTF-8 are named. */
function utf8Text(bytes: Uint8Array, path: string): string {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new DatasetError(`${path}: encoded as UTF-16; expected UTF-8 JSON`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new DatasetError(`${path}: NUL byte at offset ${nul} (UTF-16 or binary data?); expected UTF-8 JSON`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes);
    const at = Buffer.byteLength(loose.slice(0, Math.max(0, loose.indexOf('\ufffd'))));
    throw new DatasetError(`${path}: not valid UTF-8 (near byte ${at}); expected UTF-8 JSON`);
  }
}

/**
 * A JSON.parse error as a short phrase, with the line and column where V8 gives a position. V8's
 * excerpt of the text (`Unexpected token 'h', "hello"... is not valid JSON`) is left out: the file
 * may be anything (the app's server sends this message to a browser), so no error quotes it.
 */
function jsonErrorText(e: unknown, text: string): string {
  let msg = e instanceof Error ? e.message : String(e);
  if (/^Unexpected token\b/.test(msg)) {
    const at = /at position \d+/.exec(msg); // older V8: "Unexpected token h in JSON at position 0"
    msg = `Unexpected token${at ? ` in JSON ${at[0]}` : ''}`;
  }
  msg = msg.replace(/, ".*$/s, '');
  const pos = /at position (\d+)/.exec(msg);
  if (pos) {
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    msg += ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
  }
  return msg.length > 200 ? `${msg.slice(0, 200)}...` : msg;
}

/** A short description of a JSON value for an error message. */
function describe(v: unknown): string {
  if (v === undefined) return 'no value (missing)';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'number') return String(v); // Infinity (from 1e400) stays Infinity
  if (v === null || typeof v !== 'object') {
    const s = JSON.stringify(v);
    return s.length > 40 ? `${s.slice(0, 40)}...` : s;
  }
  return 'an object';
}

function fsErrorText(e: unknown): string {
  const code = (e as { code?: string }).code;
  const known: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory, expected a file', EACCES: 'permission denied' };
  return (code && known[code]) ?? code ?? (e instanceof Error ? e.message : String(e));
}

/** `count` indices evenly spaced over 0..n-1, first and last included (count >= n gives all). */
export function evenlySpaced(n: number, count: number): number[] {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(count) || count < 0) {
    throw new RangeError(`evenlySpaced: expected non-negative integers, got n=${n}, count=${count}`);
  }
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  if (count === 0) return [];
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, k) => Math.round((k * (n - 1)) / (count - 1)));
}

/**
 * Loads a split: the frames (all, or `indices` in the given order) and their images composited on
 * white and area-downscaled by `downscale`. Focal is computed at full resolution, then divided
 * by the downscale.
 */
export function loadSplit(dir: string, split: SplitName, opts: { downscale: number; indices?: number[] }): SceneSplit {
  const n = opts.downscale;
  if (!Number.isInteger(n) || n < 1) throw new DatasetError(`--downscale: expected an integer >= 1, got ${n}`);
  checkScene(dir);
  const { cameraAngleX, frames: all } = readTransforms(dir, split);
  let frames = all;
  if (opts.indices) {
    frames = opts.indices.map((i) => {
      if (!Number.isInteger(i) || i < 0 || i >= all.length) {
        throw new DatasetError(`${transformsPath(dir, split)}: frame index ${i} out of range (0..${all.length - 1})`);
      }
      return all[i];
    });
  }
  let fullW = 0;
  let fullH = 0;
  let firstFile = '';
  const images: ndarray.NdArray<Float32Array>[] = [];
  for (const frame of frames) {
    const file = framePath(dir, frame.file);
    const png = readPng(file);
    if (images.length === 0) {
      fullW = png.width;
      fullH = png.height;
      firstFile = file;
      checkDownscale(n, fullW, fullH, file);
    } else if (png.width !== fullW || png.height !== fullH) {
      throw new DatasetError(
        `${file}: image is ${png.width}x${png.height}, but ${firstFile} is ${fullW}x${fullH} (all images of a split must have one size)`,
      );
    }
    const rgb = compositeDownscale(png.data, png.maxValue, fullW, fullH, n);
    images.push(ndarray(rgb, [fullH / n, fullW / n, 3]));
  }
  if (images.length === 0) {
    // No frames selected: still report the camera from the first frame's image size.
    const file = framePath(dir, all[0].file);
    const header = readPngHeader(file);
    fullW = header.width;
    fullH = header.height;
    checkDownscale(n, fullW, fullH, file);
  }
  const focal = (0.5 * fullW) / Math.tan(0.5 * cameraAngleX);
  return { split, width: fullW / n, height: fullH / n, focal: focal / n, frames, images };
}

/** The fewest pixels per side a downscaled image may have. */
export const MIN_IMAGE_SIDE = 8;

/**
 * Throws a DatasetError naming --downscale when `n` does not divide the image size or (for n > 1)
 * leaves fewer than MIN_IMAGE_SIDE pixels on a side; the message gives the largest factor that works.
 */
export function checkDownscale(n: number, width: number, height: number, file: string): void {
  const ok = (d: number) => width % d === 0 && height % d === 0 && (d === 1 || Math.min(width, height) / d >= MIN_IMAGE_SIDE);
  if (ok(n)) return;
  let largest = 1;
  for (let d = 2; d <= 64; d++) if (ok(d)) largest = d; // 64: the --downscale maximum
  const why =
    width % n !== 0 || height % n !== 0
      ? `is not divisible by ${n}`
      : `would leave ${width / n}x${height / n} pixels, fewer than ${MIN_IMAGE_SIDE} on a side`;
  throw new DatasetError(`--downscale ${n}: image size ${width}x${height} of ${file} ${why}; the largest factor that works is ${largest}`);
}

/**
 * RGBA samples (row-major, 4 per pixel, `maxValue` = 1.0) -> RGB floats on white, averaged
 * over n x n blocks. Each full-resolution pixel is composited on white first (rgb*a + 1 - a),
 * then the composited RGB is averaged. Because compositing is linear in (premultiplied rgb, a),
 * this equals averaging the premultiplied RGBA and compositing the result; it is NOT the same as
 * averaging straight (unpremultiplied) colours.
 */
export function compositeDownscale(data: ArrayLike<number>, maxValue: number, width: number, height: number, n: number): Float32Array {
  const ow = width / n;
  const oh = height / n;
  const out = new Float32Array(ow * oh * 3);
  const inv = 1 / maxValue;
  if (n === 1) {
    for (let p = 0, q = 0, o = 0; p < width * height; p++, q += 4, o += 3) {
      const a = data[q + 3] * inv;
      const w = 1 - a;
      out[o] = data[q] * inv * a + w;
      out[o + 1] = data[q + 1] * inv * a + w;
      out[o + 2] = data[q + 2] * inv * a + w;
    }
    return out;
  }
  const acc = new Float64Array(ow * 3);
  const scale = 1 / (n * n);
  for (let oj = 0; oj < oh; oj++) {
    acc.fill(0);
    for (let j = oj * n; j < (oj + 1) * n; j++) {
      let q = j * width * 4;
      for (let oi = 0, a3 = 0; oi < ow; oi++, a3 += 3) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = 0; k < n; k++, q += 4) {
          const a = data[q + 3] * inv;
          const w = 1 - a;
          r += data[q] * inv * a + w;
          g += data[q + 1] * inv * a + w;
          b += data[q + 2] * inv * a + w;
        }
        acc[a3] += r;
        acc[a3 + 1] += g;
        acc[a3 + 2] += b;
      }
    }
    const base = oj * ow * 3;
    for (let k = 0; k < ow * 3; k++) out[base + k] = acc[k] * scale;
  }
  return out;
}

/**
 * Full check that a scene folder is complete: all three transforms files parse, and every
 * referenced PNG exists and is a whole PNG (header + IEND, not decoded) of one size per split.
 * Calls `onProgress(checked, total)` as files are checked. Returns the number of images.
 */
export function verifyScene(dir: string, onProgress?: (checked: number, total: number) => void): number {
  checkScene(dir);
  const splits = SPLIT_NAMES.map((split) => ({ split, ...readTransforms(dir, split) }));
  const total = splits.reduce((s, t) => s + t.frames.length, 0);
  let checked = 0;
  for (const { frames } of splits) {
    let size = '';
    let first = '';
    for (const frame of frames) {
      const file = framePath(dir, frame.file);
      if (!existsSync(file)) throw new DatasetError(`${file}: missing (referenced by the transforms)`);
      const h = readPngHeader(file);
      const s = `${h.width}x${h.height}`;
      if (size === '') {
        size = s;
        first = file;
      } else if (s !== size) {
        throw new DatasetError(`${file}: image is ${s}, but ${first} is ${size}`);
      }
      checked++;
      onProgress?.(checked, total);
    }
  }
  return total;
}
