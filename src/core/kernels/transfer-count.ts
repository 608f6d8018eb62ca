/**
 * Bytes moved between the host and the device, counted where the active tfjs backend writes and
 * reads device memory (not estimated from tensor sizes): the benchmark's upload and download
 * bytes per step. One counter at a time; `dispose` puts the wrapped methods back.
 *
 * - webgpu (tfjs-backend-webgpu 4.22): the backend moves data in three ways, all wrapped:
 *   - `GPUBuffer.prototype.getMappedRange` (the global GPUBuffer class): a mapped range of a
 *     buffer without MAP_READ is written by the host, so its bytes count as up (uploadToGPU writes
 *     a tensor's values into a buffer mapped at creation, or into a MAP_WRITE staging buffer that
 *     is then copied on the device); a range of a MAP_READ buffer counts as down (getBufferData,
 *     behind read() / tensor.data(): a staging copy of the tensor's whole buffer; also the
 *     timestamp-query readback when tfjs profiles).
 *   - the backend's `queue.writeBuffer`: counted as up, and those into UNIFORM buffers also as
 *     uniform bytes (makeUniforms writes each dispatch's uniform block this way: shapes, strides,
 *     sizes and the op's own uniforms, 16 to a few hundred bytes per dispatch).
 *   - the backend's `readSync` of a tensor with no host copy: the buffer's size as down (its canvas
 *     path maps nothing, so the wrapper above does not see it; it needs OffscreenCanvas, absent in
 *     Node).
 *   `write()` moves nothing on webgpu (values wait on the host until a kernel needs them), nor do
 *   reads of values already on the host (tfjs caches them after the first read).
 * - tensorflow (tfjs-node) and any other backend: `write` (the values handed to the backend) as up,
 *   `read` / `readSync` of a tensor whose values are not on the host as down (once: tfjs-node's
 *   read calls readSync). Not run here: tfjs-node cannot be installed on these machines.
 * - cpu: tensors are host memory; nothing moves, the counts stay 0.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface TransferCounts {
  /** Bytes written by the host into device memory (uniform blocks included). */
  up: number;
  /** Bytes read by the host from device memory. */
  down: number;
  /** The part of `up` that went into uniform buffers (webgpu; 0 elsewhere). */
  uniform: number;
}

export interface TransferCounter {
  readonly backend: string;
  /** What is counted, in words (for reports). */
  readonly method: string;
  /** The counts since the last take (or the start); starts afresh. */
  take(): TransferCounts;
  /** Runs `fn` without counting what it moves (the benchmark's syncs). */
  excluding<T>(fn: () => Promise<T>): Promise<T>;
  /** Restores every wrapped method. */
  dispose(): void;
}

let active = false;

type Fn = (...args: unknown[]) => unknown;
interface Patch {
  target: Record<string, unknown>;
  key: string;
  hadOwn: boolean;
  original: unknown;
}

/** Replaces target[key] with wrap(original); remembers how to undo it. */
function patch(patches: Patch[], target: object, key: string, wrap: (original: Fn) => Fn): void {
  const t = target as Record<string, unknown>;
  const original = t[key];
  if (typeof original !== 'function') throw new Error(`transfer count: ${key} is not a method of the backend`);
  patches.push({ target: t, key, hadOwn: Object.hasOwn(t, key), original });
  t[key] = wrap(original as Fn);
}

function unpatch(patches: Patch[]): void {
  for (const p of patches.reverse()) {
    if (p.hadOwn) p.target[p.key] = p.original;
    else delete p.target[p.key];
  }
}

/** Bytes of what a backend's write() gets: a typed array, or the encoded strings. */
function valueBytes(values: unknown): number {
  if (ArrayBuffer.isView(values)) return values.byteLength;
  if (Array.isArray(values)) return values.reduce((n: number, v) => n + valueBytes(v), 0);
  return 0;
}

