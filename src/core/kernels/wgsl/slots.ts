/**
 * WGSL for the fused sample placement (the tfjs glue is kernels/webgpu-slots.ts): the numbers of
 * placeSlotsTf (render/device-slots.ts) for one slot per invocation, slot = r * n + k, instead of
 * some 30 tfjs programs over [R, n] and [R * n, 3] arrays. The same float32 operations in the same
 * order as the reference:
 *
 *   d' = d with 0 components as 1e-6;  ta = (max - o) / d',  tb = (min - o) / d'
 *   tIn = max_a min(ta, tb),  tOut = min_a max(ta, tb),  hits = tOut > tIn
 *   t = clamp(tIn, near, far) + (k + u_r) * step,  x = o + d * t
 *   valid = hits and min <= x <= max (closed) and the alpha mask contains x (mask-contains.ts)
 *   coords = (x - min) * (2 / (max - min)) - 1
 *
 * One source, four outputs (a tfjs program writes one buffer): 'coords' [R * n, 3], 'valid'
 * [R * n], 't' [R * n] and 'delta' [R * n] (step, 0 in a ray's last slot); the geometry is
 * recomputed by each (a few dozen flops a slot, left to the compiler to drop for delta). Box,
 * step, near, far and n come from the uniforms, so one pipeline per output serves every shape.
 */
import { maskLookup } from './mask-contains';

export type SlotOutput = 'coords' | 'valid' | 't' | 'delta';

/** The program's body; with `hasMask` the inputs are origins, dirs, u, mask, else origins, dirs, u. */
export function slotsSource(main: string, what: SlotOutput, hasMask: boolean): string {
  const body = {
    t: `result[index] = t;`,
    delta: `result[index] = select(0.0, uniforms.step, k < n - 1);`,
    coords: `
  let c = (x - uniforms.boxMin) * uniforms.inv - vec3<f32>(1.0);
  result[3 * index] = c.x; result[3 * index + 1] = c.y; result[3 * index + 2] = c.z;`,
    valid: `
  var ok = hits && all(x >= uniforms.boxMin) && all(x <= uniforms.boxMax);${hasMask ? `\n  if (ok) { ok = maskHit(x); }` : ''}
  result[index] = select(0.0, 1.0, ok);`,
  }[what];
  return `${hasMask && what === 'valid' ? maskLookup() : ''}
${main} {
  if (index >= uniforms.slots) { return; }
  let n = uniforms.n;
  let r = index / n;
  let k = index - r * n;
  let o = vec3<f32>(f32(origins[3 * r]), f32(origins[3 * r + 1]), f32(origins[3 * r + 2]));
  let d = vec3<f32>(f32(dirs[3 * r]), f32(dirs[3 * r + 1]), f32(dirs[3 * r + 2]));
  let dd = select(d, vec3<f32>(1e-6), d == vec3<f32>(0.0));
  let ta = (uniforms.boxMax - o) / dd;
  let tb = (uniforms.boxMin - o) / dd;
  let lo = min(ta, tb);
  let hi = max(ta, tb);
  let tIn = max(max(lo.x, lo.y), lo.z);
  let tOut = min(min(hi.x, hi.y), hi.z);
  let hits = tOut > tIn;
  let tMin = min(max(tIn, uniforms.near), uniforms.far);
  let t = tMin + (f32(k) + f32(u[r])) * uniforms.step;
  let x = o + d * t;${body}
}
`;
}
