/**
 * What a bench invocation measures (cli/bench-plan.ts): each case is a real run with its preset's
 * iterations, the measured steps come from --from-iteration or the case's default, and the -late
 * cases start from --checkpoint with the checkpoint's own settings.
 */
import { describe, expect, it } from 'vitest';
import { AFTER_CHECKPOINT, parseCounts, parseThreadList, planCases } from '../../src/cli/bench-plan';
import { resolveConfig } from '../../src/core/config';
import { ConfigError } from '../../src/core/errors';
import type { TrainerCheckpoint } from '../../src/core/train/trainer-checkpoint';

const base = { iters: 5, overrides: {}, checkpoint: null };
const checkpointOf = (preset: 'quick' | 'thesis', iteration: number, extra: Record<string, unknown> = {}) =>
  ({
    path: 'runs/x/checkpoint.trf',
    config: resolveConfig({ preset, backend: 'webgpu', ...extra }),
    meta: { iteration },
  }) as unknown as TrainerCheckpoint;

describe('bench plan', () => {
  it('runs the default cases with their presets’ own iterations, from iteration 30', () => {
    const p = planCases(base, 'cpu');
    expect(p.map((c) => [c.name, c.cfg.preset, c.cfg.iterations, c.from, c.iters, c.cfg.visEvery, c.cfg.backend])).toEqual([
      ['quick', 'quick', 1500, 30, 5, 0, 'cpu'],
      ['thesis-early', 'thesis', 7000, 30, 5, 0, 'cpu'],
    ]);
    expect(p[1].cfg.trainViews).toBe(10);
  });

  it('takes --from-iteration and --iters, refuses --warmup and bad numbers', () => {
    expect(parseCounts({ 'from-iteration': '100', iters: '3' })).toEqual({ fromIteration: 100, iters: 3 });
    expect(parseCounts({})).toEqual({ fromIteration: undefined, iters: 5 });
    expect(() => parseCounts({ warmup: '30' })).toThrow(/--from-iteration/);
    expect(() => parseCounts({ iters: '0' })).toThrow(ConfigError);
    expect(() => parseCounts({ 'from-iteration': '-1' })).toThrow(ConfigError);
    const p = planCases({ ...base, cases: ['quick-late'], fromIteration: 7, iters: 2 }, 'webgpu');
    expect([p[0].from, p[0].iters, p[0].checkpoint]).toEqual([7, 2, null]);
  });

  it('takes --threads LIST (default 1 and the cores, once each), --cases none, and refuses bad counts', () => {
    expect(parseThreadList(undefined, 2)).toEqual([1, 2]);
    expect(parseThreadList(undefined, 1)).toEqual([1]);
    expect(parseThreadList('2,1,4', 2)).toEqual([2, 1, 4]);
    expect(() => parseThreadList('1,x', 2)).toThrow(/--threads: .*got 'x'/);
    expect(() => parseThreadList('0', 2)).toThrow(ConfigError);
    expect(planCases({ ...base, cases: ['none'] }, 'cpu')).toEqual([]);
  });

  it('late cases without a checkpoint train up to their default iteration from scratch', () => {
    const p = planCases({ ...base, cases: ['quick-late', 'thesis-late'] }, 'webgpu');
    expect(p.map((c) => [c.name, c.from, c.cfg.iterations])).toEqual([
      ['quick-late', 1000, 1500],
      ['thesis-late', 5600, 7000],
    ]);
  });

  it('with --checkpoint: the late case of its preset, its settings, from a few steps after it', () => {
    const ck = checkpointOf('quick', 1250, { downscale: 4 });
    const [c] = planCases({ ...base, checkpoint: ck }, 'cpu');
    expect(c.name).toBe('quick-late');
    expect(c.checkpoint).toBe(ck);
    expect(c.from).toBe(1250 + AFTER_CHECKPOINT);
    expect([c.cfg.downscale, c.cfg.backend, c.cfg.visEvery, c.cfg.iterations]).toEqual([4, 'cpu', 0, 1500]);
    expect(planCases({ ...base, checkpoint: ck, overrides: { data: '/elsewhere' } }, 'cpu')[0].cfg.data).toBe('/elsewhere');
    // early cases in the same list run from scratch
    const both = planCases({ ...base, checkpoint: ck, cases: ['quick', 'quick-late'] }, 'cpu');
    expect(both.map((x) => x.checkpoint)).toEqual([null, ck]);
  });

  it('refuses a checkpoint of another preset, training flags with a checkpoint, and unknown cases', () => {
    expect(() => planCases({ ...base, checkpoint: checkpointOf('quick', 500), cases: ['thesis-late'] }, 'cpu')).toThrow(
      /needs a thesis run/,
    );
    expect(() => planCases({ ...base, checkpoint: checkpointOf('quick', 500), cases: ['quick'] }, 'cpu')).toThrow(/-late cases only/);
    expect(() => planCases({ ...base, checkpoint: checkpointOf('quick', 500), overrides: { batchSize: 512 } }, 'cpu')).toThrow(
      /--batch: not with --checkpoint/,
    );
    expect(() => planCases({ ...base, cases: ['slow'] }, 'cpu')).toThrow(/unknown case 'slow'/);
  });
});
