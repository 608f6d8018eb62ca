/**
 * The fused WebGPU Adam update (kernels/webgpu-adam.ts) against adamUpdateTf on the cpu backend
 * and on webgpu, and against the host update adamStep (train/adam.ts), over several steps and
 * sizes in a row: sizes that are and are not multiples of 4 (the vec4 and scalar programs) or
 * of the workgroup, several ranks, the first size again at the end, and two sets of
 * hyper-parameters (all uniforms: a watch on the program cache fails if one key ever had two
 * sources). Errors are in float32 ulps of the terms' scale (test/core/train/adam-fixture.ts).
 * Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/backend';
import { adamUpdateWebgpu } from '../../../src/core/kernels/webgpu-adam';
import { adamUpdateTf, type AdamUpdateOptions } from '../../../src/core/train/adam-tf';
import {
  adamCase,
  type AdamCase,
  type AdamState3,
  hostAdam,
  hostOptions,
  maxUlps,
  scaledUlps,
  stateBefore,
  stateRelErr,
  termScales,
} from '../train/adam-fixture';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';
import { watchShaderKeys, type ShaderKeyWatch } from './shader-key-watch';

const STEPS = 5;
const LR = 0.02;
const SHAPES = [[1], [3], [4], [5], [255], [256], [257], [1000], [1023], [4099], [70001], [3, 7, 5], [4, 6, 8], [1]];
/** Not the host's: checks that every constant is a uniform. */
const OTHER = (step: number): AdamUpdateOptions => ({ lr: 1e-3, beta1: 0.8, beta2: 0.999, eps: 1e-6, step });

type Update = typeof adamUpdateTf;

/** STEPS updates from (p0, 0, 0) with f on the active backend; the state after each. */
async function trajectory(c: AdamCase, f: Update, opts: (step: number) => AdamUpdateOptions): Promise<AdamState3[]> {
  let [p, m, v] = [tf.tensor(c.p0, c.shape), tf.zeros(c.shape), tf.zeros(c.shape)];
  const out: AdamState3[] = [];
  for (const [t, g] of c.grads.entries()) {
    const grad = tf.tensor(g, c.shape);
    const next = f(p, m, v, grad, opts(t + 1));
    tf.dispose([p, m, v, grad]);
    [p, m, v] = next;
    const [pd, md, vd] = await Promise.all([p.data(), m.data(), v.data()]);
    out.push({ p: new Float32Array(pd), m: new Float32Array(md), v: new Float32Array(vd) });
  }
  tf.dispose([p, m, v]);
  return out;
}

/** Largest scaled error of a trajectory against another, with the host run's term scales. */
function trajectoryErr(c: AdamCase, host: AdamState3[], got: AdamState3[], want: AdamState3[]): number {
  let worst = 0;
  got.forEach((s, t) => {
    const sc = termScales(stateBefore(c, host, t), c.grads[t], host[t]);
    worst = Math.max(worst, scaledUlps(s.p, want[t].p, sc.p), scaledUlps(s.m, want[t].m, sc.m), scaledUlps(s.v, want[t].v, sc.v));
  });
  return worst;
}

