// The hand-written matmul kernels (WebAssembly SIMD and plain JS) against a naive triple loop,
// the fused multiply-add build against the plain one, and the checked-in wasm binaries against a
// fresh assembly of matmul.wat.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matmul } from '../../../src/core/kernels/matmul';
import { matmulWasm } from '../../../src/core/kernels/matmul-wasm';
import { instantiateKernels, wasmKernels } from '../../../src/core/kernels/wasm-arena';
import { MATMUL_FMA_WASM_BASE64, MATMUL_WASM_BASE64 } from '../../../src/core/kernels/matmul-wasm.generated';
import { Rng } from '../../../src/core/random';
// @ts-expect-error plain ESM script without types
import { assemble, fmaVariant } from '../../../scripts/build-wasm.mjs';
import { setFlagsFromString } from 'node:v8';

function naive(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  return c;
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [4, 3, 8],
  [7, 5, 3],
  [13, 150, 19],
  [150, 600, 12], // k > the 256-row block of the transposed-A kernel
  [9, 0, 5], // empty inner dimension
];

describe('matmul kernels', () => {
  it('the checked-in wasm binary is matmul.wat assembled', async () => {
    const b64 = await assemble(new URL('../../../src/core/kernels/matmul.wat', import.meta.url).pathname);
    expect(b64).toBe(MATMUL_WASM_BASE64);
    expect(readFileSync(new URL('../../../src/core/kernels/matmul.wat', import.meta.url), 'utf8')).toContain('f32x4');
  });

  it('WebAssembly SIMD is available here', () => {
    expect(wasmKernels()).not.toBeNull();
  });

  for (const [m, k, n] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`m=${m} k=${k} n=${n} transposeA=${ta} transposeB=${tb}`, () => {
          const rng = new Rng(m * 1000 + k * 10 + n);
          const a = Float32Array.from({ length: m * k }, () => rng.uniform(-1, 1));
          const b = Float32Array.from({ length: k * n }, () => rng.uniform(-1, 1));
          const ref = naive(a, b, m, k, n, ta, tb);
          for (const got of [matmulWasm(a, b, m, k, n, ta, tb), matmul(a, b, m, k, n, ta, tb)]) {
            expect(got.length).toBe(m * n);
            for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-5 * (1 + k));
          }
        });
      }
    }
  }

  it('repeated calls with growing sizes reuse and grow the wasm memory correctly', () => {
    const rng = new Rng(5);
    for (const m of [8, 2000, 16]) {
      const a = Float32Array.from({ length: m * 150 }, () => rng.uniform(-1, 1));
      const b = Float32Array.from({ length: 150 * 128 }, () => rng.uniform(-1, 1));
      const got = matmulWasm(a, b, m, 150, 128, false, false);
      const ref = naive(a, b, m, 150, 128, false, false);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
      expect(err).toBeLessThan(1e-3);
    }
  });
});

describe('the fused multiply-add build', () => {
  it('is matmul.wat with every multiply-add fused, assembled (the checked-in binary)', async () => {
    const wat = new URL('../../../src/core/kernels/matmul.wat', import.meta.url).pathname;
    expect(await assemble(wat, true)).toBe(MATMUL_FMA_WASM_BASE64);
    const text = fmaVariant(readFileSync(wat, 'utf8'));
    expect(text).not.toMatch(/f32x4\.add \(local\.get \$c/);
    expect(text.match(/relaxed_madd/g)?.length).toBe(16);
  });

  it('computes what the plain SIMD kernels compute, to float rounding (relaxed SIMD enabled here)', () => {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    const fma = instantiateKernels(MATMUL_FMA_WASM_BASE64);
    const plain = instantiateKernels(MATMUL_WASM_BASE64);
    expect(fma).not.toBeNull();
    expect(plain).not.toBeNull();
    const [m, k, n] = [8, 300, 16];
    const rng = new Rng(5);
    const a = Float32Array.from({ length: m * k }, () => rng.uniform(-1, 1));
    const b = Float32Array.from({ length: k * n }, () => rng.uniform(-1, 1));
    const run = (K: NonNullable<typeof fma>, ta: boolean) => {
      const mem = new Float32Array(K.memory.buffer);
      mem.set(a, 0);
      mem.set(b, m * k);
      mem.fill(0, m * k + k * n, m * k + k * n + m * n);
      (ta ? K.mm_ta : K.mm)(0, 4 * m * k, 4 * (m * k + k * n), m, k, n);
      return mem.slice(m * k + k * n, m * k + k * n + m * n);
    };
    for (const ta of [false, true]) {
      const x = run(fma!, ta);
      const y = run(plain!, ta);
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThan(1e-4);
    }
  });
});
