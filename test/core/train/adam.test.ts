/**
 * Adam with PyTorch semantics (betas 0.9 / 0.99, eps 1e-8), per-group learning rates, and the
 * per-step learning-rate decay. Reference: torch.optim.Adam's update, by hand on a scalar:
 *   m_t = b1 m + (1 - b1) g,  v_t = b2 v + (1 - b2) g^2
 *   p  -= lr / (1 - b1^t) * m_t / (sqrt(v_t) / sqrt(1 - b2^t) + eps)
 */
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src/core/config';
import { type Param, makeParam } from '../../../src/core/params';
import { BETA1, BETA2, EPS, adamStep, createAdam, decayLr } from '../../../src/core/train/adam';
import { buildSchedule } from '../../../src/core/train/schedule';

const scalar = (group: 'factors' | 'network', v = 1): Param => makeParam(`p.${group}`, [1], group, () => v);

describe('adamStep', () => {
  it('uses betas (0.9, 0.99) and eps 1e-8', () => {
    expect([BETA1, BETA2, EPS]).toEqual([0.9, 0.99, 1e-8]);
  });

  it('three steps on a scalar, lr 0.02, grads 0.5, -0.25, 1 from p = 1', () => {
    // t = 1, g = 0.5:  m = 0.05, v = 0.0025; m^ = 0.05 / 0.1 = 0.5, v^ = 0.0025 / 0.01 = 0.25
    //                 p = 1 - 0.02 * 0.5 / (0.5 + 1e-8) = 0.9800000004
    // t = 2, g = -0.25: m = 0.045 - 0.025 = 0.02, v = 0.002475 + 0.000625 = 0.0031
    //                 m^ = 0.02 / 0.19 = 0.1052632, v^ = 0.0031 / 0.0199 = 0.1557789 (sqrt 0.3946883)
    //                 p = 0.98 - 0.02 * 0.1052632 / 0.3946883 = 0.9746660
    // t = 3, g = 1:    m = 0.018 + 0.1 = 0.118, v = 0.003069 + 0.01 = 0.013069
    //                 m^ = 0.118 / 0.271 = 0.4354244, v^ = 0.013069 / 0.029701 = 0.4400189 (sqrt 0.6633392)
    //                 p = 0.974666 - 0.02 * 0.4354244 / 0.6633392 = 0.9615378
    const p = scalar('factors');
    const st = createAdam([p], { factors: 0.02, network: 1e-3 });
    const want = [
      { m: 0.05, v: 0.0025, p: 0.9800000004 },
      { m: 0.02, v: 0.0031, p: 0.974666012 },
      { m: 0.118, v: 0.013069, p: 0.961537755 },
    ];
    [0.5, -0.25, 1].forEach((g, i) => {
      adamStep(st, [p], [Float32Array.from([g])]);
      expect(st.step).toBe(i + 1);
      expect(st.m[0][0]).toBeCloseTo(want[i].m, 7);
      expect(st.v[0][0]).toBeCloseTo(want[i].v, 8);
      expect(p.data[0]).toBeCloseTo(want[i].p, 6);
    });
  });

  it('each group has its own lr; the first step moves every entry by lr * sign(g)', () => {
    // t = 1: m^ = g, v^ = g^2 -> update = lr g / (|g| + 1e-8) ~ lr sign(g); zero grad -> no move
    const a = makeParam('a', [3], 'factors', () => 1);
    const b = makeParam('b', [2], 'network', () => -2);
    const st = createAdam([a, b], { factors: 0.02, network: 1e-3 });
    adamStep(st, [a, b], [Float32Array.from([3, -0.01, 0]), Float32Array.from([-5, 1e-3])]);
    expect(a.data[0]).toBeCloseTo(0.98, 6);
    expect(a.data[1]).toBeCloseTo(1.02, 6);
    expect(a.data[2]).toBe(1);
    expect(b.data[0]).toBeCloseTo(-2 + 1e-3, 6);
    expect(b.data[1]).toBeCloseTo(-2 - 1e-3, 6);
  });

  it('createAdam resets moments and step (the rebuild at upsampling)', () => {
    const p = scalar('factors');
    const st = createAdam([p], { factors: 0.02, network: 1e-3 });
    adamStep(st, [p], [Float32Array.from([1])]);
    const fresh = createAdam([p], { factors: 0.02, network: 1e-3 });
    expect(fresh.step).toBe(0);
    expect(fresh.m[0][0]).toBe(0);
    expect(fresh.v[0][0]).toBe(0);
  });
});

describe('learning-rate decay', () => {
  it('decayLr multiplies every group', () => {
    const st = createAdam([], { factors: 0.02, network: 1e-3 });
    decayLr(st, 0.5);
    expect(st.lr.factors).toBeCloseTo(0.01, 15);
    expect(st.lr.network).toBeCloseTo(5e-4, 15);
  });

  it('after `iterations` steps of lrFactor the rates are lrDecayRatio (0.1) times the initial ones', () => {
    const cfg = PRESETS.thesis;
    const s = buildSchedule(cfg);
    // lrFactor = 0.1^(1/7000)
    expect(s.lrFactor).toBeCloseTo(0.1 ** (1 / 7000), 15);
    const st = createAdam([], { factors: cfg.lrFactors, network: cfg.lrNetwork });
    for (let i = 0; i < cfg.iterations; i++) decayLr(st, s.lrFactor);
    expect(st.lr.factors / 0.02).toBeCloseTo(0.1, 9);
    expect(st.lr.network / 1e-3).toBeCloseTo(0.1, 9);
    expect(cfg.lrDecayRatio).toBe(0.1);
  });
});
