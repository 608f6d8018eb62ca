/**
 * The pieces of the resume state for the ray pool and batch order (ray-filter.ts, ray-pool.ts):
 * flags pack 8 to a byte and back for every length; composing the box filter with a later filter
 * gives the flags over the loaded pool that `filterPool` reproduces the filtered pool from; the
 * fingerprint changes with any ray, colour or the count; a BatchSampler restored from its state
 * (in a fresh sampler, whose construction drew from the stream) yields exactly the batches the
 * original yields next, across reshuffles, without advancing the shared stream.
 */
import { describe, expect, it } from 'vitest';
import { BatchSampler, filterPool } from '../../../src/core/data/ray-pool';
import { Rng } from '../../../src/core/random';
import { composeKeep, countFlags, packFlags, poolFingerprint, unpackFlags } from '../../../src/core/train/ray-filter';
import { randomPool } from './synthetic';

const randomFlags = (n: number, seed: number) => {
  const r = new Rng(seed);
  return Uint8Array.from({ length: n }, () => (r.next() < 0.6 ? 1 : 0));
};

describe('ray-filter flags', () => {
  it.each([0, 1, 7, 8, 9, 64, 1001])('pack / unpack %i flags', (n) => {
    const flags = randomFlags(n, n + 1);
    const packed = packFlags(flags);
    expect(packed.length).toBe(Math.ceil(n / 8));
    expect(unpackFlags(packed, n)).toEqual(flags);
    expect(() => unpackFlags(packed, n + 8)).toThrow(RangeError);
  });

  it('bit order: flag i is bit i % 8 of byte i / 8', () => {
    expect(Array.from(packFlags(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])))).toEqual([1, 2]);
  });

  it('composeKeep: filtering the loaded pool by the composed flags gives the twice-filtered pool', () => {
    const pool = randomPool(300, 5);
    const first = randomFlags(300, 1);
    const mid = filterPool(pool, first);
    const second = randomFlags(mid.count, 2);
    const twice = filterPool(mid, second);
    const composed = composeKeep(first, second);
    expect(countFlags(composed)).toBe(twice.count);
    expect(filterPool(pool, composed)).toEqual(twice);
  });

  it('the fingerprint changes with a colour, a direction or the count, not with a copy', () => {
    const pool = randomPool(5000, 3);
    const fp = poolFingerprint(pool);
    expect(poolFingerprint(structuredClone(pool))).toBe(fp);
    const rgb = structuredClone(pool);
    rgb.rgbs[0] += 0.01;
    const dir = structuredClone(pool);
    dir.dirs[3] += 1e-3;
    expect(poolFingerprint(rgb)).not.toBe(fp);
    expect(poolFingerprint(dir)).not.toBe(fp);
    expect(poolFingerprint(randomPool(4999, 3))).not.toBe(fp);
  });
});

describe('BatchSampler state', () => {
  it('a restored sampler continues with the same batches across reshuffles, leaving the stream alone', () => {
    const rng = new Rng(11);
    const s = new BatchSampler(50, 16, rng);
    for (let i = 0; i < 4; i++) s.next(); // past one reshuffle (3 batches per permutation)
    const state = s.getState();
    const rngState = rng.getState();
    const want = Array.from({ length: 7 }, () => Array.from(s.next()));

    const rng2 = new Rng(999);
    const t = new BatchSampler(50, 16, rng2);
    t.setState(state);
    const drawn = rng2.getState();
    rng2.setState(rngState);
    expect(drawn).not.toEqual(rngState); // (the constructor drew from rng2; setState did not rewind it)
    expect(Array.from({ length: 7 }, () => Array.from(t.next()))).toEqual(want);
    expect(rng2.getState()).toEqual(rng.getState());
    expect(() => new BatchSampler(49, 16, new Rng(1)).setState(state)).toThrow(/sampler state for 50 rays/);
  });
});
