/**
 * A tiny field (reso 4^3, 2 comps), a tiny MLP decoder, a handful of rays, and a naive per-ray
 * renderer written from DESIGN.md section 4 (test helper for render-batch*.test.ts):
 *   for k < N: t_k = t_min + step k (u = 0); sigma_k = softplus(trilinear(dense grid) - 10) inside
 *   the box, 0 outside; delta = step (0 for k = N-1); alpha = 1 - exp(-25 sigma delta);
 *   T_k = prod_{j<k}(1 - alpha_j + 1e-10); w = alpha T;
 *   where w > 1e-4: features = the 6 products (trilinear of each G_{p,c}) @ basis [6, 27], then the
 *   decoder on that one sample;
 *   rgb = sum w c + (1 - sum w), clamped to [0, 1].
 */
import { groupParams } from '../../../src/core/params';
import { DEFAULT_DECODER_OPTIONS } from '../../../src/core/decoders/defaults';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createDecoder } from '../../../src/core/decoders/decoder';
import { LEGO_BOX, type Vec3, nSamplesEval } from '../../../src/core/field/geometry';
import { appFactors, createField, densityFactors } from '../../../src/core/field/vm';
import { type Model, modelParams, paramTensors } from '../../../src/core/model';
import { Rng } from '../../../src/core/random';
import { renderBatch } from '../../../src/core/render/render-batch';
import { planSamples } from '../../../src/core/render/samples';
import { denseGrids, densityGrid, naiveComposite, naiveRaySamples, normalised, softplus, trilinear } from '../naive';

export function setup() {
  const field = createField({ box: LEGO_BOX, reso: [4, 4, 4], densityComps: 2, appComps: 2, appDim: 27 }, new Rng(7));
  // density features around 10 (products of U(0.3, 2.2) summed over 6 terms lie in [0.5, 29]):
  // long rays turn opaque, so only part of their samples pass the 1e-4 weight threshold, and the
  // rays that clip a corner of the box stay partly transparent
  const rng = new Rng(8);
  for (const p of [...field.densityPlanes, ...field.densityLines])
    for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(0.3, 2.2);
  for (const p of [...field.appPlanes, ...field.appLines]) for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(-1, 1);
  const decoder = createDecoder('mlp', { ...DEFAULT_DECODER_OPTIONS, width: 8 }, new Rng(1));
  const model: Model = { field, decoder };
  // rays from radius 4 towards random points of the box, plus one that misses it
  const origins: number[] = [];
  const dirs: number[] = [];
  for (let r = 0; r < 6; r++) {
    const o = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const lo = Math.hypot(o[0], o[1], o[2]);
    const O = o.map((v) => (4 * v) / lo);
    const target = [rng.uniform(-1.2, 1.2), rng.uniform(-1.2, 1.2), rng.uniform(-1.2, 1.2)];
    const d = target.map((v, a) => v - O[a]);
    const l = Math.hypot(d[0], d[1], d[2]);
    origins.push(...O);
    dirs.push(...d.map((v) => v / l));
  }
  // two rays clipping an edge / a corner of the box (short paths), then one that misses it
  const s2 = Math.SQRT1_2;
  const s3 = 1 / Math.sqrt(3);
  // through (1.45, 1.45, 1.45) along (1, -1, 0) / sqrt2 (about 0.14 inside), and through (1.4, -1.4, 0)
  // along (1, 1, 1) / sqrt3 (about 0.17 inside); origins 4 back
  origins.push(1.45 - 4 * s2, 1.45 + 4 * s2, 1.45, 1.4 - 4 * s3, -1.4 - 4 * s3, -4 * s3, 0, 3, 4);
  dirs.push(s2, -s2, 0, s3, s3, s3, 0, 0, -1);
  return { model, O: Float32Array.from(origins), D: Float32Array.from(dirs), nRays: 9 };
}

