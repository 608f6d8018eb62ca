/**
 * The schedule of DESIGN.md section 4 (thesis preset): upsampling at [2000, 3000, 4000, 5500,
 * 7000] to round(exp(linspace(ln 128^3, ln 300^3, 6)))[1:] voxels, alpha mask at [2000, 4000]
 * (the first shrinks, the second filters rays), mask before upsampling at the same iteration
 * (TensoRF's loop order), and the L1 weight 8e-5 until the first mask update, 4e-5 after.
 * Iterations are 0-based step indices; actions run after that step's optimizer update.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS, type TrainConfig } from '../../../src/core/config';
import { buildSchedule, type ScheduleAction } from '../../../src/core/train/schedule';

function voxelCounts(a: number, b: number, k: number): number[] {
  const la = Math.log(a ** 3);
  const lb = Math.log(b ** 3);
  return Array.from({ length: k + 1 }, (_, i) => Math.round(Math.exp(la + ((lb - la) * i) / k))).slice(1);
}

function allActions(cfg: TrainConfig, upTo: number): Map<number, ScheduleAction[]> {
  const s = buildSchedule(cfg);
  const out = new Map<number, ScheduleAction[]>();
  for (let it = 0; it <= upTo; it++) {
    const a = s.at(it);
    if (a.length) out.set(it, a);
  }
  return out;
}

describe('buildSchedule (thesis)', () => {
  const cfg = PRESETS.thesis;
  const v = voxelCounts(128, 300, 5);

  it('actions at exactly the configured iterations, mask before upsample', () => {
    const acts = allActions(cfg, 8000);
    expect([...acts.keys()]).toEqual([2000, 3000, 4000, 5500, 7000]);
    expect(acts.get(2000)).toEqual([
      { kind: 'alpha-mask', shrink: true, filterRays: false },
      { kind: 'upsample', voxels: v[0] },
    ]);
    expect(acts.get(3000)).toEqual([{ kind: 'upsample', voxels: v[1] }]);
    expect(acts.get(4000)).toEqual([
      { kind: 'alpha-mask', shrink: false, filterRays: true },
      { kind: 'upsample', voxels: v[2] },
    ]);
    expect(acts.get(5500)).toEqual([{ kind: 'upsample', voxels: v[3] }]);
    expect(acts.get(7000)).toEqual([{ kind: 'upsample', voxels: 300 ** 3 }]);
  });

  it('L1 weight: 8e-5 through the step of the first mask update, 4e-5 after', () => {
    // TensoRF switches L1_reg_weight when it updates the mask at the end of iteration 2000,
    // so the loss of iteration 2000 still uses the initial weight.
    const s = buildSchedule(cfg);
    expect(s.l1Weight(0)).toBe(8e-5);
    expect(s.l1Weight(1999)).toBe(8e-5);
    expect(s.l1Weight(2000)).toBe(8e-5);
    expect(s.l1Weight(2001)).toBe(4e-5);
    expect(s.l1Weight(6999)).toBe(4e-5);
  });

  it('no mask updates: the initial L1 weight throughout', () => {
    const s = buildSchedule({ ...cfg, alphaMaskAt: [] });
    expect(s.l1Weight(100000)).toBe(8e-5);
    expect(s.at(2000)).toEqual([{ kind: 'upsample', voxels: v[0] }]);
  });
});

describe('buildSchedule (smoke, quick)', () => {
  it('smoke: masks and upsamples at the same iterations, mask first', () => {
    const cfg = PRESETS.smoke;
    const v = voxelCounts(cfg.gridStart, cfg.gridEnd, cfg.upsampleAt.length);
    const acts = allActions(cfg, cfg.iterations);
    expect([...acts.keys()]).toEqual([40, 70]);
    expect(acts.get(40)?.map((a) => a.kind)).toEqual(['alpha-mask', 'upsample']);
    expect(acts.get(70)).toEqual([
      { kind: 'alpha-mask', shrink: false, filterRays: true },
      { kind: 'upsample', voxels: v[1] },
    ]);
    expect(v[1]).toBe(48 ** 3);
  });

  it('quick: separate mask and upsample iterations', () => {
    const cfg = PRESETS.quick;
    const acts = allActions(cfg, cfg.iterations);
    expect([...acts.keys()]).toEqual([300, 600, 700, 900]);
    expect(acts.get(700)).toEqual([{ kind: 'alpha-mask', shrink: false, filterRays: true }]);
  });
});
