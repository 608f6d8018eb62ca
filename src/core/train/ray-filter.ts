/**
 * The training-ray filters (rays that hit the box; rays that pass through the alpha mask) and
 * how the result is kept for a checkpoint: one flag per ray of the loaded pool, bit-packed, plus
 * a fingerprint of the loaded rays, so that a resumed run rebuilds the same pool from a fresh load
 * of the scene and notices when the scene or its loading options changed.
 */
import { createHash } from 'node:crypto';
import type { RayPool } from '../data/ray-pool';
import { type AlphaMask, maskLookup } from '../field/alpha-mask';
import { type Box, NEAR_FAR, rayBox } from '../field/geometry';

const FILTER_SAMPLES = 256;

/** Rays whose segment through `box` has positive length. */
export function raysHittingBox(pool: RayPool, box: Box): Uint8Array {
  const keep = new Uint8Array(pool.count);
  for (let i = 0; i < pool.count; i++) {
    const [a, b] = rayBox(pool.origins, 3 * i, pool.dirs, 3 * i, box);
    keep[i] = b > a ? 1 : 0;
  }
  return keep;
}

/**
 * How many rays have a stretch inside `box` between `near` and `far` (distances along the ray,
 * where the sampler places samples): a training whose rays all miss it has nothing to learn from.
 */
export function countRaysReachingBox(pool: RayPool, box: Box, near: number, far: number): number {
  let n = 0;
  for (let i = 0; i < pool.count; i++) {
    const [a, b] = rayBox(pool.origins, 3 * i, pool.dirs, 3 * i, box);
    if (b > a && a < far && b > near) n++;
  }
  return n;
}

/** Rays with any of their first 256 samples (u = 0, spacing `step`) inside the alpha mask. */
export function raysHittingMask(pool: RayPool, box: Box, step: number, mask: AlphaMask): Uint8Array {
  const keep = new Uint8Array(pool.count);
  const inMask = maskLookup(mask);
  for (let i = 0; i < pool.count; i++) {
    const o = 3 * i;
    const [tIn] = rayBox(pool.origins, o, pool.dirs, o, box);
    const tMin = Math.min(Math.max(tIn, NEAR_FAR[0]), NEAR_FAR[1]);
    for (let k = 0; k < FILTER_SAMPLES; k++) {
      const t = tMin + step * k;
      const x = pool.origins[o] + pool.dirs[o] * t;
      const y = pool.origins[o + 1] + pool.dirs[o + 1] * t;
      const z = pool.origins[o + 2] + pool.dirs[o + 2] * t;
      if (inMask(x, y, z)) {
        keep[i] = 1;
        break;
      }
    }
  }
  return keep;
}

/**
 * `source` flags the rays of the loaded pool that make up the current pool (in order); `keep`
 * flags rays of the current pool. Returns the flags over the loaded pool of the rays kept by both.
 */
export function composeKeep(source: Uint8Array, keep: Uint8Array): Uint8Array {
  const out = new Uint8Array(source.length);
  for (let i = 0, j = 0; i < source.length; i++) {
    if (!source[i]) continue;
    out[i] = keep[j++] ? 1 : 0;
  }
  return out;
}

export function countFlags(flags: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < flags.length; i++) n += flags[i] ? 1 : 0;
  return n;
}

/** 8 flags per byte, least significant bit first. */
export function packFlags(flags: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(flags.length / 8));
  for (let i = 0; i < flags.length; i++) if (flags[i]) out[i >> 3] |= 1 << (i & 7);
  return out;
}

export function unpackFlags(bits: Uint8Array, n: number): Uint8Array {
  if (bits.length !== Math.ceil(n / 8)) throw new RangeError(`${bits.length} bytes of flags for ${n} rays`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bits[i >> 3] >> (i & 7)) & 1;
  return out;
}

/**
 * SHA-256 (hex, first 16 characters) over the count and about 4096 evenly strided rays (origin,
 * direction, colour): cheap at any pool size, and different when the scene, the downscale or the
 * training views differ.
 */
export function poolFingerprint(pool: RayPool): string {
  const h = createHash('sha256');
  h.update(`${pool.count};`);
  const stride = Math.max(1, Math.floor(pool.count / 4096));
  for (let i = 0; i < pool.count; i += stride) {
    for (const a of [pool.origins, pool.dirs, pool.rgbs]) h.update(new Uint8Array(a.buffer, a.byteOffset + 12 * i, 12));
  }
  return h.digest('hex').slice(0, 16);
}
