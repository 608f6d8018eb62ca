/** The most turntable frames `npm run render` makes (one every 0.1 degree). */
export const MAX_TURNTABLE_FRAMES = 3600;

/** Camera poses circling the scene's vertical (+Z) axis, at the radius and height of a reference camera, looking at the origin. */
export function turntablePoses(reference: Float32Array, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => turntablePose(reference, i, count));
}

/** Pose `i` of `count` of turntablePoses, computed alone (a long turntable never holds every pose). */
export function turntablePose(reference: Float32Array, i: number, count: number): Float32Array {
  const [x, y, z] = [reference[3], reference[7], reference[11]];
  const a = Math.atan2(y, x) + (2 * Math.PI * i) / count;
  const radius = Math.hypot(x, y);
  return lookAt([radius * Math.cos(a), radius * Math.sin(a), z], [0, 0, 0], [0, 0, 1]);
}

/** Row-major c2w for an OpenGL camera at `eye` looking at `target` (camera -Z forward, +Y up). */
export function lookAt(eye: number[], target: number[], up: number[]): Float32Array {
  const norm = (v: number[]) => {
    const l = Math.hypot(v[0], v[1], v[2]);
    return v.map((c) => c / l);
  };
  const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const back = norm([eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]]); // camera +Z
  const right = norm(cross(up, back)); // camera +X
  const camUp = cross(back, right); // camera +Y
  return Float32Array.from([
    right[0],
    camUp[0],
    back[0],
    eye[0],
    right[1],
    camUp[1],
    back[1],
    eye[1],
    right[2],
    camUp[2],
    back[2],
    eye[2],
    0,
    0,
    0,
    1,
  ]);
}
