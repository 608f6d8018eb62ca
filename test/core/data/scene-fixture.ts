/** Tiny synthetic NeRF-synthetic scenes written to a temp folder, for the data-layer tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';

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

/** A complete scene: `views` frames per split, each width x height, poses translated along x by k. */
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
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** rows: the packed sample bytes of each row (big-endian for 16-bit). */
export function encodePng(width: number, height: number, depth: number, colorType: number, rows: Buffer[]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), r])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
export function u16(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, k) => b.writeUInt16BE(v, k * 2));
  return b;
}
