/**
 * The APNG encoder, read back by a decoder written here: the chunk order (signature, IHDR, acTL,
 * fcTL + IDAT, fcTL + fdAT..., IEND), every CRC against a bitwise CRC-32, the sequence numbers, the
 * frame control fields, each frame's pixels inflated and unfiltered, and pngjs reading the default
 * image as the first frame.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ApngEncoder, encodeApng, rgbBytes } from '../../../src/core/io/apng';
import { decodeApng } from './apng-decode';

const frame = (w: number, h: number, k: number) => Uint8Array.from({ length: 3 * w * h }, (_, i) => (i * 37 + k * 101) % 256);

describe('APNG encoder', () => {
  it('three 5x3 frames at 12 fps decode back exactly, in order, looping forever', () => {
    const frames = [0, 1, 2].map((k) => frame(5, 3, k));
    const file = encodeApng(frames, 5, 3, 12);
    const d = decodeApng(file);
    expect([d.width, d.height, d.plays]).toEqual([5, 3, 0]);
    expect(d.fps).toEqual([12, 12, 12]);
    expect(d.frames.map((f) => [...f])).toEqual(frames.map((f) => [...f]));
  });

  it('the default image is the first frame, as pngjs (no APNG support) reads it', () => {
    const frames = [frame(4, 6, 7), frame(4, 6, 8)];
    const png = PNG.sync.read(Buffer.from(encodeApng(frames, 4, 6, 30)));
    expect([png.width, png.height]).toEqual([4, 6]);
    for (let p = 0; p < 24; p++) expect([...png.data.subarray(4 * p, 4 * p + 4)]).toEqual([...frames[0].subarray(3 * p, 3 * p + 3), 255]);
  });

  it('refuses a wrong frame size, too many or too few frames, and a bad frame rate', () => {
    expect(() => encodeApng([frame(2, 2, 0)], 3, 2, 10)).toThrow(/expected 18 bytes for 3x2, got 12/);
    const enc = new ApngEncoder(2, 2, 1, 10);
    enc.header();
    expect(() => enc.end()).toThrow(/0 of the 1 frames/);
    enc.frame(frame(2, 2, 0));
    expect(() => enc.frame(frame(2, 2, 1))).toThrow(/more than the 1 frames/);
    expect(() => new ApngEncoder(2, 2, 1, 0)).toThrow(/frame rate/);
    expect(() => new ApngEncoder(0, 2, 1, 5)).toThrow(/frame size/);
  });

  it('rgbBytes rounds [0, 1] floats to bytes, clamping and mapping NaN to 0', () => {
    expect([...rgbBytes(Float32Array.from([0, 1, 0.5, -2, 7, Number.NaN, 0.2]))]).toEqual([0, 255, 128, 0, 255, 0, 51]);
  });
});
