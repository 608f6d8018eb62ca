/**
 * This thread's WebAssembly memory as an arena for the SIMD matmul kernels (matmul.wat): regions
 * are bump-allocated (16-byte aligned, offsets in floats), and `release(mark)` frees everything
 * allocated after `mark`. Data that stays resident across calls (the fused decoder's layers,
 * decoders/fused-wasm.ts) sits at the bottom; matmulWasm's per-call operands go above it and are
 * released after the call. Views (`f32`) must be taken after the allocations they depend on: a
 * grow replaces the memory's buffer.
 */
import { MATMUL_WASM_BASE64 } from './matmul-wasm.generated';

export interface MatmulExports {
  memory: WebAssembly.Memory;
  mm: (a: number, b: number, c: number, m: number, k: number, n: number) => void;
  mm_ta: (a: number, b: number, c: number, m: number, k: number, n: number) => void;
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

/** The kernels, or null where WebAssembly SIMD is unavailable. */
export function wasmKernels(): MatmulExports | null {
  if (kernels !== undefined) return kernels;
  try {
    const mod = new WebAssembly.Module(decodeBase64(MATMUL_WASM_BASE64) as Uint8Array<ArrayBuffer>);
    kernels = new WebAssembly.Instance(mod, {}).exports as unknown as MatmulExports;
  } catch {
    kernels = null;
  }
  return kernels;
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
