/**
 * adamUpdateTf (plain tf ops, any backend) against the host update adamStep (train/adam.ts,
 * double precision arithmetic on float32 state) on the cpu backend: a hand-computed scalar, and
 * several sizes over several steps to float32 rounding. The webgpu side is in
 * test/core/kernels/webgpu-adam.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/backend';
import { adamUpdateTf } from '../../../src/core/train/adam-tf';
import { adamCase, hostAdam, hostOptions, scaledUlps, stateBefore, stateRelErr, termScales } from './adam-fixture';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('adamUpdateTf', () => {
  it('three steps on a scalar, lr 0.02, grads 0.5, -0.25, 1 from p = 1 (as adam.test.ts)', async () => {
    // p after each step: 0.9800000004, 0.9746660, 0.9615378; m: 0.05, 0.02, 0.118; v: 0.0025, 0.0031, 0.013069
    const want = [
      { p: 0.9800000004, m: 0.05, v: 0.0025 },
      { p: 0.974666012, m: 0.02, v: 0.0031 },
      { p: 0.961537755, m: 0.118, v: 0.013069 },
    ];
    let [p, m, v]: tf.Tensor[] = [tf.tensor1d([1]), tf.zeros([1]), tf.zeros([1])];
    for (const [i, g] of [0.5, -0.25, 1].entries()) {
      const grad = tf.tensor1d([g]);
      const next = adamUpdateTf(p, m, v, grad, hostOptions(0.02, i + 1));
      tf.dispose([p, m, v, grad]);
      [p, m, v] = next;
      expect((await p.data())[0]).toBeCloseTo(want[i].p, 6);
      expect((await m.data())[0]).toBeCloseTo(want[i].m, 7);
      expect((await v.data())[0]).toBeCloseTo(want[i].v, 8);
    }
    tf.dispose([p, m, v]);
  });

  it('matches adamStep to float32 rounding: each of 5 steps from the host state, and 5 steps on its own', async () => {
    // one step: in ulps of the terms' scale (adam-fixture.ts); the trajectory: relErr
    const before = tf.memory().numTensors;
    let oneStep = 0;
    let trajectory = 0;
    for (const [k, shape] of [[1], [5], [256], [1001], [3, 7, 5]].entries()) {
      const c = adamCase(shape, 5, 40 + k);
      const host = hostAdam(c, 0.02);
      let [p, m, v] = [tf.tensor(c.p0, shape), tf.zeros(shape), tf.zeros(shape)];
      for (const [t, g] of c.grads.entries()) {
        const prev = stateBefore(c, host, t);
        const scales = termScales(prev, g, host[t]);
        const grad = tf.tensor(g, shape);
        const [p1, m1, v1] = tf.tidy(() =>
          adamUpdateTf(tf.tensor(prev.p, shape), tf.tensor(prev.m, shape), tf.tensor(prev.v, shape), grad, hostOptions(0.02, t + 1)),
        );
        const got = await Promise.all([p1.data(), m1.data(), v1.data()]);
        oneStep = Math.max(
          oneStep,
          scaledUlps(got[0], host[t].p, scales.p),
          scaledUlps(got[1], host[t].m, scales.m),
          scaledUlps(got[2], host[t].v, scales.v),
        );
        const next = adamUpdateTf(p, m, v, grad, hostOptions(0.02, t + 1));
        tf.dispose([p, m, v, grad, p1, m1, v1]);
        [p, m, v] = next;
        const [pd, md, vd] = await Promise.all([p.data(), m.data(), v.data()]);
        trajectory = Math.max(trajectory, stateRelErr({ p: pd as Float32Array, m: md as Float32Array, v: vd as Float32Array }, host[t]));
      }
      tf.dispose([p, m, v]);
    }
    console.log(
      `adamUpdateTf vs adamStep, one step in ulps of the terms ${oneStep.toFixed(2)}; 5-step trajectory rel err ${trajectory.toExponential(2)}`,
    );
    expect(oneStep).toBeLessThanOrEqual(2);
    expect(trajectory).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched shapes and a step below 1', () => {
    const a = tf.zeros([3]);
    const b = tf.zeros([4]);
    expect(() => adamUpdateTf(a, a, a, b, hostOptions(0.1, 1))).toThrow(/grad \[4\] must have param's shape \[3\]/);
    expect(() => adamUpdateTf(a, a, a, a, hostOptions(0.1, 0))).toThrow(/step must be an integer >= 1/);
    tf.dispose([a, b]);
  });
});
