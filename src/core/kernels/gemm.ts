/** C = op(A) op(B) with the fastest kernel available here (WebAssembly SIMD, else plain JS). */
import { matmul } from './matmul';
import { matmulWasm } from './matmul-wasm';
import { wasmKernels } from './wasm-arena';

export function gemm(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA = false,
  transposeB = false,
): Float32Array {
  return wasmKernels() ? matmulWasm(a, b, m, k, n, transposeA, transposeB) : matmul(a, b, m, k, n, transposeA, transposeB);
}
