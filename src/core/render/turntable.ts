/** The most turntable frames `npm run render` makes (one every 0.1 degree). */
export const MAX_TURNTABLE_FRAMES = 3600;
/** The largest side of a turntable frame, pixels (the app's frame limit). */
export const MAX_TURNTABLE_SIDE = 800;
/** The steepest elevation, degrees: at +-90 the camera's up direction would be undefined. */
export const MAX_TURNTABLE_ELEVATION = 89;

/** Camera poses circling the scene's vertical (+Z) axis, at the radius and height of a reference camera, looking at the origin. */
export function turntablePoses(reference: Float32Array, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => turntablePose(reference, i, count));
}

/**
 * Pose `i` of `count` of turntablePoses, computed alone (a long turntable never holds every pose).
 * With `elevationDeg` the circle is at that angle above the XY plane, at the reference camera's
 * distance from the origin (instead of at its height).
 */
export function turntablePose(reference: Float32Array, i: number, count: number, elevationDeg?: number): Float32Array {
  const [x, y, z] = [reference[3], reference[7], reference[11]];
  const a = Math.atan2(y, x) + (2 * Math.PI * i) / count;
  const el = elevationDeg === undefined ? null : (elevationDeg * Math.PI) / 180;
  const distance = Math.hypot(x, y, z);
  const radius = el === null ? Math.hypot(x, y) : distance * Math.cos(el);
  const height = el === null ? z : distance * Math.sin(el);
  return lookAt([radius * Math.cos(a), radius * Math.sin(a), height], [0, 0, 0], [0, 0, 1]);
}

/** Focal length (pixels) of a `width`-pixel frame with the horizontal field of view of a reference camera. */
export function scaledFocal(refFocal: number, refWidth: number, width: number): number {
  return (refFocal * width) / refWidth;
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
