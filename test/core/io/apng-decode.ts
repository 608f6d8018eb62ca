/**
 * An APNG decoder for tests, with the checks a decoder makes on the way: the chunk order
 * (signature, IHDR, acTL, fcTL + IDAT, fcTL + fdAT..., IEND), every CRC against a bitwise
 * CRC-32, the sequence numbers and frame control fields; frames come back as RGB8.
 */
import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';

/** CRC-32 bit by bit (polynomial 0xEDB88320), no table. */
function naiveCrc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  data: Uint8Array;
}

export function readChunks(file: Uint8Array): Chunk[] {
  expect([...file.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const chunks: Chunk[] = [];
  for (let pos = 8; pos < file.length; ) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...file.subarray(pos + 4, pos + 8));
    const data = file.subarray(pos + 8, pos + 8 + len);
    expect(view.getUint32(pos + 8 + len), `${type} CRC`).toBe(naiveCrc(file.subarray(pos + 4, pos + 8 + len)));
    chunks.push({ type, data });
    pos += 12 + len;
  }
  return chunks;
}

const u32 = (d: Uint8Array, at: number) => new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(at);
const u16 = (d: Uint8Array, at: number) => new DataView(d.buffer, d.byteOffset, d.byteLength).getUint16(at);

/** Frames of an APNG as RGB8, with the checks a decoder makes on the way. */
export function decodeApng(file: Uint8Array): { width: number; height: number; fps: number[]; frames: Uint8Array[]; plays: number } {
  const chunks = readChunks(file);
  expect(chunks[0].type).toBe('IHDR');
  const width = u32(chunks[0].data, 0);
  const height = u32(chunks[0].data, 4);
  expect([...chunks[0].data.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
  expect(chunks[1].type).toBe('acTL');
  const count = u32(chunks[1].data, 0);
  const frames: Uint8Array[] = [];
  const fps: number[] = [];
  let seq = 0;
  for (let k = 2; k < chunks.length - 1; k += 2) {
    const fc = chunks[k];
    const dat = chunks[k + 1];
    expect(fc.type).toBe('fcTL');
    expect(u32(fc.data, 0)).toBe(seq++);
    expect([u32(fc.data, 4), u32(fc.data, 8), u32(fc.data, 12), u32(fc.data, 16)]).toEqual([width, height, 0, 0]);
    expect(u16(fc.data, 20)).toBe(1);
    fps.push(u16(fc.data, 22));
    let z: Uint8Array;
    if (frames.length === 0) {
      expect(dat.type).toBe('IDAT');
      z = dat.data;
    } else {
      expect(dat.type).toBe('fdAT');
      expect(u32(dat.data, 0)).toBe(seq++);
      z = dat.data.subarray(4);
    }
    const raw = inflateSync(z);
    const stride = 3 * width;
    expect(raw.length).toBe((stride + 1) * height);
    const rgb = new Uint8Array(stride * height);
    for (let y = 0; y < height; y++) {
      expect(raw[y * (stride + 1)]).toBe(0); // filter: none
      rgb.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
    }
    frames.push(rgb);
  }
  expect([chunks.at(-1)?.type, chunks.at(-1)?.data.length]).toEqual(['IEND', 0]);
  expect(frames).toHaveLength(count);
  return { width, height, fps, frames, plays: u32(chunks[1].data, 4) };
}
