/**
 * Sample placement on the device, in plain tf ops (DESIGN.md section 4), for backends whose
 * tensors live there: every ray of a batch gets N slots k = 0..N-1 at t_k = t_min + step*(k + u),
 * t_min the box entry clamped to [near, far]; a slot is valid where the ray hits the box, the point
 * lies in the box (closed) and the alpha mask contains it. Invalid slots get sigma 0, which is what
 * the packed host path's dropping them amounts to (up to a factor 1 + 1e-10 of T per slot).
 * The same rays, u and mask as planSamples (samples.ts) give the same valid samples at the same
 * coordinates (float32 here, float64 rounded to float32 there).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../field/alpha-mask';
import type { Box } from '../field/geometry';
import type { DeviceMask, DeviceSlots, SlotOptions } from '../kernels/device-kernels';

export function uploadMask(m: AlphaMask): DeviceMask {
  return { box: m.box, reso: [...m.reso], data: tf.tensor1d(Float32Array.from(m.data)) };
}

/**
 * The device copy of the current alpha mask: uploaded when a different mask is asked for (a mask
 * changes only at its schedule points), kept otherwise, so steps and rendered views reuse it.
 */
export class MaskUpload {
  private held: { source: AlphaMask; backend: tf.KernelBackend; device: DeviceMask } | null = null;

  get(mask: AlphaMask | null): DeviceMask | null {
    if (!mask) return null;
    const backend = tf.backend();
    if (this.held?.source === mask && this.held.backend === backend) return this.held.device;
    this.dispose();
    this.held = { source: mask, backend, device: uploadMask(mask) };
    return this.held.device;
  }

  dispose(): void {
    const held = this.held;
    this.held = null;
    if (!held || held.device.data.isDisposed) return;
    try {
      held.device.data.dispose();
    } catch {
      // its backend was removed (its memory went with it)
    }
  }
}

/** 0, 1, ..., n-1 as float32, made on the device (tf.range fills them on the host and uploads); exact while n <= 2^24. */
export function deviceRange(n: number): tf.Tensor1D {
  return tf.tidy(() => tf.sub(tf.cumsum(tf.fill([n], 1)), 1) as tf.Tensor1D);
}

/** Ray/box entry and exit per ray (slab test, zero direction components as 1e-6): [R] each. */
function rayBoxTf(o: tf.Tensor2D, d: tf.Tensor2D, box: Box): { tIn: tf.Tensor1D; tOut: tf.Tensor1D } {
  const dd = tf.where(tf.equal(d, 0), tf.fill(d.shape, 1e-6), d);
  const ta = tf.div(tf.sub(tf.tensor1d(box.max), o), dd);
  const tb = tf.div(tf.sub(tf.tensor1d(box.min), o), dd);
  return { tIn: tf.max(tf.minimum(ta, tb), 1) as tf.Tensor1D, tOut: tf.min(tf.maximum(ta, tb), 1) as tf.Tensor1D };
}

/**
 * Whether the mask contains each point [P, 3] (world coordinates): trilinear interpolation with
 * aligned corners, zero outside, > 0, i.e. some corner with a non-zero weight is occupied (as
 * maskContains in field/alpha-mask.ts).
 */
