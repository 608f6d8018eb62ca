/**
 * Camera -> rays, in the OpenGL/Blender convention of the NeRF-synthetic scenes (DESIGN.md s.4):
 * pixel (i = column, j = row) has camera-space direction ((i+0.5-W/2)/f, -(j+0.5-H/2)/f, -1),
 * rotated by the camera-to-world rotation and normalized; the origin is the c2w translation.
 */
import type { SceneSplit } from './nerf-synthetic';

export interface Rays {
  origins: Float32Array; // count*3
  dirs: Float32Array; // count*3, unit length
  count: number;
}

/** Rays of every pixel of one camera, row-major (index j*W + i). `pose` is row-major 4x4 c2w. */
export function cameraRays(pose: Float32Array, width: number, height: number, focal: number): Rays {
  const count = width * height;
  const origins = new Float32Array(count * 3);
  const dirs = new Float32Array(count * 3);
  writeCameraRays(pose, width, height, focal, origins, dirs, 0);
  return { origins, dirs, count };
}

/** Rays and colours of all pixels of all images of a split: image-major, then row-major. */
export function splitRays(split: SceneSplit): Rays & { rgbs: Float32Array } {
  const { width, height, focal } = split;
  const per = width * height;
  const count = per * split.images.length;
  const origins = new Float32Array(count * 3);
  const dirs = new Float32Array(count * 3);
  const rgbs = new Float32Array(count * 3);
  split.images.forEach((img, k) => {
    writeCameraRays(split.frames[k].pose, width, height, focal, origins, dirs, k * per * 3);
    const [h, w, c] = img.shape;
    if (h !== height || w !== width || c !== 3) {
      throw new Error(`splitRays: image ${k} has shape [${img.shape}], expected [${height}, ${width}, 3]`);
    }
    const [s0, s1, s2] = img.stride;
    const base = k * per * 3;
    if (img.offset === 0 && s0 === width * 3 && s1 === 3 && s2 === 1 && img.data.length >= per * 3) {
      rgbs.set(img.data.subarray(0, per * 3), base);
    } else {
      for (let j = 0, o = base; j < height; j++) {
        for (let i = 0; i < width; i++, o += 3) {
          rgbs[o] = img.get(j, i, 0);
          rgbs[o + 1] = img.get(j, i, 1);
          rgbs[o + 2] = img.get(j, i, 2);
        }
      }
    }
  });
  return { origins, dirs, rgbs, count };
}

function writeCameraRays(
  pose: Float32Array,
  width: number,
  height: number,
  focal: number,
  origins: Float32Array,
  dirs: Float32Array,
  offset: number,
): void {
  if (pose.length !== 16) throw new Error(`cameraRays: pose must have 16 values, got ${pose.length}`);
  const r00 = pose[0],
    r01 = pose[1],
    r02 = pose[2],
    tx = pose[3];
  const r10 = pose[4],
    r11 = pose[5],
    r12 = pose[6],
    ty = pose[7];
  const r20 = pose[8],
    r21 = pose[9],
    r22 = pose[10],
    tz = pose[11];
  const inv = 1 / focal;
  let o = offset;
  for (let j = 0; j < height; j++) {
    const y = -(j + 0.5 - height / 2) * inv;
    for (let i = 0; i < width; i++, o += 3) {
      const x = (i + 0.5 - width / 2) * inv;
      // d = R * (x, y, -1)
      const dx = r00 * x + r01 * y - r02;
      const dy = r10 * x + r11 * y - r12;
      const dz = r20 * x + r21 * y - r22;
      const s = 1 / Math.sqrt(dx * dx + dy * dy + dz * dz);
      dirs[o] = dx * s;
      dirs[o + 1] = dy * s;
      dirs[o + 2] = dz * s;
      origins[o] = tx;
      origins[o + 1] = ty;
      origins[o + 2] = tz;
    }
  }
}
