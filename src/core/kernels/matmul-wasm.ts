/**
 * Runs the SIMD matmul kernels of matmul.wat on JS arrays: copies the operands into this thread's
 * WebAssembly memory with the padding the kernels need (m to a multiple of 4, n to a multiple of
 * 8), calls the kernel and copies C out. Transposed B is transposed while copying; transposed A
 * uses the mm_ta kernel.
 */
import { wasmArena } from './wasm-arena';

const ceilTo = (x: number, q: number) => Math.ceil(x / q) * q;

/**
 * C = op(A) op(B), the operands copied into this thread's arena above whatever is resident there
 * (wasm-arena.ts) and released after the call.
 */
export function matmulWasm(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  const arena = wasmArena();
  if (!arena) throw new Error('WebAssembly SIMD is not available');
  const mp = ceilTo(Math.max(m, 1), 4);
  const np = ceilTo(Math.max(n, 1), 8);
  const mark = arena.mark();
  const aOff = arena.alloc(mp * k);
  const bOff = arena.alloc(k * np);
  const cOff = arena.alloc(mp * np);
  const A = arena.f32(aOff, mp * k);
  const B = arena.f32(bOff, k * np);
  const C = arena.f32(cOff, mp * np);
  // A: [mp, k] (normal) or [k, mp] (transposed, for mm_ta), zero padded
  if (!transposeA) {
    A.set(a.subarray(0, m * k));
    A.fill(0, m * k);
  } else if (mp === m) {
    A.set(a.subarray(0, k * m));
  } else {
    for (let p = 0; p < k; p++) {
      A.set(a.subarray(p * m, p * m + m), p * mp);
      A.fill(0, p * mp + m, p * mp + mp);
    }
  }
  // B: [k, np] zero padded
  if (!transposeB) {
    if (np === n) B.set(b.subarray(0, k * n));
    else
      for (let p = 0; p < k; p++) {
        B.set(b.subarray(p * n, p * n + n), p * np);
        B.fill(0, p * np + n, p * np + np);
      }
  } else {
    for (let p = 0; p < k; p++) {
      const row = p * np;
      for (let j = 0; j < n; j++) B[row + j] = b[j * k + p];
      B.fill(0, row + n, row + np);
    }
  }
  C.fill(0);
  if (!transposeA) arena.mm(aOff, bOff, cOff, mp, k, np);
  else arena.mmTa(aOff, bOff, cOff, mp, k, np);
  const out = new Float32Array(m * n);
  if (np === n) out.set(C.subarray(0, m * n));
  else for (let i = 0; i < m; i++) out.set(C.subarray(i * np, i * np + n), i * n);
  arena.release(mark);
  return out;
}
