import { describe, expect, it } from 'vitest';
import { decodeRgba, flipRows } from '../../src/renderer/rgba-decode';

describe('images', () => {
  it('decodes base64 RGBA and checks its size', () => {
    const bytes = Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]);
    const rgba = Buffer.from(bytes).toString('base64');
    expect(Array.from(decodeRgba({ width: 2, height: 1, rgba }))).toEqual(Array.from(bytes));
    expect(() => decodeRgba({ width: 2, height: 2, rgba })).toThrow(/expected 16/);
  });

  it('flips rows so the top row ends up last', () => {
    const top = [1, 1, 1, 1];
    const bottom = [2, 2, 2, 2];
    expect(Array.from(flipRows(Uint8Array.from([...top, ...bottom]), 1, 2))).toEqual([...bottom, ...top]);
  });
});
