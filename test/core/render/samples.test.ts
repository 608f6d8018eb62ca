/**
 * planSamples against TensoRF's sample_ray written as a plain loop (naiveRaySamples in
 * test/core/naive.ts): t_min = box entry clamped to [near, far], t_k = t_min + step (k + u),
 * every one of the N samples kept iff inside the box (inclusive) and inside the alpha mask
 * (trilinear value of the binary grid > 0), delta = step except 0 for k = N-1, coordinates
 * normalised to [-1, 1] over the box.
 */
import { describe, expect, it } from 'vitest';
import type { AlphaMask } from '../../../src/core/field/alpha-mask';
import { type Box, LEGO_BOX, type Vec3 } from '../../../src/core/field/geometry';
import { Rng } from '../../../src/core/random';
import { planSamples, type SampleOptions } from '../../../src/core/render/samples';
import { naiveRaySamples, normalised, trilinearZeroPad } from '../naive';

interface Expected {
  rayStart: number[];
  t: number[];
  coords: number[];
  delta: number[];
  rayOf: number[];
}

function inMask(m: AlphaMask, x: Vec3): boolean {
  const p = [0, 1, 2].map((a) => ((x[a] - m.box.min[a]) / (m.box.max[a] - m.box.min[a])) * (m.reso[a] - 1)) as Vec3;
  return trilinearZeroPad(m.data, m.reso, p) > 0;
}

function naivePlan(origins: Float32Array, dirs: Float32Array, n: number, o: SampleOptions, seed: number | null): Expected {
  const rng = seed === null ? null : new Rng(seed);
  const e: Expected = { rayStart: [0], t: [], coords: [], delta: [], rayOf: [] };
  for (let r = 0; r < n; r++) {
    const u = rng ? rng.next() : 0; // one u per ray, drawn for every ray
    const or = Array.from(origins.subarray(3 * r, 3 * r + 3)) as Vec3;
    const dr = Array.from(dirs.subarray(3 * r, 3 * r + 3)) as Vec3;
    for (const s of naiveRaySamples(or, dr, o.box, o.step, o.nSamples, o.near, o.far, u)) {
      if (!s.inBox || (o.mask && !inMask(o.mask, s.x))) continue;
      e.t.push(s.t);
      e.coords.push(...normalised(o.box, s.x));
      e.delta.push(s.delta);
      e.rayOf.push(r);
    }
    e.rayStart.push(e.t.length);
  }
  return e;
}

function unit(v: number[]): number[] {
  const l = Math.hypot(v[0], v[1], v[2]);
  return v.map((x) => x / l);
}

function check(origins: number[][], dirs: number[][], o: SampleOptions, seed: number | null): Expected {
  const O = Float32Array.from(origins.flat());
  const D = Float32Array.from(dirs.flat());
  const n = origins.length;
  const got = planSamples(O, D, n, { ...o, jitter: seed === null ? null : new Rng(seed) });
  const want = naivePlan(O, D, n, o, seed);
  expect(Array.from(got.rayStart)).toEqual(want.rayStart);
  expect(got.count).toBe(want.t.length);
  expect(Array.from(got.rayOf)).toEqual(want.rayOf);
  expect(Array.from(got.delta)).toEqual(want.delta.map(Math.fround));
  for (let s = 0; s < got.count; s++) {
    expect(Math.abs(got.t[s] - want.t[s])).toBeLessThan(1e-6 * Math.max(1, Math.abs(want.t[s])));
    for (let a = 0; a < 3; a++) expect(Math.abs(got.coords[3 * s + a] - want.coords[3 * s + a])).toBeLessThan(1e-6);
  }
  return want;
}

// step = 3 / 15 * 0.5 = 0.1 (a 16^3 grid); N = 40 covers 4 units, less than the 5.2 box diagonal
const base: SampleOptions = { box: LEGO_BOX, step: 0.1, nSamples: 40, near: 2, far: 6, jitter: null, mask: null };

const rays: { name: string; o: number[]; d: number[] }[] = [
  { name: 'slanted through the box', o: [0.3, -4, 0.7], d: unit([-0.1, 1, -0.2]) },
  { name: 'missing the box', o: [0, 3, 4], d: [0, 0, -1] },
  { name: 'along -z, zero x and y components', o: [0.3, -0.2, 4], d: [0, 0, -1] },
  { name: 'entry before near (clamped to near)', o: [0, 0.4, 2.5], d: [0, 0, -1] },
  { name: 'entry after far (clamped to far)', o: [0.1, 0, 8], d: [0, 0, -1] },
  { name: 'diagonal, cut off by N inside the box', o: [-3, -3, -3], d: unit([1, 1, 1]) },
  { name: 'slanted, missing', o: [-4, 2, 0], d: unit([1, 1, 0]) },
];

