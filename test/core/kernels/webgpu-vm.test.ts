/**
 * The fused WebGPU VM sampling (kernels/webgpu-vm.ts vmSampleWebgpu) against vmSampleTf on cpu and
 * on webgpu and against a float64 naive reference written here: values and gradients (tf.grads of
 * sum(out * dy) with a random dy), both modes, with and without a valid mask, for several shapes
 * in a row (tfjs caches each program by its shader key, so a size written into a source would be
 * wrong for the next shape; a watch on the program cache checks that no key had two sources).
 * Coords include the 8 corners, faces, texel boundaries and points outside [-1, 1] (clamped).
 * Also: a finite-difference check, the fixed-point scatter (wgsl/vm-sample.ts header): its error
 * bound per entry, exact integer sums, carries, the ends of its scale range; determinism, padding
 * (valid = 0) with huge dy, and no leaks.
 * Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/backend';
import { VEC_MODE, type Vec3 } from '../../../src/core/field/geometry';
import { vmSampleWebgpu } from '../../../src/core/kernels/webgpu-vm';
import { Rng } from '../../../src/core/random';
import { vmSampleTf } from '../../../src/core/render/ops-tf';
import { requireWebgpu, startWebgpu, stopWebgpu, type WebgpuSession } from '../webgpu-session';
import { watchShaderKeys, type ShaderKeyWatch } from './shader-key-watch';
import { naive, planeHW, type Data, type Mode } from './vm-naive';

/** S coords: corners, faces, texel boundaries, outside [-1, 1], then random. */
function makeCoords(rng: Rng, reso: Vec3, S: number): Float32Array {
  const c = new Float32Array(3 * S);
  for (let s = 0; s < S; s++) {
    const kind = s % 5;
    for (let a = 0; a < 3; a++) {
      let x: number;
      if (kind === 0)
        x = ((s >> 3) + a) & 1 ? 1 : -1; // corners
      else if (kind === 1)
        x = a === s % 3 ? (s & 8 ? 1 : -1) : rng.uniform(-1, 1); // faces
      else if (kind === 2)
        x = -1 + (2 * Math.floor(rng.uniform(0, reso[a]))) / (reso[a] - 1); // texel boundaries
      else if (kind === 3)
        x = rng.uniform(-1.4, 1.4); // partly outside (clamped)
      else x = rng.uniform(-1, 1);
      c[3 * s + a] = x;
    }
  }
  return c;
}

function makeData(seed: number, reso: Vec3, C: number, S: number, withValid: boolean): Data {
  const rng = new Rng(seed);
  const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return {
    reso,
    C,
    S,
    planes: [0, 1, 2].map((p) => randn(planeHW(reso, p)[0] * planeHW(reso, p)[1] * C)),
    lines: [0, 1, 2].map((p) => randn(reso[VEC_MODE[p]] * C)),
    coords: makeCoords(rng, reso, S),
    valid: withValid ? Float32Array.from({ length: S }, (_, s) => (s % 4 === 1 || s % 7 === 3 ? 0 : 1)) : undefined,
  };
}

/** dy with a huge value where valid = 0 (must cost nothing, and must not coarsen the scale). */
function makeDy(seed: number, d: Data, mode: Mode): Float32Array {
  const rng = new Rng(seed);
  const cols = mode === 'sum' ? 1 : 3 * d.C;
  return Float32Array.from({ length: d.S * cols }, (_, i) => (d.valid && d.valid[Math.floor(i / cols)] === 0 ? 1e6 : rng.normal()));
}

type Sampler = (planes: tf.Tensor[], lines: tf.Tensor[], coords: tf.Tensor2D, mode: Mode, valid?: tf.Tensor1D) => tf.Tensor;

/** [value, grad plane0..2, grad line0..2] of sum(f(...) * dy) on the active backend. */
async function evaluate(f: Sampler, d: Data, mode: Mode, dy: Float32Array): Promise<Float32Array[]> {
  const outs = tf.tidy(() => {
    const planes = d.planes.map((x, p) => tf.tensor3d(x, [...planeHW(d.reso, p), d.C]));
    const lines = d.lines.map((x, p) => tf.tensor2d(x, [d.reso[VEC_MODE[p]], d.C]));
    const coords = tf.tensor2d(d.coords, [d.S, 3]);
    const valid = d.valid ? tf.tensor1d(d.valid) : undefined;
    const dyT = tf.tensor(dy, mode === 'sum' ? [d.S] : [d.S, 3 * d.C]);
    const y = f(planes, lines, coords, mode, valid);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(xs.slice(0, 3), xs.slice(3), coords, mode, valid), dyT)))([
      ...planes,
      ...lines,
    ]);
    return [y, ...grads];
  });
  const values = await Promise.all(outs.map(async (t) => Float32Array.from((await t.data()) as Float32Array)));
  tf.dispose(outs);
  return values;
}

