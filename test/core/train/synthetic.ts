/** Synthetic training data for the trainer tests: random rays through the Lego box, random colours. */
import { type ViewSet } from '../../../src/core/data/view-set';
import type { RayPool } from '../../../src/core/data/ray-pool';
import { Rng } from '../../../src/core/random';

/** `count` rays from radius 4 towards random points of [-1.2, 1.2]^3, unit directions, rgb in [0, 1). */
export function randomPool(count: number, seed: number): RayPool {
  const rng = new Rng(seed);
  const pool: RayPool = { count, origins: new Float32Array(3 * count), dirs: new Float32Array(3 * count), rgbs: new Float32Array(3 * count) };
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