describe('planSamples vs a naive loop', () => {
  for (const ray of rays) {
    it(`${ray.name} (u = 0)`, () => {
      check([ray.o], [ray.d], base, null);
    });
  }

  it('hand values: along -z from (0.3, -0.2, 4), step 0.1', () => {
    // entry t = 2.5 (z = 1.5), exit 5.5; t_k = 2.5 + 0.1 k, z = 1.5 - 0.1 k, in the box for k <= 30
    // (31 samples, z = 1.5 .. -1.5); normalised x = 0.3 / 1.5 = 0.2, y = -0.2 / 1.5
    const got = planSamples(Float32Array.from([0.3, -0.2, 4]), Float32Array.from([0, 0, -1]), 1, base);
    expect(got.count).toBe(31);
    expect(got.t[0]).toBeCloseTo(2.5, 6);
    expect(got.t[30]).toBeCloseTo(5.5, 5);
    expect(got.coords[0]).toBeCloseTo(0.2, 6);
    expect(got.coords[1]).toBeCloseTo(-0.2 / 1.5, 6);
    expect(got.coords[2]).toBeCloseTo(1, 6);
    expect(got.coords[3 * 10 + 2]).toBeCloseTo(1 / 3, 5); // z = 0.5
    expect(got.delta.every((d) => Math.abs(d - 0.1) < 1e-7)).toBe(true);
  });

  it('hand values: entry before near starts at near (z = 2.5 - 2 = 0.5)', () => {
    const got = planSamples(Float32Array.from([0, 0.4, 2.5]), Float32Array.from([0, 0, -1]), 1, base);
    expect(got.t[0]).toBeCloseTo(2, 6);
    expect(got.coords[2]).toBeCloseTo(0.5 / 1.5, 6);
    expect(got.count).toBe(21); // z = 0.5 .. -1.5 in steps of 0.1
  });

  it('the last sample index (k = N-1) inside the box has delta 0', () => {
    const w = check([rays[5].o], [rays[5].d], base, null);
    expect(w.delta[w.delta.length - 1]).toBe(0);
    expect(w.delta.slice(0, -1).every((d) => d === 0.1)).toBe(true);
  });

  it('all rays together, with jitter (one u per ray, drawn for missing rays too)', () => {
    check(
      rays.map((r) => r.o),
      rays.map((r) => r.d),
      base,
      12345,
    );
  });

  it('random rays into a non-cubic, off-centre box, with jitter', () => {
    const box: Box = { min: [-1, -0.5, 0], max: [1, 1.5, 0.8] };
    const rng = new Rng(77);
    const o: number[][] = [];
    const d: number[][] = [];
    for (let i = 0; i < 30; i++) {
      o.push([rng.uniform(-4, 4), rng.uniform(-4, 4), rng.uniform(2, 4)]);
      const target = [rng.uniform(-1.2, 1.2), rng.uniform(-0.7, 1.7), rng.uniform(-0.2, 1)];
      d.push(unit([0, 1, 2].map((a) => target[a] - o[i][a])));
    }
    const w = check(o, d, { ...base, box, step: 0.03, nSamples: 200, near: 0.5, far: 10 }, 99);
    expect(w.t.length).toBeGreaterThan(100);
  });

  it('alpha mask: samples where the trilinear mask value is 0 are dropped', () => {
    const rng = new Rng(5);
    const reso: Vec3 = [5, 4, 6];
    const data = Uint8Array.from({ length: 5 * 4 * 6 }, () => (rng.next() < 0.15 ? 1 : 0));
    const mask: AlphaMask = { box: LEGO_BOX, reso, data };
    const o: number[][] = [];
    const d: number[][] = [];
    for (let i = 0; i < 20; i++) {
      o.push([rng.uniform(-3, 3), rng.uniform(-3, 3), 4]);
      d.push(unit([rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), -1]));
    }
    const opts = { ...base, mask, nSamples: 80 };
    const withMask = check(o, d, opts, 3);
    const without = check(o, d, base, 3);
    expect(withMask.t.length).toBeGreaterThan(0);
    expect(withMask.t.length).toBeLessThan(without.t.length);
  });

  it('a jittered ray: t_k = t_min + step (k + u)', () => {
    const u = new Rng(8).next();
    const got = planSamples(Float32Array.from([0.3, -0.2, 4]), Float32Array.from([0, 0, -1]), 1, { ...base, jitter: new Rng(8) });
    expect(got.t[0]).toBeCloseTo(2.5 + 0.1 * u, 6);
    expect(got.t[1]).toBeCloseTo(2.5 + 0.1 * (1 + u), 6);
    expect(got.count).toBe(30); // z = 1.5 - 0.1 (k + u) >= -1.5 for k <= 29
  });
});