/** max |a - b| / max |b| */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

const REL_TOL = 2e-6;

interface Case {
  reso: Vec3;
  C: number;
  S: number;
  valid: boolean;
  /** also run vmSampleTf on cpu (its gather gradient is slow there for large cases) */
  cpu: boolean;
}
const CASES: Case[] = [
  { reso: [5, 6, 7], C: 3, S: 50, valid: true, cpu: true },
  { reso: [2, 2, 2], C: 1, S: 9, valid: false, cpu: true },
  { reso: [9, 4, 13], C: 16, S: 300, valid: false, cpu: true },
  { reso: [9, 7, 6], C: 48, S: 200, valid: true, cpu: true },
  { reso: [17, 11, 8], C: 48, S: 3000, valid: false, cpu: false },
  { reso: [3, 30, 8], C: 5, S: 1, valid: true, cpu: true },
  { reso: [6, 6, 6], C: 4, S: 257, valid: true, cpu: true },
  // Heavy contention (every texel hit by ~10^5 samples), and more than 65535 workgroups of 64
  // threads, which tfjs spreads over two dispatch dimensions.
  { reso: [4, 3, 5], C: 1, S: 4_300_000, valid: true, cpu: false },
];
const MODES: Mode[] = ['sum', 'products'];
const caseName = (c: Case, mode: Mode) => `${mode} reso ${c.reso.join('x')} C ${c.C} S ${c.S}${c.valid ? ' valid' : ''}`;

