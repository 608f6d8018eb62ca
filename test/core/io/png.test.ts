import { DatasetError } from '../../../src/core/errors';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPng, readPngHeader, writePngRgb } from '../../../src/core/io/png';
import { encodePng, pattern, tempDir, u16, writeRgbaPng } from '../data/scene-fixture';

const dir = tempDir('png');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readPng', () => {
  it('reads 8-bit RGBA as written', () => {
    const file = join(dir, 'rgba8.png');
    const data = pattern(5, 3, 1);
    writeRgbaPng(file, 5, 3, data);
    const img = readPng(file);
    expect([img.width, img.height, img.channels, img.depth, img.maxValue]).toEqual([5, 3, 4, 8, 255]);
    expect(Array.from(img.data)).toEqual(Array.from(data));
  });

  it('accepts 16-bit RGB at full precision (maxValue 65535, alpha opaque)', () => {
    const file = join(dir, 'rgb16.png');
    writeFileSync(file, encodePng(2, 1, 16, 2, [u16([65535, 32768, 0, 1, 2, 3])]));
    const img = readPng(file);
    expect(img.depth).toBe(16);
    expect(img.maxValue).toBe(65535);
    expect(img.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(img.data)).toEqual([65535, 32768, 0, 65535, 1, 2, 3, 65535]);
  });

  it('accepts 16-bit grayscale+alpha', () => {
    const file = join(dir, 'ga16.png');
    writeFileSync(file, encodePng(2, 1, 16, 4, [u16([1000, 65535, 40000, 0])]));
    const img = readPng(file);
    expect(Array.from(img.data)).toEqual([1000, 1000, 1000, 65535, 40000, 40000, 40000, 0]);
  });

  it('accepts 8-bit grayscale and grayscale+alpha', () => {
    const g = join(dir, 'g8.png');
    writeFileSync(g, encodePng(3, 1, 8, 0, [Buffer.from([0, 100, 255])]));
    expect(Array.from(readPng(g).data)).toEqual([0, 0, 0, 255, 100, 100, 100, 255, 255, 255, 255, 255]);
    const ga = join(dir, 'ga8.png');
    writeFileSync(ga, encodePng(2, 1, 8, 4, [Buffer.from([7, 128, 200, 0])]));
    const img = readPng(ga);
    expect(img.depth).toBe(8);
    expect(Array.from(img.data)).toEqual([7, 7, 7, 128, 200, 200, 200, 0]);
  });

  it('rescales 1-bit grayscale to 0/255', () => {
    const file = join(dir, 'g1.png');
    writeFileSync(file, encodePng(4, 1, 1, 0, [Buffer.from([0b1010_0000])]));
    const img = readPng(file);
    expect(img.maxValue).toBe(255);
    expect(Array.from(img.data).filter((_, k) => k % 4 === 0)).toEqual([255, 0, 255, 0]);
  });

  it('a truncated PNG throws a one-line DatasetError naming the file', () => {
    const good = encodePng(
      16,
      16,
      8,
      6,
      Array.from({ length: 16 }, (_, j) => Buffer.alloc(64, j * 7 + 1)),
    );
    const file = join(dir, 'truncated.png');
    writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)));
    expect(() => readPng(file)).toThrow(DatasetError);
    try {
      readPng(file);
    } catch (e) {
      expect((e as Error).message).toContain(file);
      expect((e as Error).message).not.toContain('\n');
    }
    expect(() => readPng(file)).toThrow(/truncated\.png: truncated PNG/);
    expect(() => readPngHeader(file)).toThrow(/truncated PNG/);
    const short = join(dir, 'short.png');
    writeFileSync(short, good.subarray(0, 20));
    expect(() => readPng(short)).toThrow(/short\.png: truncated PNG/);
  });

  it('a corrupt, non-PNG, empty or missing file throws a DatasetError naming the file', () => {
    const good = encodePng(
      4,
      4,
      8,
      2,
      Array.from({ length: 4 }, () => Buffer.alloc(12, 9)),
    );
    const bad = Buffer.from(good);
    bad[bad.length - 20] ^= 0xff; // inside IDAT: CRC mismatch
    const corrupt = join(dir, 'corrupt.png');
    writeFileSync(corrupt, bad);
    expect(() => readPng(corrupt)).toThrow(/corrupt\.png: .*PNG/);
    const text = join(dir, 'text.png');
    writeFileSync(text, 'hello, not a png');
    expect(() => readPng(text)).toThrow(/text\.png: not a PNG file/);
    const empty = join(dir, 'empty.png');
    writeFileSync(empty, '');
    expect(() => readPng(empty)).toThrow(/empty\.png: file is empty/);
    expect(() => readPng(join(dir, 'nope.png'))).toThrow(DatasetError);
    expect(() => readPng(join(dir, 'nope.png'))).toThrow(/nope\.png: cannot read PNG \(no such file\)/);
  });
});

describe('writePngRgb', () => {
  it('clamps, quantizes to 8-bit RGB and round-trips; no .tmp is left', () => {
    const file = join(dir, 'out', 'w.png');
    // [0, 0.5, 1], [-1, 2, NaN] -> [0, 128, 255], [0, 255, 0]  (0.5*255 = 127.5 rounds to 128)
    writePngRgb(file, new Float32Array([0, 0.5, 1, -1, 2, NaN]), 2, 1);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    const header = readPngHeader(file);
    expect(header).toEqual({ width: 2, height: 1, depth: 8, colorType: 2, interlace: 0 });
    expect(Array.from(readPng(file).data)).toEqual([0, 128, 255, 255, 0, 255, 0, 255]);
    expect(readFileSync(file).length).toBeGreaterThan(33);
  });

  it('rejects a buffer of the wrong length', () => {
    expect(() => writePngRgb(join(dir, 'x.png'), new Float32Array(5), 2, 1)).toThrow(/expected 6 values/);
  });
});
