// Turntable cameras: on a circle around +Z at the reference camera's radius and height, looking
// at the origin, with a right-handed orthonormal rotation (OpenGL: the camera looks along -Z).
import { describe, expect, it } from 'vitest';
import { lookAt, turntablePoses } from '../../../src/core/render/turntable';

const col = (m: Float32Array, c: number) => [m[c], m[4 + c], m[8 + c]];
const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

describe('turntable', () => {
  it('lookAt from (4, 0, 0) to the origin: forward -X, right +Y, up +Z (by hand)', () => {
    const m = lookAt([4, 0, 0], [0, 0, 0], [0, 0, 1]);
    // back = +X, right = up x back = Z x X = +Y, camera up = back x right = X x Y = +Z
    expect(col(m, 0).map((v) => +v.toFixed(6))).toEqual([0, 1, 0]);
    expect(col(m, 1).map((v) => +v.toFixed(6))).toEqual([0, 0, 1]);
    expect(col(m, 2).map((v) => +v.toFixed(6))).toEqual([1, 0, 0]);
    expect(col(m, 3)).toEqual([4, 0, 0]);
    expect([...m.slice(12)]).toEqual([0, 0, 0, 1]);
  });

  it('poses circle the reference camera radius and height and look at the origin', () => {
    const ref = lookAt([3, -2, 2.5], [0, 0, 0], [0, 0, 1]);
    const poses = turntablePoses(ref, 8);
    expect(poses).toHaveLength(8);
    poses.forEach((m, i) => {
      const eye = col(m, 3);
      expect(Math.hypot(eye[0], eye[1])).toBeCloseTo(Math.hypot(3, -2), 5);
      expect(eye[2]).toBeCloseTo(2.5, 5);
      const forward = col(m, 2).map((v) => -v); // camera looks along -Z
      const toOrigin = eye.map((v) => -v / Math.hypot(...eye));
      expect(dot(forward, toOrigin)).toBeCloseTo(1, 5);
      const [x, y, z] = [col(m, 0), col(m, 1), col(m, 2)];
      expect(dot(x, y)).toBeCloseTo(0, 6);
      expect(dot(x, x)).toBeCloseTo(1, 6);
      expect(
        cross(x, y)
          .map((v, k) => v - z[k])
          .every((d) => Math.abs(d) < 1e-6),
      ).toBe(true);
      expect(Math.atan2(eye[1], eye[0])).toBeCloseTo(
        Math.atan2(Math.sin(Math.atan2(-2, 3) + (2 * Math.PI * i) / 8), Math.cos(Math.atan2(-2, 3) + (2 * Math.PI * i) / 8)),
        5,
      );
    });
  });
});