describe('adamUpdateWebgpu', () => {
  const cases = SHAPES.map((s, i) => adamCase(s, STEPS, 70 + i));
  const hosts = cases.map((c) => hostAdam(c, LR));
  const cpuRef: AdamState3[][] = [];
  const cpuOther: AdamState3[][] = [];
  let gpu: WebgpuSession;
  let watch: ShaderKeyWatch | undefined;

  beforeAll(async () => {
    await initBackend('cpu');
    for (const c of cases) {
      cpuRef.push(await trajectory(c, adamUpdateTf, (t) => hostOptions(LR, t)));
      cpuOther.push(await trajectory(c, adamUpdateTf, OTHER));
    }
    gpu = await startWebgpu();
    if (gpu.info) {
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      watch = watchShaderKeys(tf.backend());
    }
  });

  afterAll(async () => {
    watch?.stop();
    await stopWebgpu();
  });

  it('refuses to run on another backend, naming the plain-ops version', async () => {
    await tf.setBackend('cpu');
    try {
      const z = tf.zeros([3]);
      expect(() => adamUpdateWebgpu(z, z, z, z, hostOptions(LR, 1))).toThrow(/webgpu backend only.*adamUpdateTf/);
      z.dispose();
    } finally {
      if (gpu.info) await tf.setBackend('webgpu');
    }
  });

  it(`each step from the host state matches adamStep to float32 rounding (${SHAPES.length} sizes in a row)`, async (ctx) => {
    requireWebgpu(gpu, ctx);
    let worst = 0;
    for (const [i, c] of cases.entries()) {
      for (let t = 0; t < STEPS; t++) {
        const prev = stateBefore(c, hosts[i], t);
        const sc = termScales(prev, c.grads[t], hosts[i][t]);
        const outs = tf.tidy(() =>
          adamUpdateWebgpu(
            ...([prev.p, prev.m, prev.v, c.grads[t]].map((d) => tf.tensor(d, c.shape)) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]),
            hostOptions(LR, t + 1),
          ),
        );
        const [p, m, v] = await Promise.all(outs.map((o) => o.data()));
        tf.dispose(outs);
        worst = Math.max(worst, scaledUlps(p, hosts[i][t].p, sc.p), scaledUlps(m, hosts[i][t].m, sc.m), scaledUlps(v, hosts[i][t].v, sc.v));
      }
    }
    console.log(`adamUpdateWebgpu vs adamStep, one step, in ulps of the terms: ${worst.toFixed(2)}`);
    expect(worst).toBeLessThanOrEqual(2);
  });

  it(`${STEPS} steps match adamUpdateTf on webgpu and on cpu, and the host trajectory (${SHAPES.length} sizes, two sets of constants)`, async (ctx) => {
    requireWebgpu(gpu, ctx);
    const before = tf.memory().numTensors;
    // vs adamUpdateTf: in ulps of the terms (the same float32 operations, so expected equal);
    // vs the host trajectory and with the other constants: relErr (adam-fixture.ts)
    const worst = { tfWebgpu: 0, tfCpu: 0, host: 0, otherCpu: 0 };
    for (const [i, c] of cases.entries()) {
      const ours = await trajectory(c, adamUpdateWebgpu, (t) => hostOptions(LR, t));
      const tfGpu = await trajectory(c, adamUpdateTf, (t) => hostOptions(LR, t));
      worst.tfWebgpu = Math.max(worst.tfWebgpu, trajectoryErr(c, hosts[i], ours, tfGpu));
      worst.tfCpu = Math.max(worst.tfCpu, trajectoryErr(c, hosts[i], ours, cpuRef[i]));
      worst.host = Math.max(worst.host, ...ours.map((s, t) => stateRelErr(s, hosts[i][t])));
      const other = await trajectory(c, adamUpdateWebgpu, OTHER);
      worst.otherCpu = Math.max(worst.otherCpu, ...other.map((s, t) => stateRelErr(s, cpuOther[i][t])));
    }
    console.log(
      `adamUpdateWebgpu, ${STEPS}-step trajectories, in ulps of the terms: vs adamUpdateTf webgpu ${worst.tfWebgpu.toFixed(2)}, ` +
        `cpu ${worst.tfCpu.toFixed(2)}; rel err vs adamStep ${worst.host.toExponential(2)}, other constants vs adamUpdateTf cpu ${worst.otherCpu.toExponential(2)}`,
    );
    expect(worst.tfWebgpu).toBeLessThanOrEqual(1);
    expect(worst.tfCpu).toBeLessThanOrEqual(2);
    expect(worst.host).toBeLessThan(1e-6);
    expect(worst.otherCpu).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads float32 tensors whose buffer is int32 (zero-copy casts), vec4 and scalar', async (ctx) => {
    requireWebgpu(gpu, ctx);
    for (const n of [8, 7]) {
      const ints = Array.from({ length: n }, (_, i) => i - 3);
      const [ours, ref] = tf.tidy(() => {
        const fromInt = tf.cast(tf.tensor1d(ints, 'int32'), 'float32');
        const plain = tf.tensor1d(ints);
        const m = tf.fill([n], 0.1);
        const v = tf.fill([n], 0.2);
        return [adamUpdateWebgpu(fromInt, m, v, fromInt, hostOptions(LR, 3)), adamUpdateTf(plain, m, v, plain, hostOptions(LR, 3))];
      });
      for (let k = 0; k < 3; k++) expect(maxUlps(await ours[k].data(), await ref[k].data())).toBeLessThanOrEqual(1);
      tf.dispose([...ours, ...ref]);
    }
  });

  it('leaves its inputs as they were', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const c = cases[7];
    const ins = [c.p0, c.p0, c.p0.map(Math.abs), c.grads[0]].map((d) => tf.tensor(d, c.shape)) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    const outs = adamUpdateWebgpu(...ins, hostOptions(LR, 2));
    const data = await Promise.all(ins.map((t) => t.data()));
    expect(maxUlps(data[0], c.p0)).toBe(0);
    expect(maxUlps(data[3], c.grads[0])).toBe(0);
    tf.dispose([...ins, ...outs]);
  });

  it('no program cache key was run with two different shader sources', (ctx) => {
    requireWebgpu(gpu, ctx);
    if (!watch?.supported) ctx.skip('tfjs-backend-webgpu internals changed: runWebGPUProgram not found');
    const programs = watch!.programs();
    console.log(`programs run (distinct cache keys): ${[...programs].map(([n, k]) => `${n} ${k}`).join(', ')}`);
    // scalar and vec4, ranks 1 and 3
    expect(programs.get('AdamParamProgram')).toBeGreaterThanOrEqual(3);
    expect(watch!.clashes()).toEqual([]);
  });
});
