/** Synthetic training data for the trainer tests: random rays through the Lego box, random colours. */
import type { ViewSet } from '../../../src/core/data/view-set';
import type { RayPool } from '../../../src/core/data/ray-pool';
import { resolveConfig, type TrainConfig } from '../../../src/core/config';
import { Rng } from '../../../src/core/random';
import { lookAt } from '../../../src/core/render/turntable';

/** `count` rays from radius 4 towards random points of [-1.2, 1.2]^3, unit directions, rgb in [0, 1). */
export function randomPool(count: number, seed: number): RayPool {
  const rng = new Rng(seed);
  const pool: RayPool = {
    count,
    origins: new Float32Array(3 * count),
    dirs: new Float32Array(3 * count),
    rgbs: new Float32Array(3 * count),
  };
  for (let r = 0; r < count; r++) {
    const o = [rng.normal(), rng.normal(), rng.normal()];
    const lo = Math.hypot(o[0], o[1], o[2]);
    const O = o.map((v) => (4 * v) / lo);
    const d = [0, 1, 2].map((a) => rng.uniform(-1.2, 1.2) - O[a]);
    const ld = Math.hypot(d[0], d[1], d[2]);
    for (let a = 0; a < 3; a++) {
      pool.origins[3 * r + a] = O[a];
      pool.dirs[3 * r + a] = d[a] / ld;
      pool.rgbs[3 * r + a] = rng.next();
    }
  }
  return pool;
}

/** A test split with no views (the trainer only renders it when asked to). */
export const NO_VIEWS: ViewSet = { width: 1, height: 1, focal: 1, poses: [], images: [], names: [], ids: [] };

/**
 * `n` test views of `size` x `size` pixels (at least 11, the SSIM window) from cameras at radius 4
 * looking at the origin, with random images: for runs that evaluate.
 */
export function randomViews(n: number, size = 12, seed = 3): ViewSet {
  const rng = new Rng(seed);
  const poses = Array.from({ length: n }, (_, k) => lookAt([4 * Math.cos(k), 4 * Math.sin(k), 1], [0, 0, 0], [0, 0, 1]));
  const images = poses.map(() => Float32Array.from({ length: size * size * 3 }, () => rng.next()));
  return {
    width: size,
    height: size,
    focal: size,
    poses,
    images,
    names: poses.map((_, k) => `./test/r_${k}`),
    ids: poses.map((_, k) => k),
  };
}

/**
 * A tiny cpu training config for trainer and run tests: an 8^3 grid, 2 and 3 components, a
 * 6-wide decoder, 64-ray batches, no schedule, no running evaluation; `over` changes any field.
 */
export function tinyConfig(over: Record<string, unknown> = {}): TrainConfig {
  return resolveConfig({
    preset: 'smoke',
    backend: 'cpu',
    iterations: 6,
    batchSize: 64,
    gridStart: 8,
    gridEnd: 8,
    upsampleAt: [],
    alphaMaskAt: [],
    densityComps: 2,
    appComps: 3,
    decoderWidth: 6,
    visEvery: 0,
    seed: 4,
    ...over,
  });
}
