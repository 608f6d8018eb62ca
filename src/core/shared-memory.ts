/**
 * Typed arrays over SharedArrayBuffers, which worker threads see without a copy, and a scratch
 * store that hands out the same shared buffers step after step (no allocation, no garbage).
 */
export type SharedTyped = Float32Array | Int32Array;

export const sharedMemoryAvailable = typeof SharedArrayBuffer !== 'undefined';

export function isShared(a: ArrayBufferView): boolean {
  return sharedMemoryAvailable && a.buffer instanceof SharedArrayBuffer;
}

/** A zeroed Float32Array of length n over shared memory (plain memory where there is none). */
export function sharedF32(n: number): Float32Array {
  return sharedMemoryAvailable ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);
}

/** `a` itself when it is shared already, else a shared copy. */
export function toSharedF32(a: Float32Array): Float32Array {
  if (isShared(a)) return a;
  const s = sharedF32(a.length);
  s.set(a);
  return s;
}

/**
 * Named shared buffers reused from call to call: `f32(name, n)` is a view of length n on the
 * buffer of that name, grown (by at least half) when too small. Contents are whatever the last
 * user left, so callers overwrite (or `fill`) what they read. A view stays valid until the next
 * `f32` call with the same name.
 */
export class Scratch {
  private readonly buffers = new Map<string, ArrayBuffer | SharedArrayBuffer>();

  f32(name: string, n: number): Float32Array {
    return new Float32Array(this.buffer(name, 4 * n), 0, n);
  }

  i32(name: string, n: number): Int32Array {
    return new Int32Array(this.buffer(name, 4 * n), 0, n);
  }

  f64(name: string, n: number): Float64Array {
    return new Float64Array(this.buffer(name, 8 * n), 0, n);
  }

  /** A shared copy of `a` in the buffer `name` (or `a` itself when it is already shared). */
  sharedCopy(name: string, a: Float32Array): Float32Array {
    if (isShared(a)) return a;
    const s = this.f32(name, a.length);
    s.set(a);
    return s;
  }

  /** Bytes held. */
  bytes(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.byteLength;
    return n;
  }

  clear(): void {
    this.buffers.clear();
  }

  private buffer(name: string, bytes: number): ArrayBuffer | SharedArrayBuffer {
    const have = this.buffers.get(name);
    if (have && have.byteLength >= bytes) return have;
    const size = Math.max(bytes, Math.ceil((have?.byteLength ?? 0) * 1.5), 64);
    const b = sharedMemoryAvailable ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    this.buffers.set(name, b);
    return b;
  }
}
