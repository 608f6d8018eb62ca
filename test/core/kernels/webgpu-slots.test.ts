/**
 * The fused sample placement (kernels/webgpu-slots.ts) against placeSlotsTf (plain tf ops, with
 * maskContainsTf) on the same device: coords, valid, t and delta for several shapes in a row (the
 * sizes and the box are uniforms), with and without an alpha mask, with and without jitter.
 * Rays: from a shell around the box towards points near it (some miss it), axis-aligned ones
 * (zero direction components) and some starting inside the box. Skipped with
 * TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type { AlphaMask } from '../../../src/core/field/alpha-mask';
import type { Box } from '../../../src/core/field/geometry';
import { placeSlotsWebgpu } from '../../../src/core/kernels/webgpu-slots';
import type { DeviceSlots } from '../../../src/core/kernels/device-kernels';
import { disposeSlots, maskContainsTf, placeSlotsTf, uploadMask } from '../../../src/core/render/device-slots';
import { Rng } from '../../../src/core/random';
import { requireWebgpu } from '../webgpu-session';
import { webgpuSuite } from './webgpu-suite';

const BOX: Box = { min: [-1.2, -1.3, -1.5], max: [1.5, 1.5, 1.3] };

function rays(rng: Rng, count: number): { o: Float32Array; d: Float32Array } {
  const o = new Float32Array(3 * count);
  const d = new Float32Array(3 * count);
  for (let r = 0; r < count; r++) {
    const kind = r % 4;
    const from = [0, 1, 2].map(() => rng.normal());
    const len = Math.hypot(...from);
    const start = kind === 3 ? from.map((v) => v * 0.2) : from.map((v) => (4 * v) / len); // inside, or on a shell of radius 4
    const aim = [0, 1, 2].map(() => rng.uniform(-2, 2)); // some miss the box
    let dir = aim.map((v, a) => v - start[a]);
    if (kind === 2) dir = dir.map((v, a) => (a === r % 3 ? v : 0)); // axis-aligned: two zero components
    const dl = Math.hypot(...dir) || 1;
    for (let a = 0; a < 3; a++) {
      o[3 * r + a] = start[a];
      d[3 * r + a] = dir[a] / dl;
    }
  }
  return { o, d };
}

function randomMask(rng: Rng, reso: [number, number, number]): AlphaMask {
  const box: Box = { min: [-1.1, -1.2, -1.4], max: [1.4, 1.3, 1.2] }; // not the field's box
  return { box, reso, data: Uint8Array.from({ length: reso[0] * reso[1] * reso[2] }, () => (rng.uniform(0, 1) < 0.4 ? 1 : 0)) };
}

async function values(s: DeviceSlots): Promise<Record<string, Float32Array>> {
  return {
    coords: (await s.coords.data()) as Float32Array,
    valid: (await s.valid.data()) as Float32Array,
    t: (await s.t.data()) as Float32Array,
    delta: (await s.delta.data()) as Float32Array,
  };
}

describe('placeSlotsWebgpu', () => {
  const suite = webgpuSuite();

  const CASES: { R: number; n: number; step: number; mask: [number, number, number] | null; jitter: boolean }[] = [
    { R: 64, n: 40, step: 0.1, mask: null, jitter: true },
    { R: 257, n: 111, step: 0.035, mask: [16, 17, 15], jitter: true },
    { R: 5, n: 3, step: 0.9, mask: [2, 2, 2], jitter: false },
    { R: 1000, n: 161, step: 0.03, mask: [32, 32, 32], jitter: false },
    { R: 1, n: 1, step: 0.5, mask: null, jitter: false },
  ];

  it('matches placeSlotsTf on the same device for several shapes in a row', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(5);
    for (const c of CASES) {
      const { o, d } = rays(rng, c.R);
      const origins = tf.tensor2d(o, [c.R, 3]);
      const dirs = tf.tensor2d(d, [c.R, 3]);
      const u = tf.tensor1d(Float32Array.from({ length: c.R }, () => (c.jitter ? rng.uniform(0, 1) : 0)));
      const mask = c.mask ? uploadMask(randomMask(rng, c.mask)) : null;
      const opts = { box: BOX, step: c.step, nSamples: c.n, near: 2, far: 6 };
      const fused = placeSlotsWebgpu(origins, dirs, u, opts, mask);
      const plain = placeSlotsTf(origins, dirs, u, opts, mask, maskContainsTf);
      const label = `R ${c.R}, n ${c.n}, mask ${c.mask}`;
      expect(fused.coords.shape, label).toEqual([c.R * c.n, 3]);
      expect(fused.valid.shape, label).toEqual([c.R * c.n]);
      expect(fused.t.shape, label).toEqual([c.R, c.n]);
      expect(fused.delta.shape, label).toEqual([c.R, c.n]);
      const [got, want] = [await values(fused), await values(plain)];
      for (const key of Object.keys(want)) expect(Array.from(got[key]), `${label}: ${key}`).toEqual(Array.from(want[key]));
      const validCount = got.valid.reduce((a, v) => a + v, 0);
      if (c.R >= 64) expect(validCount, `${label}: some slots are valid, not all`).toBeGreaterThan(0);
      if (c.R >= 64) expect(validCount, label).toBeLessThan(c.R * c.n);
      disposeSlots(fused);
      disposeSlots(plain);
      tf.dispose([origins, dirs, u, ...(mask ? [mask.data] : [])]);
    }
    expect(suite.watch?.clashes()).toEqual([]);
  });

  it('rejects inputs of the wrong shape', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const o = tf.zeros([4, 3]) as tf.Tensor2D;
    const d = tf.zeros([4, 2]) as tf.Tensor2D;
    const u = tf.zeros([4]) as tf.Tensor1D;
    expect(() => placeSlotsWebgpu(o, d, u, { box: BOX, step: 0.1, nSamples: 4, near: 2, far: 6 }, null)).toThrow(
      /placeSlotsWebgpu: expected origins and dirs \[R, 3\] and u \[R\], got \[4,3\], \[4,2\], \[4\]/,
    );
    tf.dispose([o, d, u]);
  });
});
