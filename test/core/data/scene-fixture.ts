/** Tiny synthetic NeRF-synthetic scenes written to a temp folder, for the data-layer tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { ADAM7_PASSES } from '../../../src/core/io/png-check';

export function tempDir(tag = 'data'): string {
  return mkdtempSync(join(tmpdir(), `tensorf-test-${tag}-`));
}

/** Writes an 8-bit RGBA PNG from `rgba` (H*W*4 bytes). */
export function writeRgbaPng(path: string, width: number, height: number, rgba: Uint8Array): void {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  writeFileSync(path, PNG.sync.write(png, { colorType: 6 }));
}

/** Deterministic RGBA pattern: pixel p of image k. */
export function pattern(width: number, height: number, k: number): Uint8Array {
  const d = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    d[p * 4] = (p * 37 + k * 11) % 256;
    d[p * 4 + 1] = (p * 91 + 7) % 256;
    d[p * 4 + 2] = (p * 13 + k * 50) % 256;
    d[p * 4 + 3] = (p * 53 + k * 29) % 256;
  }
  return d;
}

export const IDENTITY = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

export interface FakeScene {
  dir: string;
  width: number;
  height: number;
  cameraAngleX: number;
  /** rgba[split][k] = the bytes written for frame k. */
  rgba: Record<'train' | 'val' | 'test', Uint8Array[]>;
}

/**
 * A complete scene: `views` frames per split, each width x height; camera k at (k, 0, 4) looking
 * down -Z at the scene box (translated along x by k), so that training rays reach the box.
 */
export function writeFakeScene(dir: string, width = 8, height = 4, views = 2): FakeScene {
  const cameraAngleX = 0.6911112070083618; // Lego's
  const rgba = { train: [] as Uint8Array[], val: [] as Uint8Array[], test: [] as Uint8Array[] };
  for (const split of ['train', 'val', 'test'] as const) {
    mkdirSync(join(dir, split), { recursive: true });
    const frames = [];
    for (let k = 0; k < views; k++) {
      const data = pattern(width, height, k + (split === 'train' ? 0 : split === 'val' ? 10 : 20));
      writeRgbaPng(join(dir, split, `r_${k}.png`), width, height, data);
      rgba[split].push(data);
      const m = IDENTITY.map((row) => row.slice());
      m[0][3] = k;
      m[2][3] = 4;
      frames.push({ file_path: `./${split}/r_${k}`, rotation: 0.0126, transform_matrix: m });
    }
    writeFileSync(join(dir, `transforms_${split}.json`), JSON.stringify({ camera_angle_x: cameraAngleX, frames }));
  }
  return { dir, width, height, cameraAngleX, rgba };
}

// An independent minimal PNG encoder (filter 0 on every row), so that the decoder is not only
// tested against pngjs's own encoder.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
export function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export function ihdrChunk(width: number, height: number, depth: number, colorType: number, interlace = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  ihdr[12] = interlace;
  return chunk('IHDR', ihdr);
}
/**
 * rows: the packed sample bytes of each row (big-endian for 16-bit); `extra` chunks (PLTE, tRNS)
 * go between IHDR and IDAT.
 */
export function encodePng(width: number, height: number, depth: number, colorType: number, rows: Buffer[], extra: Buffer[] = []): Buffer {
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), r])));
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdrChunk(width, height, depth, colorType),
    ...extra,
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An 8-bit RGBA image (H*W*4 bytes) encoded Adam7-interlaced (filter 0 on every row). */
export function encodeInterlacedRgba(width: number, height: number, rgba: Uint8Array): Buffer {
  const rows: Buffer[] = [];
  for (const [x0, y0, dx, dy] of ADAM7_PASSES) {
    if (x0 >= width || y0 >= height) continue;
    for (let y = y0; y < height; y += dy) {
      const row: number[] = [0];
      for (let x = x0; x < width; x += dx) row.push(...rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));
      rows.push(Buffer.from(row));
    }
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdrChunk(width, height, 8, 6, 1),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const PNG_FORMATS = [
  'rgba8',
  'rgba16',
  'rgb8',
  'rgb16',
  'grey8',
  'grey16',
  'greyAlpha8',
  'greyAlpha16',
  'palette8',
  'grey1',
  'rgba8-interlaced',
] as const;
export type PngFormat = (typeof PNG_FORMATS)[number];

/**
 * The 8-bit RGBA values a file written by encodeAs(format, ..., rgba) holds (16-bit samples v*257
 * mean the same v/255).
 */
export function decodedRgba(format: PngFormat, rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgba.length);
  for (let p = 0; p < rgba.length; p += 4) {
    const [r, g, b, a] = [rgba[p], rgba[p + 1], rgba[p + 2], rgba[p + 3]];
    const px =
      format.startsWith('rgba') || format === 'palette8'
        ? [r, g, b, a]
        : format.startsWith('rgb')
          ? [r, g, b, 255]
          : format.startsWith('greyAlpha')
            ? [r, r, r, a]
            : format === 'grey1'
              ? r >= 128
                ? [255, 255, 255, 255]
                : [0, 0, 0, 255]
              : [r, r, r, 255];
    out.set(px, p);
  }
  return out;
}

