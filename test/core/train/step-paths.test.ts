/**
 * The two training paths agree (cpu backend): HostPath (host kernels: packed samples placed on
 * the host, the hand-written VM / compositing kernels, the fused decoder, Adam on the arrays) and
 * DevicePath (plain tf ops: samples placed on the device in dense [rays, samples] slots,
 * decoder.apply, Adam in tf ops on variables), started from identical models and optimizer
 * states on the same batch and the same jitter stream, give the same loss and MSE (1e-5
 * relative), the same first Adam moments (= 0.1 * gradient; 1e-4 of each tensor's largest) and,
 * after one Adam step, the same parameters (1e-4 relative, where the gradient is not below 1e-6;
 * see below), for every decoder.
 *
 * The density planes and lines are shifted by +1.2 so that the field is dense enough (sigma about
 * softplus(6 * 1.44 - 10) = 0.22, alpha about 0.65 per step) for rays to turn opaque: part of the
 * samples pass w > 1e-4 and reach the decoder, part do not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { resolveConfig, type DecoderName } from '../../../src/core/config';
import { LEGO_BOX, NEAR_FAR, nSamplesTrain, stepSize } from '../../../src/core/field/geometry';
import { hostKernelsActive } from '../../../src/core/kernels/register';
import { createModel, modelParams, type Model } from '../../../src/core/model';
import { Rng } from '../../../src/core/random';
import { planSamples } from '../../../src/core/render/samples';
import { createAdam } from '../../../src/core/train/adam';
import { DevicePath } from '../../../src/core/train/device-path';
import { HostPath } from '../../../src/core/train/host-path';
import { TF_FIELD_OPS } from '../../../src/core/render/field-ops';
import { decodeChunkRows } from '../../../src/core/render/device-render';
import { randomPool } from './synthetic';

const L1 = 8e-5;

function build(decoder: DecoderName): Model {
  const cfg = resolveConfig({ preset: 'smoke', backend: 'cpu', decoder, gridStart: 8, gridEnd: 8, densityComps: 2, appComps: 3, seed: 7 });
  const model = createModel(cfg, LEGO_BOX, new Rng(cfg.seed));
  for (const p of [...model.field.densityPlanes, ...model.field.densityLines]) for (let i = 0; i < p.data.length; i++) p.data[i] += 1.2;
  return model;
}

/** Bytes of one row of the colour path as decodeChunkRows counts it. */
const decodeChunkRowBytes = (m: Model) => 4 * Math.max(256, m.decoder.width);

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Largest |a - b| over the entries, and where. */
function maxDiff(a: Float32Array, b: Float32Array): { d: number; at: number } {
  let d = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i] - b[i]);
    if (!(x <= d)) {
      d = x;
      at = i;
    }
  }
  return { d, at };
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('HostPath (host kernels) = DevicePath (plain tf ops) on cpu', () => {
  for (const decoder of ['mlp', 'siren', 'splitnet'] as const) {
    it(`${decoder}: same loss, gradients (Adam moments) and parameters after one step`, async () => {
      expect(hostKernelsActive()).toBe(true);
      const a = build(decoder);
      const b = build(decoder);
      const pa = modelParams(a);
      const pb = modelParams(b);
      pa.forEach((p, i) => expect(p.data).toEqual(pb[i].data));
      const lr = { factors: 0.02, network: 1e-3 };
      const adamA = createAdam(pa, lr);
      const adamB = createAdam(pb, lr);
      const batch = randomPool(48, 21);
      const f = a.field;
      const plan = planSamples(batch.origins, batch.dirs, batch.count, {
        box: f.box,
        step: stepSize(f.box, f.reso, 0.5),
        nSamples: nSamplesTrain(f.reso, 0.5),
        near: NEAR_FAR[0],
        far: NEAR_FAR[1],
        jitter: null,
        mask: null,
      });
      expect(plan.count).toBeGreaterThan(batch.count);

      const input = (model: Model, adam: typeof adamA, seed: number) => ({
        model,
        adam,
        pool: batch,
        indices: Uint32Array.from({ length: batch.count }, (_, i) => i),
        rng: new Rng(seed),
        nSamples: nSamplesTrain(f.reso, 0.5),
        stepSize: stepSize(f.box, f.reso, 0.5),
        mask: null,
        l1Weight: L1,
      });
      const host = await new HostPath().step(input(a, adamA, 31));
      const devicePath = new DevicePath(TF_FIELD_OPS);
      const dense = await devicePath.step(input(b, adamB, 31));
      await devicePath.syncToHost(b, adamB);
      devicePath.dispose();
      // The same step with the decoded samples cut into chunks of 7 rows (as a device whose
      // buffers bind at most 7 rows of the colour path would): the same numbers.
      const c = build(decoder);
      const adamC = createAdam(modelParams(c), lr);
      const chunkedOps = { ...TF_FIELD_OPS, maxBufferBytes: () => decodeChunkRowBytes(c) * 7 };
      expect(decodeChunkRows(chunkedOps, c.decoder)).toBe(7);
      const chunkedPath = new DevicePath(chunkedOps);
      const chunked = await chunkedPath.step(input(c, adamC, 31));
      await chunkedPath.syncToHost(c, adamC);
      chunkedPath.dispose();
      expect(chunked.decoded).toBe(dense.decoded);
      expect(chunked.decoded).toBeGreaterThan(3 * 7);
      expect(Math.abs(chunked.loss - dense.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(dense.loss));
      adamB.m.forEach((m, i) =>
        expect(maxDiff(m, adamC.m[i]).d, `chunked: ${pb[i].name}`).toBeLessThanOrEqual(1e-6 * Math.max(maxAbs(m), 1e-12)),
      );
      expect(dense.samples).toBe(host.samples);
      // the weight threshold matters: some samples decoded, not all
      expect(host.decoded).toBeGreaterThan(batch.count / 2);
      expect(host.decoded).toBeLessThan(host.samples);
      expect(dense.decoded).toBe(host.decoded);
      expect(Math.abs(host.loss - dense.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(host.loss));
      expect(Math.abs(host.mse - dense.mse)).toBeLessThanOrEqual(1e-5 * Math.abs(host.mse));
      expect(host.loss).toBeGreaterThan(host.mse); // the L1 term is in

      const problems: string[] = [];
      pa.forEach((p, i) => {
        // first moments after one step: 0.1 * gradient
        const mA = adamA.m[i];
        const mB = adamB.m[i];
        const scale = maxAbs(mA);
        if (!(scale > 0)) problems.push(`${p.name}: zero gradient`);
        const gm = maxDiff(mA, mB);
        if (gm.d > 1e-4 * scale)
          problems.push(`${p.name}: gradient[${gm.at}] ${mA[gm.at] * 10} vs ${mB[gm.at] * 10} (largest ${scale * 10})`);
        // Adam's first step moves each entry by lr * g / (|g| + 1e-8): about +-lr wherever
        // |g| >> 1e-8, but ill-conditioned where |g| is near 1e-8, which float32 rounding noise
        // (1e-6 of the largest gradient) can reach. Parameters are compared where |g| >= 1e-6.
        let worst = 0;
        let at = -1;
        for (let j = 0; j < p.data.length; j++) {
          if (Math.min(Math.abs(mA[j]), Math.abs(mB[j])) < 1e-7) continue;
          const d = Math.abs(p.data[j] - pb[i].data[j]);
          if (d > worst) [worst, at] = [d, j];
        }
        if (worst > 1e-4 * Math.max(maxAbs(p.data), 1e-3)) problems.push(`${p.name}: value[${at}] ${p.data[at]} vs ${pb[i].data[at]}`);
        // and everywhere, no entry moved differently by more than lr (a sign flip would be 2 lr)
        const any = maxDiff(p.data, pb[i].data);
        if (any.d > adamA.lr[p.group]) problems.push(`${p.name}: value[${any.at}] ${p.data[any.at]} vs ${pb[i].data[any.at]}`);
      });
      expect(problems).toEqual([]);
      expect(adamA.step).toBe(1);
      expect(adamB.step).toBe(1);
    });
  }
});
