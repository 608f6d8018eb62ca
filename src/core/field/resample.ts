/**
 * Growing (upsampling) and cropping (shrinking) the factors. Upsampling resizes planes
 * bilinearly and lines linearly with aligned corners; shrinking crops them to the lattice cells
 * that cover a new box, exactly as TensoRF's shrink() does, and returns the corrected box.
 */
import type { Param } from '../params';
import { sharedF32 } from '../shared-memory';
import { type Box, MAT_MODE, VEC_MODE, type Vec3 } from './geometry';
import type { VMField } from './vm';
import { lineShape, planeShape } from './vm-kernels';

/** Resize one axis of a channels-last array [..., n, inner] with aligned-corner linear interpolation. */
export function resizeAxis(src: Float32Array, outer: number, n: number, inner: number, m: number): Float32Array {
  const dst = sharedF32(outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const p = m === 1 ? 0 : (i * (n - 1)) / (m - 1);
      let i0 = Math.floor(p);
      if (i0 > n - 2) i0 = Math.max(0, n - 2);
      const f = n === 1 ? 0 : p - i0;
      const a = (o * n + i0) * inner;
      const b = n === 1 ? a : a + inner;
      const d = (o * m + i) * inner;
      for (let c = 0; c < inner; c++) dst[d + c] = src[a + c] * (1 - f) + src[b + c] * f;
    }
  }
  return dst;
}

function resizePlane(p: Param, H: number, W: number): void {
  const [h, w, C] = p.shape;
  const rows = resizeAxis(p.data, h, w, C, W); // [h, W, C]
  p.data = resizeAxis(rows, 1, h, W * C, H); // [H, W, C]
  p.shape = [H, W, C];
}

function resizeLine(p: Param, L: number): void {
  const [l, C] = p.shape;
  p.data = resizeAxis(p.data, 1, l, C, L);
  p.shape = [L, C];
}

export function upsampleField(f: VMField, reso: Vec3): void {
  for (let p = 0; p < 3; p++) {
    const [H, W] = planeShape(reso, p, 1);
    const [L] = lineShape(reso, p, 1);
    resizePlane(f.densityPlanes[p], H, W);
    resizePlane(f.appPlanes[p], H, W);
    resizeLine(f.densityLines[p], L);
    resizeLine(f.appLines[p], L);
  }
  f.reso = [...reso];
}

function cropPlane(p: Param, y0: number, y1: number, x0: number, x1: number): void {
  const [, w, C] = p.shape;
  const H = y1 - y0;
  const W = x1 - x0;
  const out = sharedF32(H * W * C);
  for (let y = 0; y < H; y++) out.set(p.data.subarray(((y + y0) * w + x0) * C, ((y + y0) * w + x1) * C), y * W * C);
  p.data = out;
  p.shape = [H, W, C];
}

function cropLine(p: Param, l0: number, l1: number): void {
  const C = p.shape[1];
  const out = sharedF32((l1 - l0) * C);
  out.set(p.data.subarray(l0 * C, l1 * C));
  p.data = out;
  p.shape = [l1 - l0, C];
}

/**
 * Crop the factors to newBox: lattice indices tl = round((min - box.min) / unit),
 * br = min(round((max - box.min) / unit) + 1, reso). When the mask grid differs from the field
 * grid, the box is snapped to the kept lattice (`snap`), as in the reference.
 */
export function shrinkField(f: VMField, newBox: Box, snap: boolean): void {
  const units = [0, 1, 2].map((a) => (f.box.max[a] - f.box.min[a]) / (f.reso[a] - 1));
  const tl = [0, 1, 2].map((a) => Math.max(0, Math.round((newBox.min[a] - f.box.min[a]) / units[a])));
  const br = [0, 1, 2].map((a) => Math.min(Math.round((newBox.max[a] - f.box.min[a]) / units[a]) + 1, f.reso[a]));
  for (let p = 0; p < 3; p++) {
    const v = VEC_MODE[p];
    const [m0, m1] = MAT_MODE[p];
    cropLine(f.densityLines[p], tl[v], br[v]);
    cropLine(f.appLines[p], tl[v], br[v]);
    cropPlane(f.densityPlanes[p], tl[m1], br[m1], tl[m0], br[m0]);
    cropPlane(f.appPlanes[p], tl[m1], br[m1], tl[m0], br[m0]);
  }
  let box = newBox;
  if (snap) {
    const lo = [0, 1, 2].map((a) => tl[a] / (f.reso[a] - 1));
    const hi = [0, 1, 2].map((a) => (br[a] - 1) / (f.reso[a] - 1));
    box = {
      min: [0, 1, 2].map((a) => (1 - lo[a]) * f.box.min[a] + lo[a] * f.box.max[a]) as Vec3,
      max: [0, 1, 2].map((a) => (1 - hi[a]) * f.box.min[a] + hi[a] * f.box.max[a]) as Vec3,
    };
  }
  f.box = { min: [...box.min], max: [...box.max] };
  f.reso = [0, 1, 2].map((a) => br[a] - tl[a]) as Vec3;
}
