/**
 * This thread's WebAssembly memory as an arena for the SIMD matmul kernels (matmul.wat): regions
 * are bump-allocated (16-byte aligned, offsets in floats), and `release(mark)` frees everything
 * allocated after `mark`. Data that stays resident across calls (the fused decoder's layers,
 * decoders/fused-wasm.ts) sits at the bottom; matmulWasm's per-call operands go above it and are
 * released after the call. Views (`f32`) must be taken after the allocations they depend on: a
 * grow replaces the memory's buffer.
 */
import { MATMUL_FMA_WASM_BASE64, MATMUL_WASM_BASE64 } from './matmul-wasm.generated';

export interface MatmulExports {
  memory: WebAssembly.Memory;
  mm: (a: number, b: number, c: number, m: number, k: number, n: number) => void;
  mm_ta: (a: number, b: number, c: number, m: number, k: number, n: number) => void;
  bias_add: (z: number, b: number, rows: number, cols: number) => void;
  bias_relu: (z: number, b: number, h: number, rows: number, cols: number) => void;
  relu_grad: (z: number, dh: number, dz: number, n: number) => void;
}

/** Long k of A^T B runs in blocks of this many rows, so A's and B's blocks stay in cache. */
const K_BLOCK = 256;

export class WasmArena {
  private top = 0; // floats

  constructor(private readonly k: MatmulExports) {}

  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  /** A region of n floats (contents undefined); grows the memory as needed. */
  alloc(n: number): number {
    const off = this.top;
    this.top += Math.ceil(n / 4) * 4;
    const need = this.top * 4;
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / 65536));
    return off;
  }

  f32(off: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, off * 4, n);
  }

  /** C[m, n] += A[m, k] B[k, n] (offsets in floats; m a multiple of 4, n of 8). */
  mm(a: number, b: number, c: number, m: number, k: number, n: number): void {
    this.k.mm(a * 4, b * 4, c * 4, m, k, n);
  }

  /** z [rows, cols] += the row b [cols] (cols a multiple of 4). */
  biasAdd(z: number, b: number, rows: number, cols: number): void {
    this.k.bias_add(z * 4, b * 4, rows, cols);
  }

  /** z += b per row, then h = max(z, 0) (h shaped as z). */
  biasRelu(z: number, b: number, h: number, rows: number, cols: number): void {
    this.k.bias_relu(z * 4, b * 4, h * 4, rows, cols);
  }

  /** dz = z > 0 ? dh : 0 elementwise over n (a multiple of 4). */
  reluGrad(z: number, dh: number, dz: number, n: number): void {
    this.k.relu_grad(z * 4, dh * 4, dz * 4, n);
  }

  /** C[m, n] += A^T B with A stored [k, m] (m a multiple of 4, n of 8). */
  mmTa(a: number, b: number, c: number, m: number, k: number, n: number): void {
    for (let p0 = 0; p0 < k; p0 += K_BLOCK) this.k.mm_ta((a + p0 * m) * 4, (b + p0 * n) * 4, c * 4, m, Math.min(K_BLOCK, k - p0), n);
  }
}

let kernels: MatmulExports | null | undefined;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(b64, 'base64'));
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Which matmul kernels run here: relaxed SIMD's fused multiply-add, plain SIMD, or none (plain JS). */
export type MatmulVariant = 'fma' | 'simd' | 'none';

let variant: MatmulVariant = 'none';

/** An instance of the module in `b64`, or null where this runtime does not take it. */
export function instantiateKernels(b64: string): MatmulExports | null {
  try {
    const bytes = decodeBase64(b64);
    if (!WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as MatmulExports;
  } catch {
    return null;
  }
}

/**
 * The kernels: the fused multiply-add build where the runtime has relaxed SIMD (Node 20 needs
 * the V8 flag --experimental-wasm-relaxed-simd, which scripts/run.mjs sets), else plain SIMD,
 * else null. One choice per process (workers share the process's flags).
 */
export function wasmKernels(): MatmulExports | null {
  if (kernels !== undefined) return kernels;
  kernels = instantiateKernels(MATMUL_FMA_WASM_BASE64);
  variant = kernels ? 'fma' : 'none';
  if (!kernels) {
    kernels = instantiateKernels(MATMUL_WASM_BASE64);
    if (kernels) variant = 'simd';
  }
  return kernels;
}

export function matmulVariant(): MatmulVariant {
  wasmKernels();
  return variant;
}

let arena: WasmArena | null | undefined;

/** This thread's arena, or null where WebAssembly SIMD is unavailable. */
export function wasmArena(): WasmArena | null {
  if (arena === undefined) {
    const k = wasmKernels();
    arena = k ? new WasmArena(k) : null;
  }
  return arena;
}
