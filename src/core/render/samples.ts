/**
 * Sample placement along rays (DESIGN.md section 4): t_k = t_min + step * (k + u), k < N, with
 * t_min the box entry clamped to [near, far], one u ~ U(0,1) per ray in training (u = 0 for
 * evaluation). Samples outside the box or outside the alpha mask are dropped (sigma 0); the kept
 * ones are packed ray by ray with their normalised coordinates and delta (step, or 0 for k = N-1).
 */
import { type AlphaMask, maskLookup } from '../field/alpha-mask';
import { type Box, rayBox } from '../field/geometry';
import type { Rng } from '../random';
import type { Packing } from './composite';

export interface SamplePlan extends Packing {
  count: number; // packed samples S
  coords: Float32Array; // S * 3, normalised to [-1, 1] over the box
  t: Float32Array; // S, distance along the ray
  rayOf: Int32Array; // S
}

export interface SampleOptions {
  box: Box;
  step: number;
  nSamples: number;
  near: number;
  far: number;
  jitter: Rng | null;
  mask: AlphaMask | null;
}

export function planSamples(origins: Float32Array, dirs: Float32Array, nRays: number, o: SampleOptions): SamplePlan {
  let cap = Math.max(1024, nRays * 64);
  let coords: Float32Array = new Float32Array(cap * 3);
  let ts: Float32Array = new Float32Array(cap);
  let delta: Float32Array = new Float32Array(cap);
  let rayOf: Int32Array = new Int32Array(cap);
  const rayStart = new Int32Array(nRays + 1);
  const { min, max } = o.box;
  const inv = [2 / (max[0] - min[0]), 2 / (max[1] - min[1]), 2 / (max[2] - min[2])];
  const inMask = o.mask ? maskLookup(o.mask) : null;
  let S = 0;
  for (let r = 0; r < nRays; r++) {
    rayStart[r] = S;
    const [tIn, tOut] = rayBox(origins, 3 * r, dirs, 3 * r, o.box);
    const u = o.jitter ? o.jitter.next() : 0;
    if (!(tOut > tIn)) continue;
    const tMin = Math.min(Math.max(tIn, o.near), o.far);
    const ox = origins[3 * r];
    const oy = origins[3 * r + 1];
    const oz = origins[3 * r + 2];
    const dx = dirs[3 * r];
    const dy = dirs[3 * r + 1];
    const dz = dirs[3 * r + 2];
    const kFirst = Math.max(0, Math.floor((tIn - tMin) / o.step - u) - 1);
    for (let k = kFirst; k < o.nSamples; k++) {
      const t = tMin + o.step * (k + u);
      if (t > tOut + o.step) break;
      const x = ox + dx * t;
      const y = oy + dy * t;
      const z = oz + dz * t;
      if (x < min[0] || x > max[0] || y < min[1] || y > max[1] || z < min[2] || z > max[2]) continue;
      if (inMask && !inMask(x, y, z)) continue;
      if (S === cap) {
        cap *= 2;
        coords = grow(coords, cap * 3);
        ts = grow(ts, cap);
        delta = grow(delta, cap);
        rayOf = growI(rayOf, cap);
      }
      coords[3 * S] = (x - min[0]) * inv[0] - 1;
      coords[3 * S + 1] = (y - min[1]) * inv[1] - 1;
      coords[3 * S + 2] = (z - min[2]) * inv[2] - 1;
      ts[S] = t;
      delta[S] = k === o.nSamples - 1 ? 0 : o.step;
      rayOf[S] = r;
      S++;
    }
  }
  rayStart[nRays] = S;
  return {
    count: S,
    coords: coords.subarray(0, 3 * S),
    t: ts.subarray(0, S),
    delta: delta.subarray(0, S),
    rayOf: rayOf.subarray(0, S),
    rayStart,
  };
}

function grow(a: Float32Array, n: number): Float32Array {
  const b = new Float32Array(n);
  b.set(a);
  return b;
}
function growI(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
