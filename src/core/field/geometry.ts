/** Scene box, grid resolution and sample-count formulas of TensoRF (DESIGN.md section 4). */

export type Vec3 = [number, number, number];
export interface Box {
  min: Vec3;
  max: Vec3;
}

/** Plane axes per pair (XY, XZ, YZ) and the line axis that completes each pair (Z, Y, X). */
export const MAT_MODE: readonly [number, number][] = [
  [0, 1],
  [0, 2],
  [1, 2],
];
export const VEC_MODE: readonly number[] = [2, 1, 0];

export const LEGO_BOX: Box = { min: [-1.5, -1.5, -1.5], max: [1.5, 1.5, 1.5] };
export const NEAR_FAR: [number, number] = [2, 6];

export function boxSize(box: Box): Vec3 {
  return [box.max[0] - box.min[0], box.max[1] - box.min[1], box.max[2] - box.min[2]];
}

/** Per-axis resolution for a voxel budget: voxel side = cbrt(volume / n), res = floor(size / side). */
export function nToReso(nVoxels: number, box: Box): Vec3 {
  const s = boxSize(box);
  const voxel = Math.cbrt((s[0] * s[1] * s[2]) / nVoxels);
  // The small epsilon keeps exact cubes (128^3 in a cube) from flooring to 127 by round-off.
  return s.map((x) => Math.max(2, Math.floor(x / voxel + 1e-6))) as Vec3;
}

/** TensoRF's step_ratio: the ray-marching step is half a voxel. */
export const STEP_RATIO = 0.5;

/** step = mean(box size / (res - 1)) * stepRatio. */
export function stepSize(box: Box, reso: Vec3, stepRatio: number): number {
  const s = boxSize(box);
  const units = s.map((x, i) => x / (reso[i] - 1));
  return ((units[0] + units[1] + units[2]) / 3) * stepRatio;
}

/** Samples per ray used in training: int(|reso| / stepRatio) (443 at 128^3, 1039 at 300^3). */
export function nSamplesTrain(reso: Vec3, stepRatio: number): number {
  return Math.floor(Math.hypot(reso[0], reso[1], reso[2]) / stepRatio);
}

/** Samples per ray when rendering for evaluation: int(|box diagonal| / step) + 1. */
export function nSamplesEval(box: Box, step: number): number {
  const s = boxSize(box);
  return Math.floor(Math.hypot(s[0], s[1], s[2]) / step) + 1;
}

/** Voxel counts after each upsampling: round(exp(linspace(ln n0, ln n1, k+1)))[1:]. */
export function upsampleVoxelCounts(sideStart: number, sideEnd: number, steps: number): number[] {
  const a = Math.log(sideStart ** 3);
  const b = Math.log(sideEnd ** 3);
  const out: number[] = [];
  for (let i = 1; i <= steps; i++) out.push(Math.round(Math.exp(a + ((b - a) * i) / steps)));
  return out;
}

/**
 * Ray/box entry and exit (slab test). Zero direction components are replaced by 1e-6 as in the
 * reference. Returns [tEntry, tExit]; the ray misses when tExit <= tEntry.
 */
export function rayBox(o: ArrayLike<number>, oOff: number, d: ArrayLike<number>, dOff: number, box: Box): [number, number] {
  let tMin = -Infinity;
  let tMax = Infinity;
  for (let a = 0; a < 3; a++) {
    const v = d[dOff + a] === 0 ? 1e-6 : d[dOff + a];
    const ta = (box.max[a] - o[oOff + a]) / v;
    const tb = (box.min[a] - o[oOff + a]) / v;
    tMin = Math.max(tMin, Math.min(ta, tb));
    tMax = Math.min(tMax, Math.max(ta, tb));
  }
  return [tMin, tMax];
}

/** A box as a log line writes it: `[x,y,z]..[x,y,z]`, 3 decimals. */
export function formatBox(b: Box): string {
  const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(',');
  return `[${f(b.min)}]..[${f(b.max)}]`;
}
