/**
 * The early-terminating host render (march-host.ts) against the plain one (host-chunk.ts: every
 * sample's density, renderBatch), on small random fields of several shapes, with and without an
 * alpha mask, for every decoder, with the host kernels registered (as the cpu backend runs them).
 *
 * The bound tested (derived in march-host.ts): a ray that ran to its end comes out bit-identical;
 * a ray retired at transmittance T differs by at most T (1 + N 1e-10) in acc and in each rgb
 * channel, and by at most that times t_last in depth, plus the reference's own float32 rounding
 * of the weights it adds after that point (half an ulp of a value <= 1 per addition, so
 * 2^-25 per sample; 2^-25 t_last for depth). Both paths decode the same samples.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DEFAULT_DECODER_OPTIONS } from '../../../src/core/decoders/defaults';
import { createDecoder } from '../../../src/core/decoders/decoder';
import type { AlphaMask } from '../../../src/core/field/alpha-mask';
import { type Box, nSamplesEval, type Vec3 } from '../../../src/core/field/geometry';
import { createField } from '../../../src/core/field/vm';
import { hostKernelsActive, registerFastCpuKernels } from '../../../src/core/kernels/register';
import { type Model, modelParams } from '../../../src/core/model';
import { flatGroups } from '../../../src/core/params';
import { Rng } from '../../../src/core/random';
import type { ChunkInput } from '../../../src/core/render/chunk';
import { chunkSamples, renderChunkFull } from '../../../src/core/render/host-chunk';
import { marchChunk, stopTransmittance } from '../../../src/core/render/march-host';
import { RENDER_CONSTANTS, renderBatch } from '../../../src/core/render/render-batch';
import { hostParamTensors, renderPathFor } from '../../../src/core/render/render-path';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
});

const ULP_HALF = 2 ** -25;

interface Case {
  name: string;
  box: Box;
  reso: Vec3;
  decoder: 'mlp' | 'siren' | 'splitnet';
  mask: boolean;
  segment: number;
  stopAt?: number;
  step: number;
  density: [number, number];
}

const CUBE: Box = { min: [-1.5, -1.5, -1.5], max: [1.5, 1.5, 1.5] };
const FLAT: Box = { min: [-1.2, -0.8, -0.5], max: [1.0, 0.9, 0.6] };
// density factors ~ U(lo, hi), and a step, chosen so that many rays turn opaque (and retire)
// while those that graze the box stay partly transparent
const CASES: Case[] = [
  { name: 'cube 6^3, mlp, no mask', box: CUBE, reso: [6, 6, 6], decoder: 'mlp', mask: false, segment: 32, step: 0.04, density: [0.6, 1.9] },
  {
    name: 'flat box 7x5x4, siren, mask',
    box: FLAT,
    reso: [7, 5, 4],
    decoder: 'siren',
    mask: true,
    segment: 8,
    step: 0.03,
    density: [0.3, 2.2],
  },
  {
    name: 'cube 5x9x6, splitnet, mask',
    box: CUBE,
    reso: [5, 9, 6],
    decoder: 'splitnet',
    mask: true,
    segment: 3,
    step: 0.05,
    density: [0.5, 2.0],
  },
  {
    name: 'flat box 8x6x5, mlp, mask',
    box: FLAT,
    reso: [8, 6, 5],
    decoder: 'mlp',
    mask: true,
    segment: 1,
    step: 0.03,
    density: [0.6, 1.8],
  },
  {
    name: 'cube 6^3, siren, stop at 1e-6',
    box: CUBE,
    reso: [6, 6, 6],
    decoder: 'siren',
    mask: false,
    segment: 8,
    stopAt: 1e-6,
    step: 0.04,
    density: [0.6, 1.9],
  },
];

function modelFor(c: Case): Model {
  const comps = 2;
  const field = createField({ box: c.box, reso: c.reso, densityComps: comps, appComps: comps, appDim: 27 }, new Rng(3));
  const rng = new Rng(4);
  for (const p of [...field.densityPlanes, ...field.densityLines])
    for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(c.density[0], c.density[1]);
  for (const p of [...field.appPlanes, ...field.appLines]) for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(-1, 1);
  const decoder = createDecoder(c.decoder, { ...DEFAULT_DECODER_OPTIONS, width: 8 }, new Rng(5));
  return { field, decoder };
}

/** Rays from radius 4 towards random points around the box (some miss it, some graze it). */
function rays(box: Box, n: number, rng: Rng): { origins: Float32Array; dirs: Float32Array } {
  const origins = new Float32Array(3 * n);
  const dirs = new Float32Array(3 * n);
  for (let r = 0; r < n; r++) {
    const o = [rng.normal(), rng.normal(), rng.normal()];
    const lo = Math.hypot(o[0], o[1], o[2]);
    const target = [0, 1, 2].map((a) => rng.uniform(1.1 * box.min[a], 1.1 * box.max[a]));
    const d = target.map((v, a) => v - (4 * o[a]) / lo);
    const l = Math.hypot(d[0], d[1], d[2]);
    for (let a = 0; a < 3; a++) {
      origins[3 * r + a] = (4 * o[a]) / lo;
      dirs[3 * r + a] = d[a] / l;
    }
  }
  return { origins, dirs };
}