/** Reference for the loader: composite each pixel on white, then average n x n blocks (RGB, [0, 1]). */
export function compositeReference(rgba: Uint8Array, w: number, h: number, n: number): number[] {
  const out: number[] = [];
  for (let oj = 0; oj < h / n; oj++)
    for (let oi = 0; oi < w / n; oi++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dj = 0; dj < n; dj++)
          for (let di = 0; di < n; di++) {
            const p = ((oj * n + dj) * w + oi * n + di) * 4;
            const a = rgba[p + 3] / 255;
            s += (rgba[p + c] / 255) * a + (1 - a);
          }
        out.push(s / (n * n));
      }
  return out;
}

/**
 * The same 8-bit RGBA image in another PNG format: 16-bit samples are v*257 (the same value),
 * grey takes the red channel, palette images index the distinct colours (with a tRNS chunk), and
 * 1-bit grey thresholds red at 128.
 */
export function encodeAs(format: PngFormat, width: number, height: number, rgba: Uint8Array): Buffer {
  const px = (f: (p: number) => number[]) =>
    Array.from({ length: height }, (_, j) => Array.from({ length: width }, (_, i) => f((j * width + i) * 4)).flat());
  const b8 = (rows: number[][]) => rows.map((r) => Buffer.from(r));
  const b16 = (rows: number[][]) => rows.map((r) => u16(r.map((v) => v * 257)));
  const rgb = (p: number) => [rgba[p], rgba[p + 1], rgba[p + 2]];
  const all = (p: number) => [...rgb(p), rgba[p + 3]];
  switch (format) {
    case 'rgba8':
      return encodePng(width, height, 8, 6, b8(px(all)));
    case 'rgba16':
      return encodePng(width, height, 16, 6, b16(px(all)));
    case 'rgb8':
      return encodePng(width, height, 8, 2, b8(px(rgb)));
    case 'rgb16':
      return encodePng(width, height, 16, 2, b16(px(rgb)));
    case 'grey8':
      return encodePng(width, height, 8, 0, b8(px((p) => [rgba[p]])));
    case 'grey16':
      return encodePng(width, height, 16, 0, b16(px((p) => [rgba[p]])));
    case 'greyAlpha8':
      return encodePng(width, height, 8, 4, b8(px((p) => [rgba[p], rgba[p + 3]])));
    case 'greyAlpha16':
      return encodePng(width, height, 16, 4, b16(px((p) => [rgba[p], rgba[p + 3]])));
    case 'palette8': {
      const colours = new Map<string, number>();
      const rows = px((p) => {
        const key = all(p).join(',');
        if (!colours.has(key) && colours.size < 256) colours.set(key, colours.size);
        return [colours.get(key) ?? 0];
      });
      const entries = [...colours.keys()].map((k) => k.split(',').map(Number));
      const plte = chunk('PLTE', Buffer.from(entries.flatMap((e) => e.slice(0, 3))));
      const trns = chunk('tRNS', Buffer.from(entries.map((e) => e[3])));
      return encodePng(width, height, 8, 3, b8(rows), [plte, trns]);
    }
    case 'grey1': {
      const rows = Array.from({ length: height }, (_, j) => {
        const row = Buffer.alloc(Math.ceil(width / 8));
        for (let i = 0; i < width; i++) if (rgba[(j * width + i) * 4] >= 128) row[i >> 3] |= 0x80 >> (i & 7);
        return row;
      });
      return encodePng(width, height, 1, 0, rows);
    }
    case 'rgba8-interlaced':
      return encodeInterlacedRgba(width, height, rgba);
  }
}
export function u16(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, k) => b.writeUInt16BE(v, k * 2));
  return b;
}
