/**
 * The occupancy (alpha) mask: a binary grid over the box it was built in, looked up with
 * trilinear interpolation (aligned corners, zero outside) and kept where the value is > 0, i.e.
 * where any corner with a non-zero interpolation weight is occupied.
 */
import type { Box, Vec3 } from './geometry';

export interface AlphaMask {
  box: Box;
  reso: Vec3; // [nx, ny, nz]
  data: Uint8Array; // index x + nx * (y + ny * z)
}

export function maskContains(m: AlphaMask, x: number, y: number, z: number): boolean {
  const [nx, ny, nz] = m.reso;
  const px = ((x - m.box.min[0]) / (m.box.max[0] - m.box.min[0])) * (nx - 1);
  const py = ((y - m.box.min[1]) / (m.box.max[1] - m.box.min[1])) * (ny - 1);
  const pz = ((z - m.box.min[2]) / (m.box.max[2] - m.box.min[2])) * (nz - 1);
  const x0 = Math.floor(px);
  const y0 = Math.floor(py);
  const z0 = Math.floor(pz);
  const fx = px - x0;
  const fy = py - y0;
  const fz = pz - z0;
  for (let dz = 0; dz < 2; dz++) {
    const zi = z0 + dz;
    const wz = dz ? fz : 1 - fz;
    if (zi < 0 || zi >= nz || wz <= 0) continue;
    for (let dy = 0; dy < 2; dy++) {
      const yi = y0 + dy;
      const wy = dy ? fy : 1 - fy;
      if (yi < 0 || yi >= ny || wy <= 0) continue;
      for (let dx = 0; dx < 2; dx++) {
        const xi = x0 + dx;
        const wx = dx ? fx : 1 - fx;
        if (xi < 0 || xi >= nx || wx <= 0) continue;
        if (m.data[xi + nx * (yi + ny * zi)]) return true;
      }
    }
  }
  return false;
}

/**
 * maskContains for one mask, its constants taken once (issue 13: sample placement tests every
 * sample): the same coordinates (the same subtraction, division and product), and for a point
 * whose cell lies inside the lattice, its corners tested directly (inside, fx = px - x0 is exact,
 * so the x0 + 1 corner counts when fx > 0 and the x0 corner always, as in maskContains); points
 * at or past the lattice's border go to maskContains itself. Held to maskContains in a test.
 */
export function maskLookup(m: AlphaMask): (x: number, y: number, z: number) => boolean {
  const [nx, ny, nz] = m.reso;
  const [x0m, y0m, z0m] = m.box.min;
  const ex = m.box.max[0] - x0m;
  const ey = m.box.max[1] - y0m;
  const ez = m.box.max[2] - z0m;
  const d = m.data;
  const sy = nx;
  const sz = nx * ny;
  return (x, y, z) => {
    const px = ((x - x0m) / ex) * (nx - 1);
    const py = ((y - y0m) / ey) * (ny - 1);
    const pz = ((z - z0m) / ez) * (nz - 1);
    const ix = Math.floor(px);
    const iy = Math.floor(py);
    const iz = Math.floor(pz);
    if (!(ix >= 0 && ix < nx - 1 && iy >= 0 && iy < ny - 1 && iz >= 0 && iz < nz - 1)) return maskContains(m, x, y, z);
    const b = ix + sy * iy + sz * iz;
    const hx = px > ix;
    const hy = py > iy;
    const hz = pz > iz;
    if (d[b] || (hx && d[b + 1])) return true;
    if (hy && (d[b + sy] || (hx && d[b + sy + 1]))) return true;
    if (!hz) return false;
    if (d[b + sz] || (hx && d[b + sz + 1])) return true;
    return hy && (d[b + sz + sy] !== 0 || (hx && d[b + sz + sy + 1] !== 0));
  };
}

/** Grid point (i, j, k) of a reso-sized lattice spanning the box corners. */
export function latticePoint(box: Box, reso: Vec3, i: number, j: number, k: number): Vec3 {
  const t = [i / (reso[0] - 1), j / (reso[1] - 1), k / (reso[2] - 1)];
  return [0, 1, 2].map((a) => box.min[a] * (1 - t[a]) + box.max[a] * t[a]) as Vec3;
}

/**
 * Binary mask from dense alpha values on the lattice: 3x3x3 max-pool (stride 1, borders see only
 * what is inside), then alpha >= threshold. Returns the mask and the box spanned by its occupied
 * lattice points (null when nothing is occupied).
 */
export function maskFromAlpha(alpha: Float32Array, box: Box, reso: Vec3, threshold: number): { mask: AlphaMask; occupied: Box | null } {
  const [nx, ny, nz] = reso;
  const pooled = maxPool3(alpha, reso);
  const data = new Uint8Array(nx * ny * nz);
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const id = i + nx * (j + ny * k);
        if (pooled[id] >= threshold) {
          data[id] = 1;
          const p = latticePoint(box, reso, i, j, k);
          for (let a = 0; a < 3; a++) {
            if (p[a] < lo[a]) lo[a] = p[a];
            if (p[a] > hi[a]) hi[a] = p[a];
          }
        }
      }
    }
  }
  const mask: AlphaMask = { box: { min: [...box.min], max: [...box.max] }, reso: [...reso], data };
  return { mask, occupied: lo[0] === Infinity ? null : { min: lo, max: hi } };
}

/** Separable 3x3x3 max filter (window clipped at the borders, like padding with -inf). */
export function maxPool3(v: Float32Array, reso: Vec3): Float32Array {
  const [nx, ny, nz] = reso;
  const strides = [1, nx, nx * ny];
  let src = v;
  for (let axis = 0; axis < 3; axis++) {
    const dst = new Float32Array(src.length);
    const n = reso[axis];
    const st = strides[axis];
    for (let id = 0; id < src.length; id++) {
      const c = Math.floor(id / st) % n;
      let m = src[id];
      if (c > 0 && src[id - st] > m) m = src[id - st];
      if (c < n - 1 && src[id + st] > m) m = src[id + st];
      dst[id] = m;
    }
    src = dst;
  }
  void ny;
  void nz;
  return src;
}