export function maskContainsTf(m: DeviceMask, x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [nx, ny, nz] = m.reso;
    const size = [nx, ny, nz];
    const axes = tf.unstack(x, 1) as tf.Tensor1D[];
    const taps = axes.map((v, a) => {
      const p = tf.mul(tf.div(tf.sub(v, m.box.min[a]), m.box.max[a] - m.box.min[a]), size[a] - 1);
      const i0 = tf.floor(p);
      return { i0, f: tf.sub(p, i0) };
    });
    let hit: tf.Tensor1D = tf.zerosLike(axes[0]);
    for (let dz = 0; dz < 2; dz++) {
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const off = [dx, dy, dz];
          let ok: tf.Tensor = tf.onesLike(axes[0]);
          let flat: tf.Tensor = tf.zerosLike(axes[0]);
          const stride = [1, nx, nx * ny];
          for (let a = 0; a < 3; a++) {
            const idx = tf.add(taps[a].i0, off[a]);
            const w = off[a] ? taps[a].f : tf.sub(1, taps[a].f);
            const inRange = tf.logicalAnd(tf.greaterEqual(idx, 0), tf.less(idx, size[a]));
            ok = tf.mul(ok, tf.cast(tf.logicalAnd(inRange, tf.greater(w, 0)), 'float32'));
            flat = tf.add(flat, tf.mul(tf.clipByValue(idx, 0, size[a] - 1), stride[a]));
          }
          const occupied = tf.gather(m.data, tf.cast(flat, 'int32'));
          hit = tf.maximum(hit, tf.mul(ok, occupied)) as tf.Tensor1D;
        }
      }
    }
    return tf.cast(tf.greater(hit, 0), 'float32') as tf.Tensor1D;
  });
}

/** The alpha-mask lookup placeSlotsTf uses (maskContainsTf, or a backend's fused kernel: FieldOps.maskContains). */
export type MaskContains = (m: DeviceMask, x: tf.Tensor2D) => tf.Tensor1D;

/** A sample placement: placeSlotsTf, or a backend's fused one (FieldOps.placeSlots). */
export type PlaceSlots = (origins: tf.Tensor2D, dirs: tf.Tensor2D, u: tf.Tensor1D, o: SlotOptions, mask: DeviceMask | null) => DeviceSlots;

/**
 * The slots of rays (origins, dirs [R, 3], jitter u [R]: 0 for evaluation) on the device, in
 * plain tf ops (the reference of a backend's fused placement).
 * Caller disposes the result's tensors (or runs this inside tf.tidy).
 */
export function placeSlotsTf(
  origins: tf.Tensor2D,
  dirs: tf.Tensor2D,
  u: tf.Tensor1D,
  o: SlotOptions,
  mask: DeviceMask | null,
  maskContains: MaskContains = maskContainsTf,
): DeviceSlots {
  const R = origins.shape[0];
  const n = o.nSamples;
  return tf.tidy(() => {
    const { tIn, tOut } = rayBoxTf(origins, dirs, o.box);
    const hits = tf.greater(tOut, tIn);
    const tMin = tf.clipByValue(tIn, o.near, o.far);
    const k = deviceRange(n);
    const t = tf.add(tf.expandDims(tMin, 1), tf.mul(tf.add(tf.expandDims(k, 0), tf.expandDims(u, 1)), o.step)) as tf.Tensor2D; // [R, n]
    const x = tf.reshape(tf.add(tf.expandDims(origins, 1), tf.mul(tf.expandDims(dirs, 1), tf.expandDims(t, 2))), [R * n, 3]) as tf.Tensor2D;
    const lo = tf.tensor1d(o.box.min);
    const hi = tf.tensor1d(o.box.max);
    const inBox = tf.all(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi)), 1);
    let valid = tf.cast(tf.logicalAnd(inBox, tf.reshape(tf.tile(tf.expandDims(hits, 1), [1, n]), [R * n])), 'float32') as tf.Tensor1D;
    if (mask) valid = tf.mul(valid, maskContains(mask, x)) as tf.Tensor1D;
    const inv = o.box.max.map((v, a) => 2 / (v - o.box.min[a]));
    const coords = tf.sub(tf.mul(tf.sub(x, lo), tf.tensor1d(inv)), 1) as tf.Tensor2D;
    const delta = tf.tile(tf.expandDims(tf.mul(tf.cast(tf.less(k, n - 1), 'float32'), o.step), 0), [R, 1]) as tf.Tensor2D;
    return { nRays: R, n, coords, valid, delta, t };
  });
}

export function disposeSlots(s: DeviceSlots): void {
  tf.dispose([s.coords, s.valid, s.delta, s.t]);
}
