/**
 * Bad PNG files: every truncation point, flipped bytes (with and without a repaired checksum),
 * image data that is missing, short, too long or not zlib, invalid bit depth / colour type pairs,
 * sizes that would make pngjs abort the process, and data after IEND each give a one-line
 * DatasetError naming the file. Every valid format (grey, grey+alpha, RGB, RGBA, palette; 1, 8
 * and 16 bits; Adam7-interlaced) decodes to the values it holds.
 */
import { DatasetError } from '../../../src/core/errors';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PNG_PIXELS, rawDataSize } from '../../../src/core/io/png-check';
import { readPng, readPngHeader } from '../../../src/core/io/png';
import {
  chunk,
  crc32,
  decodedRgba,
  encodeAs,
  encodePng,
  ihdrChunk,
  pattern,
  PNG_FORMATS,
  PNG_SIGNATURE,
  tempDir,
} from '../data/scene-fixture';

const dir = tempDir('png-check');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Writes `bytes` to a fresh file and returns readPng's DatasetError message (fails if it loads). */
function errorOf(bytes: Uint8Array, read: (f: string) => unknown = readPng): string {
  const file = join(dir, `f${n++}.png`);
  writeFileSync(file, bytes);
  try {
    read(file);
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(DatasetError);
    const msg = (e as Error).message;
    expect(msg.startsWith(`${file}: `), msg).toBe(true);
    expect(msg).not.toMatch(/[\n\r]/);
    return msg;
  }
  throw new Error(`expected ${file} to be rejected`);
}
const load = (bytes: Uint8Array) => {
  const file = join(dir, `ok${n++}.png`);
  writeFileSync(file, bytes);
  return readPng(file);
};

const W = 5;
const H = 3;
const RGBA = pattern(W, H, 3);
const good = encodePng(
  W,
  H,
  8,
  6,
  Array.from({ length: H }, (_, j) => Buffer.from(RGBA.subarray(j * W * 4, (j + 1) * W * 4))),
);
/** Offsets of the chunks of `good`: [type, start of length field, data length]. */
function chunks(bytes: Buffer): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (let p = 8; p < bytes.length; ) {
    const len = bytes.readUInt32BE(p);
    out.push([bytes.toString('latin1', p + 4, p + 8), p, len]);
    p += 12 + len;
  }
  return out;
}
const withCrc = (bytes: Buffer, start: number, len: number) => {
  bytes.writeUInt32BE(crc32(bytes.subarray(start + 4, start + 8 + len)), start + 8 + len);
  return bytes;
};