export const STEP = 0.1;
export const N = nSamplesEval(LEGO_BOX, STEP); // int(5.196 / 0.1) + 1 = 52

/** rgb of one sample from its 27 features and view direction. */
export type Decode = (feat: number[], dir: Vec3) => ArrayLike<number>;

/** decoder.apply on 1-row tensors with the decoder's current parameters. */
export function applyDecode(model: Model): Decode {
  return (feat, dir) =>
    tf.tidy(() => {
      const ps = model.decoder.params.map((p) => tf.tensor(p.data, p.shape));
      return model.decoder.apply(ps, tf.tensor2d(feat, [1, 27]), tf.tensor2d(dir, [1, 3])).dataSync();
    });
}

export function naiveRender(model: Model, O: Float32Array, D: Float32Array, nRays: number, decode: Decode) {
  const f = model.field;
  const dens = densityGrid(densityFactors(f));
  const app = denseGrids(appFactors(f));
  const basis = f.basis.data; // [6, 27]
  const rgb: number[] = [];
  const weights: number[] = [];
  let decoded = 0;
  let nearThreshold = 0;
  const accs: number[] = [];
  for (let r = 0; r < nRays; r++) {
    const o = Array.from(O.subarray(3 * r, 3 * r + 3)) as Vec3;
    const d = Array.from(D.subarray(3 * r, 3 * r + 3)) as Vec3;
    const samples = naiveRaySamples(o, d, f.box, STEP, N, 2, 6, 0);
    const sigma = samples.map((s) => (s.inBox ? softplus(trilinear(dens, normalised(f.box, s.x)) - 10) : 0));
    const { w } = naiveComposite(
      sigma,
      samples.map((s) => s.delta),
      25,
    );
    let acc = 0;
    const c = [0, 0, 0];
    samples.forEach((s, k) => {
      if (s.inBox) weights.push(w[k]);
      acc += w[k];
      if (Math.abs(w[k] - 1e-4) < 1e-6) nearThreshold++;
      if (!(w[k] > 1e-4)) return;
      decoded++;
      const xn = normalised(f.box, s.x);
      const prods = app.map((g) => trilinear(g, xn));
      const feat = Array.from({ length: 27 }, (_, j) => prods.reduce((sum, v, i) => sum + v * basis[i * 27 + j], 0));
      const out = decode(feat, d);
      for (let ch = 0; ch < 3; ch++) c[ch] += w[k] * out[ch];
    });
    accs.push(acc);
    rgb.push(...c.map((v) => Math.min(1, Math.max(0, v + 1 - acc))));
  }
  return { rgb, weights, decoded, nearThreshold, acc: accs };
}

