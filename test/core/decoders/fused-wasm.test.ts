/**
 * The arena-resident fused decoder (fused-wasm.ts) against the array version (fused-cpu.ts's
 * decoderForwardRows / decoderBackwardRows, itself held to Decoder.apply in fused-cpu.test.ts):
 * the same bits for outputs, dL/df and weight gradients, for all three activations, widths that
 * need padding (45 -> 48, 180 -> 184), row counts that are not multiples of 4 and sub-ranges.
 */
import { describe, expect, it } from 'vitest';
import {
  type DecoderRows,
  type DecoderWeights,
  decoderBackwardRows,
  decoderForwardRows,
  type FusedSpec,
  gradientSizes,
  inputDim,
} from '../../../src/core/decoders/fused-cpu';
import { wasmDecoderBackward, wasmDecoderForward } from '../../../src/core/decoders/fused-wasm';
import { Rng } from '../../../src/core/random';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function setup(spec: FusedSpec, H: number, n: number, seed: number) {
  const rng = new Rng(seed);
  const F = 27;
  const Z = spec.act.kind === 'split' ? 4 * H : H;
  const D0 = inputDim(F, spec.fePe, spec.viewPe);
  const shapes = [[D0, Z], [Z], [H, Z], [Z], [H, 3], [3]];
  const w: DecoderWeights = {
    w: shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.uniform(-0.3, 0.3))),
    F,
    D0,
    Z1c: Z,
    H,
    Z2c: Z,
  };
  const f = Float32Array.from({ length: n * F }, () => rng.normal());
  const d = Float32Array.from({ length: n * 3 }, () => rng.normal());
  const g = Float32Array.from({ length: n * 3 }, () => rng.normal());
  return { w, f, d, g, F, Z, D0 };
}

describe('wasm-resident fused decoder', () => {
  const cases: [FusedSpec, number, number, [number, number]][] = [
    [{ act: { kind: 'relu' }, fePe: 2, viewPe: 2 }, 128, 37, [0, 37]],
    [{ act: { kind: 'relu' }, fePe: 2, viewPe: 2 }, 128, 300, [4, 203]],
    [{ act: { kind: 'sine', omega: 30 }, fePe: 2, viewPe: 2 }, 128, 9, [0, 9]],
    [{ act: { kind: 'split', m: 2 }, fePe: 2, viewPe: 2 }, 45, 50, [8, 50]],
    [{ act: { kind: 'relu' }, fePe: 0, viewPe: 1 }, 20, 6, [0, 6]],
  ];
  for (const [spec, H, n, [lo, hi]] of cases) {
    it(`${spec.act.kind} width ${H}, rows ${lo}..${hi - 1} of ${n}: the array version's bits`, () => {
      const { w, f, d, g, F, Z, D0 } = setup(spec, H, n, n + H);
      const b: DecoderRows = {
        f,
        d,
        x0: new Float32Array(n * D0),
        z1: new Float32Array(n * Z),
        h1: new Float32Array(n * H),
        z2: new Float32Array(n * Z),
        h2: new Float32Array(n * H),
        out: new Float32Array(n * 3),
      };
      decoderForwardRows(spec, w, b, lo, hi);
      const { total } = gradientSizes(w);
      const dfRef = new Float32Array(n * F);
      const pRef = new Float32Array(total);
      decoderBackwardRows(spec, w, b, g, dfRef, pRef, lo, hi);

      const out = new Float32Array(n * 3);
      wasmDecoderForward(spec, w, f, d, out, lo, hi, 7);
      expect(bits(out)).toEqual(bits(b.out));
      const df = new Float32Array(n * F);
      const p = new Float32Array(total);
      wasmDecoderBackward(spec, w, out, g, df, p, lo, hi, 7);
      expect(bits(df.subarray(lo * F, hi * F))).toEqual(bits(dfRef.subarray(lo * F, hi * F)));
      expect(bits(p)).toEqual(bits(pRef));
    });
  }

  it('refuses a backward of rows or a pass its thread did not run forward', () => {
    const spec: FusedSpec = { act: { kind: 'relu' }, fePe: 2, viewPe: 2 };
    const { w, f, d, g } = setup(spec, 8, 8, 1);
    const out = new Float32Array(24);
    const { total } = gradientSizes(w);
    wasmDecoderForward(spec, w, f, d, out, 0, 8, 1);
    expect(() => wasmDecoderBackward(spec, w, out, g, new Float32Array(8 * 27), new Float32Array(total), 0, 8, 2)).toThrow(/no forward/);
    expect(() => wasmDecoderBackward(spec, w, out, g, new Float32Array(8 * 27), new Float32Array(total), 0, 4, 1)).toThrow(/no forward/);
  });
});
