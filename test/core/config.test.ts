/**
 * Option parsing (src/core/config.ts): seeds must fit the RNG's 32-bit state (a larger seed used to
 * wrap, so `--seed 4294967303` trained exactly as `--seed 7`), and numbers on a command line are
 * decimal (`--iterations 0x10` used to be taken as 16).
 */
import { describe, expect, it } from 'vitest';
import { planSeeds } from '../../src/core/compare/plan';
import { flagsToPartial, MAX_SEED, parseDecimal, resolveConfig } from '../../src/core/config';
import { ConfigError } from '../../src/core/errors';

const fromFlags = (flags: Record<string, string>) => resolveConfig(flagsToPartial(flags));

describe('seeds', () => {
  it('accept 0 to 2^32-1', () => {
    expect(fromFlags({ seed: '0' }).seed).toBe(0);
    expect(fromFlags({ seed: '4294967295' }).seed).toBe(4294967295);
    expect(MAX_SEED).toBe(2 ** 32 - 1);
  });

  it.each(['4294967296', '4294967303', '1e12'])('--seed %s is refused naming the range', (v) => {
    expect(() => fromFlags({ seed: v })).toThrow(ConfigError);
    expect(() => fromFlags({ seed: v })).toThrow(`--seed: expected <= 4294967295, got ${Number(v)}`);
  });

  it('a seed past the range in a saved config names the file', () => {
    expect(() => resolveConfig({ seed: 2 ** 32 + 7 }, 'runs/x/config.json: ')).toThrow('runs/x/config.json: seed: expected <= 4294967295');
  });

  it('compare --seeds K: every seed of seed..seed+K-1 must be in the range', () => {
    expect(planSeeds(MAX_SEED - 2, 3)).toEqual([MAX_SEED - 2, MAX_SEED - 1, MAX_SEED]);
    expect(() => planSeeds(MAX_SEED - 1, 3)).toThrow(
      `--seeds 3: seeds ${MAX_SEED - 1}..${MAX_SEED + 1} go past the largest seed ${MAX_SEED}`,
    );
  });
});

describe('numbers on the command line are decimal', () => {
  it.each([
    ['16', 16],
    ['+16', 16],
    [' 16 ', 16],
    ['1e3', 1000],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['-2.5E-3', -0.0025],
    ['0010', 10],
  ])('%j is %d', (raw, want) => expect(parseDecimal(raw)).toBe(want));

  it.each(['0x10', '0b11', '0o7', 'Infinity', '-Infinity', 'NaN', '', ' ', '1_000', '1e', '16px', '1,5'])('%j is not a number', (raw) => {
    expect(parseDecimal(raw)).toBeNaN();
  });

  it.each([
    [{ iterations: '0x10' }, "--iterations: expected a number in decimal, got '0x10'"],
    [{ batch: '0b1000000000' }, "--batch: expected a number in decimal, got '0b1000000000'"],
    [{ 'lr-factors': 'Infinity' }, "--lr-factors: expected a number in decimal, got 'Infinity'"],
    [{ 'upsample-at': '0x10,40' }, "--upsample-at: expected comma-separated integers in decimal, got '0x10,40'"],
  ])('%j is refused', (flags, want) => {
    expect(() => fromFlags(flags)).toThrow(ConfigError);
    expect(() => fromFlags(flags)).toThrow(want);
  });

  it('decimal values still parse as before', () => {
    expect(fromFlags({ iterations: '16', 'lr-factors': '2e-2', 'upsample-at': '10,20' })).toMatchObject({
      iterations: 16,
      lrFactors: 0.02,
      upsampleAt: [10, 20],
    });
  });
});

describe('--eval-views all and --train-views all', () => {
  it('"all" stands for 0 (every view), as the README writes it', () => {
    expect(fromFlags({ 'eval-views': 'all' }).evalViews).toBe(0);
    expect(fromFlags({ 'eval-views': 'ALL', preset: 'smoke' }).evalViews).toBe(0);
    expect(fromFlags({ 'train-views': 'all', preset: 'smoke' }).trainViews).toBe(0);
    expect(fromFlags({ 'eval-views': '7' }).evalViews).toBe(7);
  });

  it('another word is refused naming the flag and what it accepts', () => {
    expect(() => fromFlags({ 'eval-views': 'most' })).toThrow("--eval-views: expected a number in decimal or 'all', got 'most'");
    // options without words say only "a number"
    expect(() => fromFlags({ 'vis-views': 'all' })).toThrow("--vis-views: expected a number in decimal, got 'all'");
  });
});
