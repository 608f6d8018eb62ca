/**
 * Alpha-mask update (DESIGN.md section 4): dense alpha = 1 - exp(-sigma * step) on a lattice over
 * the current box (zero where the previous mask is empty), 3x3x3 max-pool, threshold; returns the
 * new mask and the box of its occupied lattice points.
 */
import { type AlphaMask, latticePoint, maskContains, maskFromAlpha } from './alpha-mask';
import type { Box, Vec3 } from './geometry';
import { densityFactors, type VMField } from './vm';
import { vmForward } from './vm-kernels';

export const ALPHA_MASK_THRESHOLD = 1e-4;

export function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

export function denseAlpha(field: VMField, reso: Vec3, step: number, prev: AlphaMask | null, densityShift: number): Float32Array {
  const [nx, ny, nz] = reso;
  const out = new Float32Array(nx * ny * nz);
  const factors = densityFactors(field);
  const coords = new Float32Array(nx * ny * 3);
  for (let k = 0; k < nz; k++) {
    // one z-slice at a time keeps memory small
    let n = 0;
    const keep = new Uint8Array(nx * ny);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const id = i + nx * j;
        const p = latticePoint(field.box, reso, i, j, k);
        if (prev && !maskContains(prev, p[0], p[1], p[2])) continue;
        keep[id] = 1;
        coords[3 * n] = nx > 1 ? (2 * i) / (nx - 1) - 1 : 0;
        coords[3 * n + 1] = ny > 1 ? (2 * j) / (ny - 1) - 1 : 0;
        coords[3 * n + 2] = nz > 1 ? (2 * k) / (nz - 1) - 1 : 0;
        n++;
      }
    }
    const feat = vmForward(factors, coords, n, 'sum');
    for (let id = 0, s = 0; id < nx * ny; id++) {
      if (!keep[id]) continue;
      out[id + nx * ny * k] = 1 - Math.exp(-softplus(feat[s++] + densityShift) * step);
    }
  }
  return out;
}

export function updateAlphaMask(
  field: VMField,
  reso: Vec3,
  step: number,
  prev: AlphaMask | null,
  densityShift: number,
): { mask: AlphaMask; occupied: Box | null } {
  const alpha = denseAlpha(field, reso, step, prev, densityShift);
  return maskFromAlpha(alpha, field.box, reso, ALPHA_MASK_THRESHOLD);
}
