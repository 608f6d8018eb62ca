import { describe, expect, it } from 'vitest';
import { fromHalf, fromHalfArray, toHalf, toHalfArray } from '../../../src/core/snapshot/half-float';
import { Rng } from '../../../src/core/random';

describe('half floats', () => {
  it('encodes hand-computed values', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest half
      [65519, 0x7bff], // rounds down
      [65520, 0x7c00], // the tie between 65504 and 65536 goes to even: infinity
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // the tie between 0 and 2^-24 goes to even: 0
      [1.5 * 2 ** -25, 0x0001],
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal steps -> even 2
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [1 + 2 ** -11, 0x3c00], // tie -> even mantissa 0
      [1 + 3 * 2 ** -11, 0x3c02], // tie -> even mantissa 2
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [x, h] of cases) expect(toHalf(x).toString(16), `${x}`).toBe(h.toString(16));
    expect(toHalf(NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalf(NaN) & 0x3ff).not.toBe(0);
  });

  it('decodes every half and encodes it back to the same bits', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = fromHalf(h);
      if (Number.isNaN(x)) {
        expect((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0).toBe(true);
        continue;
      }
      expect(toHalf(x)).toBe(h);
    }
    expect(fromHalf(0x3c00)).toBe(1);
    expect(fromHalf(0x0001)).toBe(2 ** -24);
    expect(fromHalf(0xc000)).toBe(-2);
  });

  it('rounds to the nearest half (naive search over the neighbours)', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 20000; i++) {
      const x = Math.fround((rng.next() - 0.5) * 2 ** Math.floor(rng.uniform(-26, 17)));
      const h = toHalf(x);
      const err = Math.abs(fromHalf(h) - x);
      for (const n of [h - 1, h + 1]) {
        if (n < 0 || n > 0xffff || (n & 0x7fff) >= 0x7c00 || (n & 0x8000) !== (h & 0x8000)) continue;
        expect(Math.abs(fromHalf(n) - x)).toBeGreaterThanOrEqual(err);
      }
      if (Math.abs(x) >= 2 ** -14 && Math.abs(x) < 65504) expect(err).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11);
    }
  });

  it('converts arrays both ways', () => {
    const a = Float32Array.from([0.25, -3, 1000, 1e-8]);
    const h = toHalfArray(a);
    expect(Array.from(h)).toEqual([0x3400, 0xc200, 0x63d0, 0]);
    expect(Array.from(fromHalfArray(h))).toEqual([0.25, -3, 1000, 0]);
  });
});
