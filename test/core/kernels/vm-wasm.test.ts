/**
 * The SIMD VM sampling kernels (kernels/vm-wasm.ts, vm-sample.wat) against the plain kernels of
 * field/vm-kernels.ts (the reference, summing in double): forward in both modes and backward, to
 * float32 rounding; a backward cut into any units gives the bits of the uncut one; the checked-in
 * binary is the .wat assembled; a keyed forward reuses its factors only for the same key.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/field/geometry';
import { lineShape, planeShape, type VMFactors, vmBackward, vmForward, vmOutputLength } from '../../../src/core/field/vm-kernels';
import { nextFactorsKey, wasmVmAvailable, wasmVmBackward, wasmVmForward } from '../../../src/core/kernels/vm-wasm';
import { VM_SAMPLE_WASM_BASE64 } from '../../../src/core/kernels/vm-sample-wasm.generated';
import { Rng } from '../../../src/core/random';
// @ts-expect-error plain ESM script without types
import { assemble } from '../../../scripts/build-wasm.mjs';

function randomFactors(rng: Rng, reso: Vec3, comps: number): VMFactors {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return {
    planes: [0, 1, 2].map((p) => fill(size(planeShape(reso, p, comps)))),
    lines: [0, 1, 2].map((p) => fill(size(lineShape(reso, p, comps)))),
    comps,
    reso,
  };
}

/** Random points in the box, and some on its faces, edges and corners (the clamped taps). */
function coordsFor(rng: Rng, n: number): Float32Array {
  const c = new Float32Array(3 * n);
  for (let i = 0; i < c.length; i++) c[i] = i % 7 === 0 ? [-1, 1][Math.floor(rng.uniform(0, 2))] : rng.uniform(-1, 1);
  return c;
}

/** |got - want| within float32 rounding of sums of about `terms` products of unit-sized values. */
function expectClose(got: Float32Array, want: Float32Array, terms: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(err <= worst)) worst = err; // NaN included
  }
  expect(worst).toBeLessThan(terms * 2e-7);
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('WebAssembly SIMD VM kernels', () => {
  it('the checked-in binary is vm-sample.wat assembled', async () => {
    const wat = new URL('../../../src/core/kernels/vm-sample.wat', import.meta.url).pathname;
    expect(await assemble(wat)).toBe(VM_SAMPLE_WASM_BASE64);
    expect(readFileSync(wat, 'utf8')).toContain('f32x4');
  });

  it('run here for components in multiples of 4 only (others take the plain kernels)', () => {
    expect(wasmVmAvailable(16)).toBe(true);
    expect(wasmVmAvailable(48)).toBe(true);
    expect(wasmVmAvailable(3)).toBe(false);
    expect(wasmVmAvailable(0)).toBe(false);
  });

  for (const [reso, comps, n] of [
    [[7, 9, 5], 4, 300],
    [[16, 12, 20], 16, 2000],
    [[5, 6, 7], 48, 400],
    [[2, 3, 2], 8, 50],
  ] as [Vec3, number, number][]) {
    it(`forward and backward agree with the plain kernels (reso ${reso}, ${comps} comps, ${n} points)`, () => {
      const rng = new Rng(comps * 7 + n);
      const f = randomFactors(rng, reso, comps);
      const coords = coordsFor(rng, n);
      for (const mode of ['sum', 'products'] as const) {
        const want = vmForward(f, coords, n, mode);
        const got = new Float32Array(vmOutputLength(f, n, mode));
        // two ranges, as two threads would cut them
        const cut = Math.floor(n / 3);
        wasmVmForward(f, coords, mode, got, 0, cut);
        wasmVmForward(f, coords, mode, got, cut, n);
        expectClose(got, want, mode === 'sum' ? 3 * comps * 8 : 8);
        const dOut = Float32Array.from({ length: want.length }, (_, i) => (i % 11 === 0 ? 0 : rng.normal()));
        const gWant = vmBackward(f, coords, n, mode, dOut);
        const block = 8;
        const units = 3 * Math.ceil(comps / block);
        const whole = {
          planes: f.planes.map((a) => new Float32Array(a.length).fill(7)),
          lines: f.lines.map((a) => new Float32Array(a.length).fill(7)),
        };
        wasmVmBackward(f, coords, n, mode, dOut, whole.planes, whole.lines, 0, units, block);
        // every entry is written (the 7s are gone), close to the reference; a cut into units gives the same bits
        const cutG = { planes: f.planes.map((a) => new Float32Array(a.length)), lines: f.lines.map((a) => new Float32Array(a.length)) };
        for (let u = 0; u < units; u++) wasmVmBackward(f, coords, n, mode, dOut, cutG.planes, cutG.lines, u, u + 1, block);
        for (let p = 0; p < 3; p++) {
          expectClose(whole.planes[p], gWant.planes[p], 4 * n);
          expectClose(whole.lines[p], gWant.lines[p], 4 * n);
          expect(bytes(cutG.planes[p]).equals(bytes(whole.planes[p]))).toBe(true);
          expect(bytes(cutG.lines[p]).equals(bytes(whole.lines[p]))).toBe(true);
        }
      }
    });
  }

  it('a keyed forward reuses the factors only while the key is the same', () => {
    const rng = new Rng(5);
    const a = randomFactors(rng, [6, 7, 8], 16);
    const b = randomFactors(rng, [6, 7, 8], 16);
    const coords = coordsFor(rng, 100);
    const run = (f: VMFactors, key: number) => {
      const out = new Float32Array(100);
      wasmVmForward(f, coords, 'sum', out, 0, 100, key);
      return out;
    };
    const ka = nextFactorsKey();
    const ra = run(a, ka);
    expect(Array.from(run(a, ka))).toEqual(Array.from(ra));
    const rb = run(b, 0); // another call in between: the next keyed one copies again
    expect(Array.from(rb)).not.toEqual(Array.from(ra));
    expect(Array.from(run(a, ka))).toEqual(Array.from(ra));
    const kb = nextFactorsKey();
    expect(kb).not.toBe(ka);
    expect(Array.from(run(b, kb))).toEqual(Array.from(rb));
  });
});