describe('readPng rejects bad files with one line naming the file', () => {
  it('cut at every length from 0 to size-1: truncated (or empty), never a crash or a silent load', () => {
    for (let len = 0; len < good.length; len++) {
      const msg = errorOf(good.subarray(0, len));
      expect(msg, `cut at ${len}`).toMatch(len === 0 ? /file is empty/ : /truncated PNG/);
    }
  });

  it('cut files fail readPngHeader too (the cheap check of the dataset CLI)', () => {
    for (const len of [5, 20, 33, 40, good.length - 1]) expect(errorOf(good.subarray(0, len), readPngHeader)).toMatch(/truncated PNG/);
  });

  it('a flipped byte anywhere: checksum mismatch or bad signature, naming the chunk', () => {
    const [, idat] = chunks(good).filter(([t]) => t === 'IDAT')[0];
    const cases: [number, RegExp][] = [
      [0, /not a PNG file/],
      [20, /IHDR checksum mismatch/],
      [idat + 10, /IDAT chunk at byte \d+: checksum mismatch/],
      [good.length - 2, /IEND chunk at byte \d+: checksum mismatch/],
    ];
    for (const [at, re] of cases) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x5a;
      expect(errorOf(bad), `byte ${at}`).toMatch(re);
    }
  });

  it('IDAT bytes changed and the checksum repaired: the image data is named (never zeros)', () => {
    const [, idat, len] = chunks(good).filter(([t]) => t === 'IDAT')[0];
    let rejected = 0;
    for (let k = 0; k < len; k++) {
      const bad = withCrc(Buffer.from(good), idat, len);
      bad[idat + 8 + k] ^= 0xff;
      withCrc(bad, idat, len);
      const file = join(dir, `idat${k}.png`);
      writeFileSync(file, bad);
      try {
        const img = readPng(file); // a flip deflate cannot detect may still decode; then it is whole
        expect(img.data.length).toBe(W * H * 4);
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(DatasetError);
        expect((e as Error).message).toMatch(/corrupt PNG \((image data|Unrecognised filter)/);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(len / 2);
  });

  it('IDAT missing, not zlib, too short or too long for the size', () => {
    const ihdr = ihdrChunk(4, 4, 8, 6);
    const iend = chunk('IEND', Buffer.alloc(0));
    const png = (...mid: Buffer[]) => Buffer.concat([PNG_SIGNATURE, ihdr, ...mid, iend]);
    expect(errorOf(png())).toMatch(/corrupt PNG \(no IDAT image data\)/);
    expect(errorOf(png(chunk('IDAT', Buffer.from('definitely not zlib'))))).toMatch(/image data does not decompress/);
    expect(errorOf(png(chunk('IDAT', deflateSync(Buffer.alloc(20)))))).toMatch(/decompresses to 20 bytes, expected 68 for 4x4/);
    expect(errorOf(png(chunk('IDAT', deflateSync(Buffer.alloc(69)))))).toMatch(/more than the 68 bytes that 4x4 needs/);
    expect(errorOf(png(chunk('IDAT', deflateSync(Buffer.alloc(68, 9)))))).toMatch(/corrupt PNG \(Unrecognised filter type/);
    // a zlib stream cut short (checksum repaired)
    expect(errorOf(png(chunk('IDAT', deflateSync(Buffer.alloc(68)).subarray(0, 6))))).toMatch(/image data does not decompress/);
  });

  it('data after IEND, a second IHDR, an unknown critical chunk, a bad chunk type', () => {
    expect(errorOf(Buffer.concat([good, Buffer.from('junk')]))).toMatch(/4 bytes of data after the IEND chunk/);
    const [, idat] = chunks(good).filter(([t]) => t === 'IDAT')[0];
    const insert = (c: Buffer) => Buffer.concat([good.subarray(0, idat), c, good.subarray(idat)]);
    expect(errorOf(insert(ihdrChunk(W, H, 8, 6)))).toMatch(/a second IHDR chunk/);
    expect(errorOf(insert(chunk('ZZZZ', Buffer.alloc(3))))).toMatch(/unknown critical chunk ZZZZ/);
    expect(errorOf(insert(chunk('a1b2', Buffer.alloc(3))))).toMatch(/invalid chunk type/);
    expect(load(insert(chunk('tEXt', Buffer.from('Comment\0hello')))).width).toBe(W); // ancillary: skipped
  });

  it('invalid bit depth / colour type pairs and methods are named', () => {
    const png = (depth: number, ct: number) => encodePng(2, 1, depth, ct, [Buffer.alloc(16)]);
    expect(errorOf(png(16, 3))).toMatch(/unsupported PNG \(bit depth 16 with colour type 3 palette; expected 1, 2, 4, 8\)/);
    expect(errorOf(png(4, 2))).toMatch(/bit depth 4 with colour type 2 RGB/);
    expect(errorOf(png(2, 4))).toMatch(/bit depth 2 with colour type 4 grey\+alpha/);
    expect(errorOf(png(8, 5))).toMatch(/unsupported PNG \(colour type 5; expected 0 grey, 2 RGB/);
    expect(errorOf(png(3, 0))).toMatch(/bit depth 3 with colour type 0 grey/);
    const ihdr = ihdrChunk(2, 1, 8, 6, 2);
    expect(errorOf(Buffer.concat([PNG_SIGNATURE, ihdr, chunk('IEND', Buffer.alloc(0))]))).toMatch(
      /interlace method 2; expected 0, 0, 0 or 1/,
    );
  });

  it('a header claiming a huge image is refused before decoding (pngjs would abort the process)', () => {
    for (const [w, h] of [
      [0x7fffffff, 1],
      [100000, 100000],
      [8193, 8192],
    ]) {
      const bytes = Buffer.concat([
        PNG_SIGNATURE,
        ihdrChunk(w, h, 8, 6),
        chunk('IDAT', deflateSync(Buffer.alloc(10))),
        chunk('IEND', Buffer.alloc(0)),
      ]);
      expect(errorOf(bytes)).toMatch(new RegExp(`image size ${w}x${h} is over the limit of ${MAX_PNG_PIXELS} pixels`));
      expect(errorOf(bytes, readPngHeader)).toMatch(/is over the limit/);
    }
    expect(errorOf(Buffer.concat([PNG_SIGNATURE, ihdrChunk(0, 4, 8, 6), chunk('IEND', Buffer.alloc(0))]))).toMatch(
      /corrupt PNG \(image size 0x4\)/,
    );
  });

  it('palette: no PLTE, bad PLTE length, index outside the palette, tRNS longer than the palette', () => {
    const plte = chunk('PLTE', Buffer.from([255, 0, 0, 0, 0, 255]));
    const png = (row: number[], ...extra: Buffer[]) => encodePng(row.length, 1, 8, 3, [Buffer.from(row)], extra);
    expect(errorOf(png([0, 1]))).toMatch(/palette image without a PLTE chunk/);
    expect(errorOf(png([0, 1], chunk('PLTE', Buffer.from([1, 2, 3, 4]))))).toMatch(/PLTE chunk of 4 bytes/);
    expect(errorOf(png([0, 5], plte))).toMatch(/corrupt PNG \(index 5 not in palette\)/);
    expect(errorOf(png([0, 1], plte, chunk('tRNS', Buffer.from([1, 2, 3]))))).toMatch(/tRNS chunk of 3 bytes for a palette of 2 entries/);
    expect(errorOf(encodePng(1, 1, 8, 2, [Buffer.from([1, 2, 3])], [chunk('tRNS', Buffer.from([0]))]))).toMatch(
      /tRNS chunk of 1 bytes; expected 6/,
    );
    expect(errorOf(encodePng(1, 1, 8, 6, [Buffer.from([1, 2, 3, 4])], [chunk('tRNS', Buffer.from([0, 0]))]))).toMatch(
      /tRNS chunk in a colour type 6 image/,
    );
  });
});

describe('readPng decodes every valid format to the values it holds', () => {
  it.each(PNG_FORMATS)('%s', (format) => {
    const w = 9;
    const h = 7; // odd sizes: partial Adam7 passes, 1-bit rows that do not fill a byte
    const rgba = pattern(w, h, 5);
    const img = load(encodeAs(format, w, h, rgba));
    expect([img.width, img.height]).toEqual([w, h]);
    const sixteen = format.endsWith('16');
    expect(img.maxValue).toBe(sixteen ? 65535 : 255);
    const want = decodedRgba(format, rgba);
    const got = Array.from(img.data, (v) => (sixteen ? v / 257 : v));
    expect(got).toEqual(Array.from(want));
    if (sixteen) expect(Math.max(...img.data)).toBeGreaterThan(255);
  });

  it('rawDataSize: Adam7 sizes for images smaller than one 8x8 block', () => {
    // 1x1: only pass 1 (1 row of 1 + 4 bytes); 3x2 RGBA: passes 1 (1x1), 4 (1x1), 6 (1x1), 7 (3x1)
    expect(rawDataSize({ width: 1, height: 1, depth: 8, colorType: 6, interlace: 1 })).toBe(5);
    expect(rawDataSize({ width: 3, height: 2, depth: 8, colorType: 6, interlace: 1 })).toBe(5 + 5 + 5 + 13);
    expect(rawDataSize({ width: 3, height: 2, depth: 8, colorType: 6, interlace: 0 })).toBe(2 * 13);
    expect(rawDataSize({ width: 9, height: 1, depth: 1, colorType: 0, interlace: 0 })).toBe(3);
  });
});
