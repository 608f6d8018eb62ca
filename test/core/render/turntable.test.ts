// Turntable cameras: on a circle around +Z at the reference camera's radius and height, looking
// at the origin, with a right-handed orthonormal rotation (OpenGL: the camera looks along -Z).
import { describe, expect, it } from 'vitest';
import { lookAt, scaledFocal, turntablePose, turntablePoses } from '../../../src/core/render/turntable';

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

  it('with an elevation: at the reference distance, that many degrees above the XY plane, looking at the origin', () => {
    const ref = lookAt([3, -2, 2.5], [0, 0, 0], [0, 0, 1]);
    const d = Math.hypot(3, -2, 2.5);
    for (const el of [30, -15, 0, 89]) {
      for (const i of [0, 3]) {
        const m = turntablePose(ref, i, 8, el);
        const eye = col(m, 3);
        expect(Math.hypot(...eye)).toBeCloseTo(d, 5);
        expect((Math.atan2(eye[2], Math.hypot(eye[0], eye[1])) * 180) / Math.PI).toBeCloseTo(el, 3);
        // by hand: the azimuth steps from the reference's as without an elevation
        const a = Math.atan2(-2, 3) + (2 * Math.PI * i) / 8;
        const r = d * Math.cos((el * Math.PI) / 180);
        expect(eye[0]).toBeCloseTo(r * Math.cos(a), 5);
        expect(eye[1]).toBeCloseTo(r * Math.sin(a), 5);
        const forward = col(m, 2).map((v) => -v);
        expect(
          dot(
            forward,
            eye.map((v) => -v / d),
          ),
        ).toBeCloseTo(1, 5);
      }
    }
  });

  it('scaledFocal keeps the horizontal field of view: 2 atan(w/2f) is the same', () => {
    const f = scaledFocal(1111.1, 800, 320);
    expect(f).toBeCloseTo(444.44, 2);
    expect(2 * Math.atan(160 / f)).toBeCloseTo(2 * Math.atan(400 / 1111.1), 10);
  });
});
