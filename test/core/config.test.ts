/**
 * Option parsing (src/core/config.ts): seeds must fit the RNG's 32-bit state (a larger seed used to
 * wrap, so `--seed 4294967303` trained exactly as `--seed 7`), and numbers on a command line are
 * decimal (`--iterations 0x10` used to be taken as 16).
 */
import { describe, expect, it } from 'vitest';
import { planSeeds } from '../../src/core/compare/plan';
import {
  flagsToPartial,
  MAX_SEED,
  PRESETS,
  parseDecimal,
  resolveConfig,
  resolveForBackend,
  scaledSchedule,
  scheduleNote,
} from '../../src/core/config';
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

describe('a run shorter than its preset (scaledSchedule, scheduleNote)', () => {
  it("scales the preset's upsample iterations (rounded, increasing, >= 1), not the mask's", () => {
    expect(resolveConfig({ preset: 'quick', iterations: 750 })).toMatchObject({ upsampleAt: [150, 300, 450], alphaMaskAt: [300, 700] });
    expect(resolveConfig({ preset: 'smoke', iterations: 3 }).upsampleAt).toEqual([1, 2]);
    expect(resolveConfig({ preset: 'smoke', iterations: 1 }).upsampleAt).toEqual([1, 2]); // 0.4 and 0.7 rounded, kept >= 1 and increasing
    expect(scaledSchedule(PRESETS.thesis, { iterations: 3500 })).toEqual({ upsampleAt: [1000, 1500, 2000, 2750, 3500] });
  });

  it('leaves a run of the preset length or longer, a given schedule and a saved config alone', () => {
    expect(resolveConfig({ preset: 'smoke' }).upsampleAt).toEqual([40, 70]);
    expect(resolveConfig({ preset: 'smoke', iterations: 300 }).upsampleAt).toEqual([40, 70]);
    expect(resolveConfig({ preset: 'smoke', iterations: 50, upsampleAt: [] }).upsampleAt).toEqual([]);
    const saved = resolveConfig({ preset: 'smoke', iterations: 50 });
    expect(resolveConfig({ ...saved })).toEqual(saved); // config.json holds the scaled lists: resolving it again changes nothing
  });

  it('says what was scaled and which mask updates the run does not reach, in one line', () => {
    const partial = { preset: 'smoke', iterations: 60 };
    expect(scheduleNote(partial, resolveConfig(partial))).toBe(
      "60 of the smoke preset's 100 iterations: upsampling scaled to --upsample-at 24,42 (preset 40,70); the alpha-mask update at 70 not reached (not scaled: an update needs a trained density); --upsample-at / --alpha-mask-at set them",
    );
    expect(scheduleNote({ preset: 'smoke' }, resolveConfig({ preset: 'smoke' }))).toBeNull();
  });
});

describe('the preset of a run that names none (resolveForBackend): the same rule for every front end', () => {
  it('quick on cpu, thesis on a GPU backend; a named preset is kept', () => {
    expect(resolveForBackend({}, 'cpu')).toMatchObject({
      cfg: { preset: 'quick' },
      presetWhy: expect.stringMatching(/^the default on the cpu backend/),
    });
    expect(resolveForBackend({}, 'webgpu').cfg.preset).toBe('thesis');
    expect(resolveForBackend({ preset: 'smoke' }, 'cpu')).toMatchObject({ cfg: { preset: 'smoke' }, presetWhy: 'requested' });
    expect(resolveForBackend({ iterations: 750 }, 'cpu').scheduleNote).toMatch(/^750 of the quick preset's 1500 iterations/);
  });
});

describe('--threads', () => {
  it('defaults to 0 (the machine cores), takes 1..256 and refuses anything else naming the flag', () => {
    expect(resolveConfig({ preset: 'quick' }).threads).toBe(0);
    expect(resolveConfig(flagsToPartial({ threads: '2' })).threads).toBe(2);
    expect(() => resolveConfig(flagsToPartial({ threads: '-1' }))).toThrow(/--threads/);
    expect(() => resolveConfig(flagsToPartial({ threads: '1.5' }))).toThrow(/--threads/);
    expect(() => resolveConfig(flagsToPartial({ threads: '300' }))).toThrow(/--threads/);
  });
});