/** Bytes queue.writeBuffer copies (offset and size count elements for a typed array, bytes otherwise). */
function writeBufferBytes(data: unknown, dataOffset: unknown, size: unknown): number {
  const view = ArrayBuffer.isView(data) ? data : null;
  const el = view && 'BYTES_PER_ELEMENT' in view ? (view as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
  const length = view ? view.byteLength / el : (data as ArrayBuffer).byteLength;
  const n = typeof size === 'number' ? size : length - (typeof dataOffset === 'number' ? dataOffset : 0);
  return n * el;
}

interface TensorEntry {
  values?: unknown;
  resource?: { size?: number } | null;
}

/** Starts counting on the active backend (tf.backend()). */
export function countTransfers(): TransferCounter {
  if (active) throw new Error('transfer count: a counter is already active');
  const backend = tf.backend() as unknown as Record<string, unknown> & { tensorMap?: { get(id: unknown): TensorEntry | undefined } };
  const name = tf.getBackend();
  const counts: TransferCounts = { up: 0, down: 0, uniform: 0 };
  let paused = 0;
  const patches: Patch[] = [];
  const entry = (dataId: unknown) => backend.tensorMap?.get(dataId);
  let method: string;

  if (name === 'cpu') {
    method = 'nothing moves on the cpu backend (tensors are host memory)';
  } else if (name === 'webgpu') {
    const g = globalThis as unknown as { GPUBuffer?: { prototype: object }; GPUBufferUsage?: { MAP_READ: number; UNIFORM: number } };
    if (!g.GPUBuffer) throw new Error('transfer count: no global GPUBuffer class');
    const MAP_READ = g.GPUBufferUsage?.MAP_READ ?? 0x1;
    const UNIFORM = g.GPUBufferUsage?.UNIFORM ?? 0x40;
    patch(
      patches,
      g.GPUBuffer.prototype,
      'getMappedRange',
      (original) =>
        function (this: { usage: number }, ...args: unknown[]) {
          const range = original.apply(this, args) as ArrayBuffer;
          if (paused === 0) {
            if (this.usage & MAP_READ) counts.down += range.byteLength;
            else counts.up += range.byteLength;
          }
          return range;
        },
    );
    patch(
      patches,
      backend.queue as object,
      'writeBuffer',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          if (paused === 0) {
            const n = writeBufferBytes(args[2], args[3], args[4]);
            counts.up += n;
            if ((args[0] as { usage: number }).usage & UNIFORM) counts.uniform += n;
          }
          return original.apply(this, args);
        },
    );
    patch(
      patches,
      backend,
      'readSync',
      (original) =>
        function (this: unknown, dataId: unknown) {
          const e = entry(dataId);
          const size = e && e.values == null ? (e.resource?.size ?? 0) : 0;
          const out = original.call(this, dataId);
          if (paused === 0) counts.down += size;
          return out;
        },
    );
    method =
      'webgpu: GPUBuffer.getMappedRange (up unless MAP_READ, down for MAP_READ), queue.writeBuffer (up; uniform blocks counted apart), readSync of device-only tensors (down)';
  } else {
    patch(
      patches,
      backend,
      'write',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          if (paused === 0) counts.up += valueBytes(args[0]);
          return original.apply(this, args);
        },
    );
    // tfjs-node's read() calls readSync(): a read in progress counts, not the readSync inside it
    const reading = new Set<unknown>();
    const counted = (dataId: unknown) => {
      const cached = entry(dataId)?.values != null;
      return (v: unknown) => {
        if (!cached && paused === 0) counts.down += valueBytes(v);
        return v;
      };
    };
    patch(
      patches,
      backend,
      'read',
      (original) =>
        function (this: unknown, dataId: unknown) {
          const count = counted(dataId);
          reading.add(dataId);
          const done = () => reading.delete(dataId);
          return Promise.resolve(original.call(this, dataId)).then(
            (v) => {
              done();
              return count(v);
            },
            (e) => {
              done();
              throw e;
            },
          );
        },
    );
    patch(
      patches,
      backend,
      'readSync',
      (original) =>
        function (this: unknown, dataId: unknown) {
          const count = reading.has(dataId) ? (v: unknown) => v : counted(dataId);
          return count(original.call(this, dataId));
        },
    );
    method = `${name}: write (up), read/readSync of tensors without host values (down)`;
  }
  active = true;
  let disposed = false;
  return {
    backend: name,
    method,
    take() {
      const t = { ...counts };
      counts.up = counts.down = counts.uniform = 0;
      return t;
    },
    async excluding<T>(fn: () => Promise<T>): Promise<T> {
      paused++;
      try {
        return await fn();
      } finally {
        paused--;
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      unpatch(patches);
      active = false;
    },
  };
}
