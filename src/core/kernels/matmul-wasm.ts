/**
 * Runs the SIMD matmul kernels of matmul.wat: copies the operands into the module's memory with
 * the padding the kernels need (m to a multiple of 4, n to a multiple of 8), calls the kernel and
 * copies C out. Transposed B is transposed while copying; transposed A uses the mm_ta kernel.
 */
import { MATMUL_WASM_BASE64 } from './matmul-wasm.generated';

interface Kernels {
  memory: WebAssembly.Memory;
  mm: (a: number, b: number, c: number, m: number, k: number, n: number) => void;
  mm_ta: (a: number, b: number, c: number, m: number, k: number, n: number) => void;
}

let kernels: Kernels | null | undefined;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(b64, 'base64'));
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The kernels, or null where WebAssembly SIMD is unavailable. */
export function wasmKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const mod = new WebAssembly.Module(decodeBase64(MATMUL_WASM_BASE64) as Uint8Array<ArrayBuffer>);
    kernels = new WebAssembly.Instance(mod, {}).exports as unknown as Kernels;
  } catch {
    kernels = null;
  }
  return kernels;
}

const K_BLOCK = 256;
const ceilTo = (x: number, q: number) => Math.ceil(x / q) * q;

export function matmulWasm(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  const K = wasmKernels();
  if (!K) throw new Error('WebAssembly SIMD is not available');
  const mp = ceilTo(Math.max(m, 1), 4);
  const np = ceilTo(Math.max(n, 1), 8);
  const aBytes = mp * k * 4;
  const bBytes = k * np * 4;
  const cBytes = mp * np * 4;
  const need = aBytes + bBytes + cBytes;
  const have = K.memory.buffer.byteLength;
  if (need > have) K.memory.grow(Math.ceil((need - have) / 65536));
  const mem = new Float32Array(K.memory.buffer);
  const aOff = 0;
  const bOff = aBytes / 4;
  const cOff = (aBytes + bBytes) / 4;
  // A: [mp, k] (normal) or [k, mp] (transposed, for mm_ta), zero padded
  if (!transposeA) {
    mem.set(a.subarray(0, m * k), aOff);
    mem.fill(0, aOff + m * k, aOff + mp * k);
  } else if (mp === m) {
    mem.set(a.subarray(0, k * m), aOff);
  } else {
    for (let p = 0; p < k; p++) {
      const row = aOff + p * mp;
      mem.set(a.subarray(p * m, p * m + m), row);
      mem.fill(0, row + m, row + mp);
    }
  }
  // B: [k, np] zero padded
  if (!transposeB) {
    if (np === n) mem.set(b.subarray(0, k * n), bOff);
    else
      for (let p = 0; p < k; p++) {
        const row = bOff + p * np;
        mem.set(b.subarray(p * n, p * n + n), row);
        mem.fill(0, row + n, row + np);
      }
  } else {
    for (let p = 0; p < k; p++) {
      const row = bOff + p * np;
      for (let j = 0; j < n; j++) mem[row + j] = b[j * k + p];
      mem.fill(0, row + n, row + np);
    }
  }
  mem.fill(0, cOff, cOff + mp * np);
  if (!transposeA) K.mm(aOff * 4, bOff * 4, cOff * 4, mp, k, np);
  else {
    // A^T B over a long k: blocks of K_BLOCK rows of A and B stay in cache while C accumulates.
    for (let p0 = 0; p0 < k; p0 += K_BLOCK) {
      const kb = Math.min(K_BLOCK, k - p0);
      K.mm_ta((aOff + p0 * mp) * 4, (bOff + p0 * np) * 4, cOff * 4, mp, kb, np);
    }
  }
  const out = new Float32Array(m * n);
  if (np === n) out.set(mem.subarray(cOff, cOff + m * n));
  else for (let i = 0; i < m; i++) out.set(mem.subarray(cOff + i * np, cOff + i * np + n), i * n);
  return out;
}
