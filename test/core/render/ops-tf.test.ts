/**
 * The plain-tf-ops implementations (ops-tf.ts) against the hand-written JS kernels, forward and
 * gradients, on the cpu backend: vmSampleTf vs vmForward / vmBackward, compositeWeightsTf and
 * accumulateTf (dense [R, N]) vs weightsForward / weightsBackward / accumulateForward /
 * accumulateBackward on the same samples packed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Vec3 } from '../../../src/core/field/geometry';
import { lineShape, planeShape, vmBackward, vmForward, type VMMode } from '../../../src/core/field/vm-kernels';
import { accumulateBackward, accumulateForward, type Packing, weightsBackward, weightsForward } from '../../../src/core/render/composite';
import { accumulateTf, compositeWeightsTf, decodeMaskTf, vmSampleTf } from '../../../src/core/render/ops-tf';
import { Rng } from '../../../src/core/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** max |a - b| over max |b| (error relative to the scale of the reference). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

const RESO: Vec3 = [5, 6, 7];
const C = 3;
const S = 50;

/** 50 points in [-1, 1]^3: the 8 corners, points on each face (+-1), texel centres, random. */
function testCoords(rng: Rng): Float32Array {
  const c = new Float32Array(3 * S);
  let s = 0;
  for (let k = 0; k < 8; k++, s++) for (let a = 0; a < 3; a++) c[3 * s + a] = (k >> a) & 1 ? 1 : -1;
  for (let a = 0; a < 3; a++) {
    for (const v of [-1, 1]) {
      for (let b = 0; b < 3; b++) c[3 * s + b] = rng.uniform(-1, 1);
      c[3 * s + a] = v;
      s++;
    }
  }
  // exactly on texel boundaries (pixel = integer) of each axis
  for (let k = 0; k < 4; k++, s++) for (let a = 0; a < 3; a++) c[3 * s + a] = -1 + (2 * ((k + a) % RESO[a])) / (RESO[a] - 1);
  for (; s < S; s++) for (let a = 0; a < 3; a++) c[3 * s + a] = rng.uniform(-1, 1);
  return c;
}