/** The f32 bits of x as an integer exponent: x < 2^mExp (kernel's fixedExponent). */
function mExpOf(x: number): number {
  const u = new Uint32Array(Float32Array.of(x).buffer)[0];
  return ((u >>> 23) & 0xff) - 126;
}
/** Exponent e of the fixed-point scale 2^e for contribution bound M (kernel's fixedExponent). */
const fixedExponent = (M: number) => Math.min(126, Math.max(-126, 32 - mExpOf(M)));
/** Quantum 2^-e of the fixed-point scatter for contribution bound M. */
const quantum = (M: number) => 2 ** -fixedExponent(M);
/** WGSL round(): to the nearest integer, halfway cases to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

describe('vmSampleWebgpu', () => {
  let gpu: WebgpuSession;
  let watch: ShaderKeyWatch | undefined;
  const cpuRef = new Map<string, Float32Array[]>();
  const data = new Map<string, { d: Data; dy: Float32Array }>();

  beforeAll(async () => {
    await initBackend('cpu');
    let seed = 1;
    for (const c of CASES) {
      for (const mode of MODES) {
        const d = makeData(seed++, c.reso, c.C, c.S, c.valid);
        const dy = makeDy(seed++, d, mode);
        data.set(caseName(c, mode), { d, dy });
        if (c.cpu) cpuRef.set(caseName(c, mode), await evaluate(vmSampleTf, d, mode, dy));
      }
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

  it('agrees with the float64 reference and with vmSampleTf on cpu and webgpu, several shapes in a row', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const problems: string[] = [];
    let worst = 0;
    const compare = (what: string, got: Float32Array[], want: ArrayLike<number>[]) =>
      got.forEach((g, i) => {
        const e = relErr(g, want[i]);
        worst = Math.max(worst, e);
        if (!(e <= REL_TOL)) problems.push(`${what}: ${i === 0 ? 'value' : `gradient ${i - 1}`} rel err ${e.toExponential(2)}`);
      });
    for (const c of CASES) {
      for (const mode of MODES) {
        const name = caseName(c, mode);
        const { d, dy } = data.get(name)!;
        const ref = naive(d, mode, dy);
        const want = [ref.out, ...ref.grads];
        const got = await evaluate(vmSampleWebgpu, d, mode, dy);
        compare(`${name} webgpu kernel vs float64`, got, want);
        if (c.cpu) {
          compare(`${name} vmSampleTf cpu vs float64`, cpuRef.get(name)!, want);
          compare(`${name} vmSampleTf webgpu vs float64`, await evaluate(vmSampleTf, d, mode, dy), want);
          compare(`${name} webgpu kernel vs vmSampleTf cpu`, got, cpuRef.get(name)!);
        }
        // Padding: the output is 0 where valid = 0.
        if (d.valid) {
          const cols = mode === 'sum' ? 1 : 3 * d.C;
          for (let i = 0; i < got[0].length; i++)
            if (d.valid[Math.floor(i / cols)] === 0 && got[0][i] !== 0) problems.push(`${name}: output ${i} is not 0 at valid = 0`);
        }
      }
    }
    console.log(`${CASES.length * MODES.length} cases, largest rel err ${worst.toExponential(2)}`);
    expect(problems).toEqual([]);
  });

  it('gradients match finite differences (with tfjs CPU forwarding of small tensors on, the default)', async (ctx) => {
    requireWebgpu(gpu, ctx);
    tf.env().set('WEBGPU_CPU_FORWARD', true);
    ctx.onTestFinished(() => tf.env().set('WEBGPU_CPU_FORWARD', false));
    for (const mode of MODES) {
      const { d, dy } = data.get(caseName(CASES[0], mode))!;
      const analytic = (await evaluate(vmSampleWebgpu, d, mode, dy)).slice(1);
      const loss = async (dd: Data) => {
        const y = tf.tidy(() => {
          const planes = dd.planes.map((x, p) => tf.tensor3d(x, [...planeHW(dd.reso, p), dd.C]));
          const lines = dd.lines.map((x, p) => tf.tensor2d(x, [dd.reso[VEC_MODE[p]], dd.C]));
          const out = vmSampleWebgpu(planes, lines, tf.tensor2d(dd.coords, [dd.S, 3]), mode, dd.valid ? tf.tensor1d(dd.valid) : undefined);
          return tf.sum(tf.mul(out, tf.tensor(dy, out.shape)));
        });
        const v = (await y.data())[0];
        y.dispose();
        return v;
      };
      // The output is linear in each factor entry, so a large step only limits round-off.
      const h = 0.25;
      for (let k = 0; k < 6; k++) {
        const g = analytic[k];
        for (const i of [g.reduce((b, _, j) => (Math.abs(g[j]) > Math.abs(g[b]) ? j : b), 0), Math.floor(g.length / 3)]) {
          const shifted = (delta: number): Data => {
            const factors = [...d.planes, ...d.lines].map((x) => x.slice());
            factors[k][i] += delta;
            return { ...d, planes: factors.slice(0, 3), lines: factors.slice(3) };
          };
          const fd = ((await loss(shifted(h))) - (await loss(shifted(-h)))) / (2 * h);
          expect(Math.abs(fd - g[i]), `${mode} factor ${k} entry ${i}: fd ${fd} vs ${g[i]}`).toBeLessThan(
            2e-3 * Math.max(1, Math.abs(g[i])),
          );
        }
      }
    }
  });

  it('gradient errors stay within the stated fixed-point bound, per entry', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const eps = 2 ** -24;
    let worstRatio = 0;
    let worstWhat = '';
    for (const c of CASES) {
      for (const mode of MODES) {
        const { d, dy } = data.get(caseName(c, mode))!;
        const ref = naive(d, mode, dy);
        const got = (await evaluate(vmSampleWebgpu, d, mode, dy)).slice(1);
        const cols = mode === 'sum' ? 1 : 3 * d.C;
        let maxDy = 0;
        dy.forEach((v, i) => (maxDy = Math.max(maxDy, Math.abs(v * (d.valid ? d.valid[Math.floor(i / cols)] : 1)))));
        const maxAbs = (xs: Float32Array[]) => Math.max(...xs.map((x) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
        const q = [quantum(Math.fround(maxDy * maxAbs(d.lines))), quantum(Math.fround(maxDy * maxAbs(d.planes)))];
        got.forEach((g, k) => {
          for (let i = 0; i < g.length; i++) {
            // fixed point (k q / 2) + float32 rounding of each contribution's terms + the final float32 rounding
            const bound = (ref.count[k][i] * q[k < 3 ? 0 : 1]) / 2 + 16 * eps * ref.absSum[k][i] + 2 * eps * Math.abs(ref.grads[k][i]);
            const err = Math.abs(g[i] - ref.grads[k][i]);
            if (bound > 0 && err / bound > worstRatio) {
              worstRatio = err / bound;
              worstWhat = `${caseName(c, mode)} grad ${k} [${i}]: err ${err.toExponential(3)} = ${(err / bound).toFixed(3)} of bound (k q/2 ${((ref.count[k][i] * q[k < 3 ? 0 : 1]) / 2).toExponential(2)}, 16 eps abs ${(16 * eps * ref.absSum[k][i]).toExponential(2)}, 2 eps g ${(2 * eps * Math.abs(ref.grads[k][i])).toExponential(2)}), k ${ref.count[k][i]}, g ${ref.grads[k][i]}, got ${g[i]}`;
            }
            expect(err, `${caseName(c, mode)} gradient ${k} entry ${i}`).toBeLessThanOrEqual(bound);
          }
        });
      }
    }
    console.log(`largest gradient error / bound ${worstRatio.toFixed(3)}: ${worstWhat}`);
  });

  /** One texel hit by every sample: plane grad [0] = sum of dy (lines 1), line grad [0] likewise. */
  async function singleTexel(dyValues: Float32Array): Promise<[number, number]> {
    const S = dyValues.length;
    const d: Data = {
      reso: [2, 2, 2],
      C: 1,
      S,
      planes: [0, 1, 2].map(() => Float32Array.from([1, 1, 1, 1])),
      lines: [0, 1, 2].map(() => Float32Array.from([1, 1])),
      coords: new Float32Array(3 * S).fill(-1), // texel 0, weight 1 (i0 = 0, f = 0)
    };
    const [, gp0, , , gl0] = await evaluate(vmSampleWebgpu, d, 'sum', dyValues);
    return [gp0[0], gl0[0]];
  }

  it('fixed point: a small sum of large cancelling terms is the exact sum of the rounded terms, within k q / 2', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const rng = new Rng(99);
    const S = 65_537;
    const dyValues = new Float32Array(S);
    for (let i = 0; i + 1 < S; i += 2) {
      const a = rng.uniform(1, 1e4);
      dyValues[i] = a;
      dyValues[i + 1] = -a + rng.uniform(-1e-3, 1e-3);
    }
    dyValues[S - 1] = 1e-3;
    let exact = 0;
    let maxDy = 0;
    for (const v of dyValues) {
      exact += v; // float64: exact to ~1e-12 here
      maxDy = Math.max(maxDy, Math.abs(v));
    }
    // Every contribution is dy * 1 * 1 (factors 1, weight 1): the kernel adds round(dy 2^e).
    const e = fixedExponent(maxDy);
    let ints = 0; // |sum| < 2^53: exact in float64
    for (const v of dyValues) ints += roundHalfEven(v * 2 ** e);
    const fixed = ints * 2 ** -e;
    const [gp, gl] = await singleTexel(dyValues);
    let f32 = 0;
    for (const v of dyValues) f32 = Math.fround(f32 + v); // a float32 running sum, for comparison
    const bound = (S * quantum(maxDy)) / 2;
    console.log(
      `sum ${exact.toExponential(6)}: fixed-point error ${Math.abs(gp - exact).toExponential(2)} (bound k q / 2 = ${bound.toExponential(2)}), float32 running sum error ${Math.abs(f32 - exact).toExponential(2)}`,
    );
    for (const g of [gp, gl]) {
      expect(Math.abs(g - fixed)).toBeLessThanOrEqual(2 ** -22 * Math.abs(fixed)); // only the read-back's float32 rounding
      expect(Math.abs(g - exact)).toBeLessThanOrEqual(bound + 2 ** -22 * Math.abs(exact));
    }
  });

  it('fixed point: S = 2^16 equal contributions at the bound (terms near 2^32, the high word carries)', async (ctx) => {
    requireWebgpu(gpu, ctx);
    // 3.999 2^30 and -3.999 2^30 per add: the low word wraps on most adds; 1e-30 and 3e30 reach the
    // ends of the scale's range (e clamped at 126; e = -71).
    for (const v of [3.999, -3.999, 1e-30, 3e30]) {
      const S = 2 ** 16;
      const dyValues = new Float32Array(S).fill(v);
      const exact = S * Math.fround(v);
      const [gp, gl] = await singleTexel(dyValues);
      expect(Math.abs(gp - exact) / Math.abs(exact), `dy ${v}: ${gp}`).toBeLessThan(2 ** -22);
      expect(Math.abs(gl - exact) / Math.abs(exact), `dy ${v}: ${gl}`).toBeLessThan(2 ** -22);
    }
  });

  it('gradients are bitwise reproducible (integer sums do not depend on the order)', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const { d, dy } = data.get(caseName(CASES[CASES.length - 1], 'products'))!;
    const a = (await evaluate(vmSampleWebgpu, d, 'products', dy)).slice(1);
    const b = (await evaluate(vmSampleWebgpu, d, 'products', dy)).slice(1);
    a.forEach((g, k) => expect(Buffer.from(g.buffer).equals(Buffer.from(b[k].buffer)), `gradient ${k}`).toBe(true));
  });

  it('leaves no tensors behind', async (ctx) => {
    requireWebgpu(gpu, ctx);
    const { d, dy } = data.get(caseName(CASES[0], 'products'))!;
    await evaluate(vmSampleWebgpu, d, 'products', dy);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await evaluate(vmSampleWebgpu, d, i % 2 ? 'sum' : 'products', i % 2 ? dy.slice(0, d.S) : dy);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('no program cache key was run with two different shader sources', (ctx) => {
    requireWebgpu(gpu, ctx);
    if (!watch?.supported) ctx.skip('tfjs-backend-webgpu internals changed: runWebGPUProgram not found');
    const vm = [...watch!.programs()].filter(([n]) => n === 'VMProgram');
    console.log(`VMProgram cache keys: ${vm.map(([, k]) => k).join()}`);
    expect(watch!.clashes()).toEqual([]);
  });
});
