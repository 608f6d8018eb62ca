/**
 * Keeps tfjs-backend-webgpu's pool of free GPU buffers bounded. Its BufferManager (4.22) caches
 * every released buffer under its exact byte size and never evicts one, so a training whose
 * tensor sizes change step to step (the decoded-sample count does) keeps a buffer of every size
 * it ever used: on lavapipe the smoke preset grew to 24 GB and was killed at iteration 72.
 * `trimWebgpuBufferPool`, called at the end of every training step and render chunk, destroys the
 * free buffers of sizes not acquired during the last KEEP_EPOCHS calls; sizes in steady use stay
 * pooled.
 */
import * as tf from '@tensorflow/tfjs-core';

const KEEP_EPOCHS = 2;

interface BufferManagerLike {
  freeBuffers: Map<string, { destroy(): void; size: number }[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
  acquireBuffer: (size: number, usage: number, ...rest: unknown[]) => unknown;
}

interface Tracked {
  epoch: number;
  lastUsed: Map<string, number>;
}

const tracked = new WeakMap<BufferManagerLike, Tracked>();

function managerOf(): BufferManagerLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const m = (tf.backend() as unknown as { bufferManager?: BufferManagerLike }).bufferManager;
  return m && m.freeBuffers instanceof Map ? m : null;
}

function track(m: BufferManagerLike): Tracked {
  let t = tracked.get(m);
  if (t) return t;
  const state: Tracked = { epoch: 0, lastUsed: new Map() };
  const acquire = m.acquireBuffer.bind(m);
  m.acquireBuffer = (size, usage, ...rest) => {
    state.lastUsed.set(`${size}_${usage}`, state.epoch);
    return acquire(size, usage, ...rest);
  };
  tracked.set(m, state);
  t = state;
  return t;
}

/** Destroys pooled free buffers of sizes unused for KEEP_EPOCHS calls; returns the bytes freed. No-op off webgpu. */
export function trimWebgpuBufferPool(): number {
  const m = managerOf();
  if (!m) return 0;
  const t = track(m);
  let freed = 0;
  for (const [key, buffers] of m.freeBuffers) {
    if (buffers.length === 0) continue;
    if (t.epoch - (t.lastUsed.get(key) ?? -Infinity) < KEEP_EPOCHS) continue;
    for (const b of buffers) {
      freed += b.size;
      m.numBytesAllocated -= b.size;
      b.destroy();
    }
    m.numFreeBuffers -= buffers.length;
    buffers.length = 0;
  }
  t.epoch++;
  return freed;
}