/** renderBatch on setup() vs naiveRender with the given per-sample decoder; gradients; no leaks. */
export function renderBatchSuite(title: string, decodeFor: (m: Model) => Decode): void {
  describe(title, () => {
    it('rgb, weights and the decoded-sample count (u = 0, white background, clamp)', () => {
      const { model, O, D, nRays } = setup();
      const want = naiveRender(model, O, D, nRays, decodeFor(model));
      expect(want.nearThreshold).toBe(0); // float32 vs float64 cannot flip a sample across 1e-4
      expect(want.decoded).toBeGreaterThan(5);
      expect(want.decoded).toBeLessThan(want.weights.length); // the 1e-4 threshold skips samples
      expect(want.acc.some((a) => a > 0.1 && a < 0.9)).toBe(true); // a partly transparent ray
      const plan = planSamples(O, D, nRays, { box: model.field.box, step: STEP, nSamples: N, near: 2, far: 6, jitter: null, mask: null });
      const tensors = paramTensors(modelParams(model));
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const out = renderBatch(model.field, model.decoder, groupParams(tensors), plan, D, nRays);
        expect(out.rgb.shape).toEqual([nRays, 3]);
        expect(out.decoded).toBe(want.decoded);
        expect(out.weights.length).toBe(want.weights.length);
        for (let s = 0; s < want.weights.length; s++) expect(Math.abs(out.weights[s] - want.weights[s])).toBeLessThan(2e-5);
        const got = out.rgb.dataSync();
        for (let i = 0; i < want.rgb.length; i++) expect(Math.abs(got[i] - want.rgb[i]), `rgb[${i}]`).toBeLessThan(2e-5);
        expect(Array.from(got.subarray(24, 27))).toEqual([1, 1, 1]); // the ray that misses: white
      });
      expect(tf.memory().numTensors).toBe(before);
      tensors.forEach((t) => t.dispose());
    });

    it('gradients through renderBatch leak no tensors and reach every parameter', () => {
      const { model, O, D, nRays } = setup();
      const plan = planSamples(O, D, nRays, { box: model.field.box, step: STEP, nSamples: N, near: 2, far: 6, jitter: null, mask: null });
      const tensors = paramTensors(modelParams(model));
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const { grads } = tf.valueAndGrads(
          (...ts: tf.Tensor[]) => tf.mean(renderBatch(model.field, model.decoder, groupParams(ts), plan, D, nRays).rgb) as tf.Scalar,
        )(tensors);
        grads.forEach((g, i) => {
          expect(g.shape).toEqual(tensors[i].shape);
          const d = g.dataSync();
          expect(d.some((v) => v !== 0)).toBe(true);
          expect(d.every(Number.isFinite)).toBe(true);
        });
      });
      expect(tf.memory().numTensors).toBe(before);
      tensors.forEach((t) => t.dispose());
    });

    it('gradients w.r.t. appearance factors, basis and decoder = central differences', () => {
      // these parameters do not change the weights w, so the loss is smooth in them
      const { model, O, D, nRays } = setup();
      const plan = planSamples(O, D, nRays, { box: model.field.box, step: STEP, nSamples: N, near: 2, far: 6, jitter: null, mask: null });
      const params = modelParams(model);
      const rng = new Rng(99);
      const R = Float32Array.from({ length: nRays * 3 }, () => rng.uniform(-1, 1));
      const loss = (ts: tf.Tensor[]) =>
        tf.sum(
          tf.mul(renderBatch(model.field, model.decoder, groupParams(ts), plan, D, nRays).rgb, tf.tensor2d(R, [nRays, 3])),
        ) as tf.Scalar;
      // the loss in float64 from the float32 rgb
      const L = () =>
        tf.tidy(() => {
          const rgb = renderBatch(model.field, model.decoder, groupParams(paramTensors(params)), plan, D, nRays).rgb.dataSync();
          let l = 0;
          for (let i = 0; i < rgb.length; i++) l += rgb[i] * R[i];
          return l;
        });
      const grads = tf.tidy(() =>
        tf
          .grads((...ts: tf.Tensor[]) => loss(ts))(paramTensors(params))
          .map((g) => g.dataSync().slice()),
      );
      // every appearance plane and line, the basis and every decoder tensor: the entry with the
      // largest gradient (so that float32 noise in the differences stays small beside it)
      const picks = [...params.keys()].filter((pi) => pi >= 6);
      const eps = 3e-3;
      for (const pi of picks) {
        const g = grads[pi];
        let e = 0;
        for (let j = 1; j < g.length; j++) if (Math.abs(g[j]) > Math.abs(g[e])) e = j;
        const d = params[pi].data;
        const old = d[e];
        d[e] = old + eps;
        const lp = L();
        d[e] = old - eps;
        const lm = L();
        d[e] = old;
        const fd = (lp - lm) / (2 * eps);
        expect(Math.abs(g[e]), params[pi].name).toBeGreaterThan(1e-4);
        expect(Math.abs(g[e] - fd), `${params[pi].name}[${e}]: ${g[e]} vs ${fd}`).toBeLessThan(2e-2 * Math.abs(fd) + 2e-5);
      }
    });
  });
}