describe('vmSampleTf matches the JS kernels', () => {
  for (const mode of ['sum', 'products'] as VMMode[]) {
    it(`${mode}: forward and gradients w.r.t. planes and lines`, () => {
      const rng = new Rng(11);
      const planes = [0, 1, 2].map((p) =>
        randn(
          rng,
          planeShape(RESO, p, C).reduce((x, y) => x * y),
        ),
      );
      const lines = [0, 1, 2].map((p) =>
        randn(
          rng,
          lineShape(RESO, p, C).reduce((x, y) => x * y),
        ),
      );
      const coords = testCoords(rng);
      const factors = { planes, lines, comps: C, reso: RESO };

      const ref = vmForward(factors, coords, S, mode);
      const dOut = randn(rng, ref.length);
      const gRef = vmBackward(factors, coords, S, mode, dOut);

      const before = tf.memory().numTensors;
      const pT = planes.map((d, p) => tf.tensor3d(d, planeShape(RESO, p, C)));
      const lT = lines.map((d, p) => tf.tensor2d(d, lineShape(RESO, p, C)));
      const cT = tf.tensor2d(coords, [S, 3]);
      const dT = tf.tensor(dOut, mode === 'sum' ? [S] : [S, 3 * C]);
      const out = vmSampleTf(pT, lT, cT, mode);
      expect(out.shape).toEqual(mode === 'sum' ? [S] : [S, 3 * C]);
      const fwdErr = relErr(out.dataSync(), ref);
      const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(vmSampleTf(xs.slice(0, 3), xs.slice(3, 6), cT, mode), dT)))([
        ...pT,
        ...lT,
      ]);
      const gErr = [
        ...grads.slice(0, 3).map((g, p) => relErr(g.dataSync(), gRef.planes[p])),
        ...grads.slice(3, 6).map((g, p) => relErr(g.dataSync(), gRef.lines[p])),
      ];
      console.log(
        `vmSampleTf ${mode}: forward rel err ${fwdErr.toExponential(2)}, gradient rel err max ${Math.max(...gErr).toExponential(2)}`,
      );
      expect(fwdErr).toBeLessThan(1e-5);
      for (const e of gErr) expect(e).toBeLessThan(1e-5);

      tf.dispose([out, ...grads, ...pT, ...lT, cT, dT]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('gives the texel values exactly at the grid corners', () => {
    const rng = new Rng(2);
    const planes = [0, 1, 2].map((p) =>
      tf.tensor3d(
        randn(
          rng,
          planeShape(RESO, p, C).reduce((x, y) => x * y),
        ),
        planeShape(RESO, p, C),
      ),
    );
    const lines = [0, 1, 2].map((p) =>
      tf.tensor2d(
        randn(
          rng,
          lineShape(RESO, p, C).reduce((x, y) => x * y),
        ),
        lineShape(RESO, p, C),
      ),
    );
    // (x, y, z) = (+1, -1, +1): plane 0 (XY) texel (y=0, x=W-1), line 0 (Z) texel L-1, ...
    const out = vmSampleTf(planes, lines, tf.tensor2d([1, -1, 1], [1, 3]), 'products').dataSync();
    const p0 = planes[0].arraySync() as number[][][];
    const l0 = lines[0].arraySync() as number[][];
    for (let c = 0; c < C; c++) expect(out[c]).toBeCloseTo(p0[0][RESO[0] - 1][c] * l0[RESO[2] - 1][c], 5);
  });
});

/** A dense [R, N] grid with some samples missing (sigma 0) and its packing of the rest. */
function compositingCase(seed: number) {
  const rng = new Rng(seed);
  const R = 7;
  const N = 12;
  const sigma = new Float32Array(R * N);
  const delta = new Float32Array(R * N);
  const present: number[] = [];
  for (let r = 0; r < R; r++) {
    for (let k = 0; k < N; k++) {
      const i = r * N + k;
      delta[i] = k === N - 1 ? 0 : rng.uniform(0.005, 0.02);
      // ray 0 empty, ray 1 fully present, the others with holes; sigma spans 1e-4 .. 50 so some
      // rays saturate (alpha -> 1) and some stay nearly transparent
      const keep = r === 1 || (r > 0 && rng.next() < 0.7);
      if (!keep) continue;
      sigma[i] = Math.exp(rng.uniform(-9, r === 2 ? 6 : 4));
      present.push(i);
    }
  }
  const rayStart = new Int32Array(R + 1);
  const rayOf = new Int32Array(present.length);
  const pDelta = new Float32Array(present.length);
  const pSigma = new Float32Array(present.length);
  present.forEach((i, s) => {
    rayOf[s] = Math.floor(i / N);
    rayStart[rayOf[s] + 1]++;
    pDelta[s] = delta[i];
    pSigma[s] = sigma[i];
  });
  for (let r = 0; r < R; r++) rayStart[r + 1] += rayStart[r];
  const pk: Packing = { rayStart, delta: pDelta };
  const pick = (dense: ArrayLike<number>) => Float32Array.from(present, (i) => dense[i]);
  return { rng, R, N, sigma, delta, present, pk, rayOf, pSigma, pick };
}

const SCALE = 25;
const THRESHOLD = 1e-4;

describe('compositeWeightsTf and accumulateTf match the packed JS compositing', () => {
  it('weights: forward and d/dsigma', () => {
    const { rng, R, N, sigma, delta, pk, pSigma, pick, present } = compositingCase(5);
    const ref = weightsForward(pSigma, pk, SCALE);
    const G = randn(rng, R * N);
    const gRef = weightsBackward(pSigma, pk, SCALE, pick(G));

    const sT = tf.tensor2d(sigma, [R, N]);
    const dT = tf.tensor2d(delta, [R, N]);
    const GT = tf.tensor2d(G, [R, N]);
    const w = compositeWeightsTf(sT, dT, SCALE).dataSync();
    const fwdErr = relErr(pick(w), ref);
    // element by element too, down to the tiny weights behind saturated samples and the nearly
    // transparent ones (alpha is -expm1(-x) in ops-tf, so small alphas keep their digits)
    const wp = pick(w);
    let elemErr = 0;
    for (let s = 0; s < ref.length; s++) if (ref[s] > 1e-30) elemErr = Math.max(elemErr, Math.abs(wp[s] - ref[s]) / ref[s]);
    expect(elemErr).toBeLessThan(2e-5);
    // missing samples (sigma 0) get weight exactly 0
    for (let i = 0; i < R * N; i++) if (!present.includes(i)) expect(w[i]).toBe(0);
    const [g] = tf.grads((s: tf.Tensor) => tf.sum(tf.mul(compositeWeightsTf(s as tf.Tensor2D, dT, SCALE), GT)))([sT]);
    const gErr = relErr(pick(g.dataSync()), gRef);
    console.log(
      `compositeWeightsTf: forward rel err ${fwdErr.toExponential(2)} (per element ${elemErr.toExponential(2)}), d/dsigma rel err ${gErr.toExponential(2)}`,
    );
    expect(fwdErr).toBeLessThan(1e-5);
    expect(gErr).toBeLessThan(1e-5);
    // some of the case is saturated and some transparent
    expect(Math.max(...ref)).toBeGreaterThan(0.5);
    expect(ref.some((x) => x > 0 && x < THRESHOLD)).toBe(true);
    tf.dispose([sT, dT, GT, g]);
  });

  it('accumulate: forward and gradients w.r.t. w and rgb', () => {
    const { rng, R, N, pk, rayOf, pSigma, pick, present } = compositingCase(6);
    const wPacked = weightsForward(pSigma, pk, SCALE);
    const wDense = new Float32Array(R * N);
    present.forEach((i, s) => (wDense[i] = wPacked[s]));
    const maskDense = Float32Array.from(wDense, (x) => (x > THRESHOLD ? 1 : 0));
    const rgbDense = Float32Array.from({ length: R * N * 3 }, () => rng.next());
    const idx = Int32Array.from(present.flatMap((i, s) => (wDense[i] > THRESHOLD ? [s] : [])));
    const rgbPacked = new Float32Array(idx.length * 3);
    idx.forEach((s, a) => rgbPacked.set(rgbDense.subarray(3 * present[s], 3 * present[s] + 3), 3 * a));
    expect(idx.length).toBeGreaterThan(3);
    expect(idx.length).toBeLessThan(present.length);

    const ref = accumulateForward(wPacked, rgbPacked, idx, rayOf, R);
    const dOut = randn(rng, R * 3);
    const gRef = accumulateBackward(wPacked, rgbPacked, idx, rayOf, dOut);

    const wT = tf.tensor2d(wDense, [R, N]);
    const rT = tf.tensor3d(rgbDense, [R, N, 3]);
    const mT = tf.tensor2d(maskDense, [R, N]);
    const dT = tf.tensor2d(dOut, [R, 3]);
    const out = accumulateTf(wT, rT, mT);
    expect(out.shape).toEqual([R, 3]);
    const fwdErr = relErr(out.dataSync(), ref);
    const [gW, gRgb] = tf.grads((w: tf.Tensor, rgb: tf.Tensor) =>
      tf.sum(tf.mul(accumulateTf(w as tf.Tensor2D, rgb as tf.Tensor3D, mT), dT)),
    )([wT, rT]);
    const gWErr = relErr(pick(gW.dataSync()), gRef.dW);
    const gRgbDense = gRgb.dataSync();
    const gRgbPacked = new Float32Array(idx.length * 3);
    idx.forEach((s, a) => gRgbPacked.set(gRgbDense.subarray(3 * present[s], 3 * present[s] + 3), 3 * a));
    const gRgbErr = relErr(gRgbPacked, gRef.dRgb);
    // undecoded samples get no colour gradient
    let outside = 0;
    for (let i = 0; i < R * N; i++)
      if (maskDense[i] === 0)
        outside = Math.max(outside, Math.abs(gRgbDense[3 * i]), Math.abs(gRgbDense[3 * i + 1]), Math.abs(gRgbDense[3 * i + 2]));
    console.log(
      `accumulateTf: forward rel err ${fwdErr.toExponential(2)}, d/dw ${gWErr.toExponential(2)}, d/drgb ${gRgbErr.toExponential(2)}`,
    );
    expect(outside).toBe(0);
    expect(fwdErr).toBeLessThan(1e-5);
    expect(gWErr).toBeLessThan(1e-5);
    expect(gRgbErr).toBeLessThan(1e-5);
    tf.dispose([wT, rT, mT, dT, out, gW, gRgb]);
  });

  it('sigma -> weights -> decode mask -> accumulate: d/dsigma matches the JS chain', () => {
    const { rng, R, N, sigma, delta, pk, rayOf, pSigma, pick, present } = compositingCase(7);
    const wPacked = weightsForward(pSigma, pk, SCALE);
    const idx = Int32Array.from(Array.from(wPacked.keys()).filter((s) => wPacked[s] > THRESHOLD));
    const rgbDense = Float32Array.from({ length: R * N * 3 }, () => rng.next());
    const rgbPacked = new Float32Array(idx.length * 3);
    idx.forEach((s, a) => rgbPacked.set(rgbDense.subarray(3 * present[s], 3 * present[s] + 3), 3 * a));
    const dOut = randn(rng, R * 3);
    const ref = accumulateForward(wPacked, rgbPacked, idx, rayOf, R);
    const gRef = weightsBackward(pSigma, pk, SCALE, accumulateBackward(wPacked, rgbPacked, idx, rayOf, dOut).dW);

    const sT = tf.tensor2d(sigma, [R, N]);
    const dT = tf.tensor2d(delta, [R, N]);
    const rT = tf.tensor3d(rgbDense, [R, N, 3]);
    const oT = tf.tensor2d(dOut, [R, 3]);
    const render = (s: tf.Tensor) => {
      const w = compositeWeightsTf(s as tf.Tensor2D, dT, SCALE);
      return accumulateTf(w, rT, decodeMaskTf(w, THRESHOLD));
    };
    const fwdErr = relErr(render(sT).dataSync(), ref);
    const [g] = tf.grads((s: tf.Tensor) => tf.sum(tf.mul(render(s), oT)))([sT]);
    const gErr = relErr(pick(g.dataSync()), gRef);
    console.log(`sigma -> rgb: forward rel err ${fwdErr.toExponential(2)}, d/dsigma rel err ${gErr.toExponential(2)}`);
    expect(fwdErr).toBeLessThan(1e-5);
    expect(gErr).toBeLessThan(1e-5);
  });
});