/** A random occupancy grid over the box, about 70% occupied. */
function randomMask(box: Box, rng: Rng): AlphaMask {
  const reso: Vec3 = [6, 5, 7];
  const data = Uint8Array.from({ length: reso[0] * reso[1] * reso[2] }, () => (rng.uniform(0, 1) < 0.7 ? 1 : 0));
  return { box, reso, data };
}

function chunkInput(model: Model, step: number, origins: Float32Array, dirs: Float32Array, params: ChunkInput['params']): ChunkInput {
  const count = origins.length / 3;
  return { field: model.field, decoder: model.decoder, params, origins, dirs, count, step, nSamples: nSamplesEval(model.field.box, step) };
}

describe('marchChunk (early ray termination) vs renderChunkFull', () => {
  it('runs with the host kernels registered (the cpu backend path)', () => {
    expect(hostKernelsActive()).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.name}, segment ${c.segment}: same decoded samples; bit-identical unless retired, else within the bound`, () => {
      const model = modelFor(c);
      const rng = new Rng(11);
      const { origins, dirs } = rays(c.box, 300, rng);
      const mask = c.mask ? randomMask(c.box, rng) : null;
      const params = hostParamTensors(modelParams(model));
      const input = chunkInput(model, c.step, origins, dirs, params);
      const before = tf.memory().numTensors;
      const ref = renderChunkFull(input, mask);
      const got = marchChunk(input, mask, { segment: c.segment, stopAt: c.stopAt ?? 1e-4 });
      expect(tf.memory().numTensors).toBe(before);
      const plan = chunkSamples(input, mask);
      const refDecoded = tf.tidy(() => renderBatch(model.field, model.decoder, params, plan, dirs, input.count).decoded);
      tf.dispose(flatGroups(params));

      expect(got.planned).toBe(plan.count);
      expect(got.decoded).toBe(refDecoded);
      expect(refDecoded).toBeGreaterThan(100);
      // the case exercises retirement, on a good part of the samples, and leaves rays that run to their end
      const retired = Array.from(got.residual).filter((T) => T > 0).length;
      expect(retired).toBeGreaterThan(20);
      expect(retired).toBeLessThan(input.count - 20);
      expect(got.evaluated).toBeLessThan(0.9 * got.planned);

      const stopT = stopTransmittance(c.stopAt ?? RENDER_CONSTANTS.weightThreshold, input.nSamples);
      const growth = 1 + input.nSamples * 1e-10;
      let maxRgb = 0;
      for (let r = 0; r < input.count; r++) {
        const T = got.residual[r];
        const s1 = plan.rayStart[r + 1];
        if (T === 0) {
          expect(Array.from(got.render.rgb.subarray(3 * r, 3 * r + 3)), `ray ${r} rgb`).toEqual(
            Array.from(ref.rgb.subarray(3 * r, 3 * r + 3)),
          );
          expect(got.render.acc[r], `ray ${r} acc`).toBe(ref.acc[r]);
          expect(got.render.depth[r], `ray ${r} depth`).toBe(ref.depth[r]);
          continue;
        }
        expect(T).toBeLessThan(stopT);
        const tLast = plan.t[s1 - 1];
        const rest = s1 - plan.rayStart[r] + 2; // additions the reference rounds after the stop (at most)
        const bound = T * growth + rest * ULP_HALF;
        expect(Math.abs(got.render.acc[r] - ref.acc[r]), `ray ${r} acc`).toBeLessThanOrEqual(bound);
        expect(Math.abs(got.render.depth[r] - ref.depth[r]), `ray ${r} depth`).toBeLessThanOrEqual(bound * tLast);
        for (let ch = 0; ch < 3; ch++) {
          const d = Math.abs(got.render.rgb[3 * r + ch] - ref.rgb[3 * r + ch]);
          expect(d, `ray ${r} rgb ${ch}`).toBeLessThanOrEqual(bound);
          maxRgb = Math.max(maxRgb, d);
        }
      }
      expect(maxRgb).toBeLessThan((c.stopAt ?? 1e-4) + 1e-6);
    });
  }

  it('hand-computed stop: constant density retires every ray at the first segment end past T < stopT', () => {
    // density factors all v: feature = 3 pairs * 2 comps * v^2; v = 1.5: feature 13.5, sigma = softplus(3.5) = 3.5297, alpha = 1 - exp(-25 sigma step)
    const c: Case = { name: 'const', box: CUBE, reso: [6, 6, 6], decoder: 'mlp', mask: false, segment: 4, step: 0.05, density: [1.5, 1.5] };
    const model = modelFor(c);
    const O = Float32Array.from([0, 0, 4, 0.3, -0.2, 4]);
    const D = Float32Array.from([0, 0, -1, 0, 0, -1]);
    const params = hostParamTensors(modelParams(model));
    const input = chunkInput(model, c.step, O, D, params);
    const got = marchChunk(input, null, { segment: c.segment });
    tf.dispose(flatGroups(params));
    const plan = chunkSamples(input, null);
    const sigma = Math.log1p(Math.exp(3.5));
    const a = 1 - Math.exp(-sigma * input.step * 25);
    const stopT = stopTransmittance(1e-4, input.nSamples);
    // T after k samples: (1 - a + 1e-10)^k; the first k with T < stopT, rounded up to a segment end
    const kStop = Math.ceil(Math.log(stopT) / Math.log(1 - a + 1e-10));
    const perRay = Math.ceil(kStop / c.segment) * c.segment;
    for (let r = 0; r < 2; r++) expect(plan.rayStart[r + 1] - plan.rayStart[r]).toBeGreaterThan(perRay);
    expect(got.evaluated).toBe(2 * perRay);
    for (let r = 0; r < 2; r++) expect(got.residual[r]).toBeCloseTo((1 - a + 1e-10) ** perRay, 9);
    for (let r = 0; r < 2; r++) expect(got.render.acc[r]).toBeCloseTo(1, 6); // 1 - T_stop + T_stop: absorbed
  });

  it('rejects a segment that would not advance', () => {
    const input = { count: 0 } as ChunkInput;
    for (const segment of [0, -1, 2.5]) expect(() => marchChunk(input, null, { segment })).toThrow(RangeError);
  });

  it('no later sample can pass the threshold once T < stopT (float32 rounding included)', () => {
    for (const N of [2, 440, 1039, 100_000]) {
      const worst = stopTransmittance(1e-4, N) * (1 + 1e-10) ** N; // a_k <= 1, T grows by at most (1 + 1e-10) a sample
      expect(Math.fround(worst)).toBeLessThan(1e-4);
    }
  });

  it('the cpu backend render path is the march', async () => {
    const model = modelFor(CASES[0]);
    const { origins, dirs } = rays(CUBE, 50, new Rng(12));
    const params = hostParamTensors(modelParams(model));
    const input = chunkInput(model, CASES[0].step, origins, dirs, params);
    const path = renderPathFor('cpu');
    path.begin(null);
    const viaPath = await path.renderChunk(input);
    path.release();
    const direct = marchChunk(input, null).render;
    tf.dispose(flatGroups(params));
    expect(viaPath).toEqual(direct);
  });
});
