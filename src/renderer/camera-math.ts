/**
 * Camera math shared by the viewport and its tests (DOM-free). Poses on the wire are row-major
 * 4x4 camera-to-world matrices in the OpenGL convention (the camera looks down its -Z, +Y up),
 * which is also three.js's camera convention; three stores matrices column-major.
 */
import { MAX_FRAME_SIDE, type CameraSpec, type Quality } from '../protocol/messages';

/** Longest side of a frame while the camera moves, and once it is still. */
export const COARSE_SIDE = 64;
export const SHARP_SIDE = 160;

/** three.js `Matrix4.elements` (column-major) -> 16 row-major numbers. */
export function rowMajorFromColumnMajor(elements: ArrayLike<number>): number[] {
  if (elements.length !== 16) throw new Error(`expected 16 matrix elements, got ${elements.length}`);
  const out = new Array<number>(16);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) out[r * 4 + c] = elements[c * 4 + r];
  return out;
}

/** 16 row-major numbers -> column-major (`Matrix4.fromArray` input). The transpose is its own inverse. */
export const columnMajorFromRowMajor = rowMajorFromColumnMajor;

/** Vertical field of view from the horizontal one (camera_angle_x) and width / height. */
export function fovYFromAngleX(angleX: number, aspect: number): number {
  return 2 * Math.atan(Math.tan(angleX / 2) / aspect);
}

/** Frame size for an aspect (width / height) with the given longest side, clamped to 1..MAX_FRAME_SIDE. */
export function frameSize(aspect: number, longSide: number): { width: number; height: number } {
  const clamp = (x: number) => Math.max(1, Math.min(MAX_FRAME_SIDE, Math.round(x)));
  if (!(aspect > 0) || !Number.isFinite(aspect)) return { width: clamp(longSide), height: clamp(longSide) };
  return aspect >= 1
    ? { width: clamp(longSide), height: clamp(longSide / aspect) }
    : { width: clamp(longSide * aspect), height: clamp(longSide) };
}

/** What the viewport camera is, independent of the quality a frame is requested at. */
export interface ViewCamera {
  pose: number[]; // row-major c2w
  fovY: number; // radians
  aspect: number; // width / height of the canvas
}

/** The frame asked for: COARSE_SIDE, SHARP_SIDE or `maxSide` (full) on the long side, at most maxSide. */
export function cameraSpec(view: ViewCamera, quality: Quality, maxSide = SHARP_SIDE): CameraSpec {
  const side = quality === 'coarse' ? COARSE_SIDE : quality === 'sharp' ? SHARP_SIDE : maxSide;
  const { width, height } = frameSize(view.aspect, Math.min(side, maxSide));
  return { pose: view.pose.slice(), fovY: view.fovY, width, height };
}

/** Applies a row-major 4x4 to a point. */
function apply(m: number[], x: number, y: number, z: number): [number, number, number] {
  return [m[0] * x + m[1] * y + m[2] * z + m[3], m[4] * x + m[5] * y + m[6] * z + m[7], m[8] * x + m[9] * y + m[10] * z + m[11]];
}

/**
 * Line segments (pairs of xyz points, flat) of a small pyramid per camera: apex at the camera
 * centre, base `depth` in front of it (along -Z) spanning the field of view, plus a tick above the
 * base's top edge that shows which way is up.
 */
export function frustumSegments(poses: number[][], angleX: number, aspect: number, depth: number): Float32Array {
  const hx = Math.tan(angleX / 2) * depth;
  const hy = hx / aspect;
  const perCamera = 9 * 2 * 3; // 4 sides + 4 base edges + the up tick
  const out = new Float32Array(poses.length * perCamera);
  let k = 0;
  const push = (p: [number, number, number]) => {
    out[k++] = p[0];
    out[k++] = p[1];
    out[k++] = p[2];
  };
  for (const m of poses) {
    const apex = apply(m, 0, 0, 0);
    const corners = [apply(m, -hx, -hy, -depth), apply(m, hx, -hy, -depth), apply(m, hx, hy, -depth), apply(m, -hx, hy, -depth)];
    for (let i = 0; i < 4; i++) {
      push(apex);
      push(corners[i]);
      push(corners[i]);
      push(corners[(i + 1) % 4]);
    }
    push(apply(m, 0, hy, -depth));
    push(apply(m, 0, hy * 1.6, -depth));
  }
  return out;
}

/** A camera placed for the orbit controls: where it is, and the point it looks at (and orbits). */
export interface OrbitPlacement {
  position: [number, number, number];
  target: [number, number, number];
}

/** How far outside the farthest scene camera the first view is, and how high it looks down. */
export const START_DISTANCE = 2;
export const START_ELEVATION = (25 * Math.PI) / 180;

/**
 * The first view of a scene: outside the ring of its cameras (START_DISTANCE times the farthest
 * camera's distance from the box centre), above it at START_ELEVATION, on the side of the first
 * test (else training) camera, looking at the box centre. Without cameras: 2.5 box diagonals out.
 */
export function startView(scene: { box: { min: number[]; max: number[] }; trainPoses: number[][]; testPoses: number[][] }): OrbitPlacement {
  const c = [0, 1, 2].map((i) => (scene.box.min[i] + scene.box.max[i]) / 2) as [number, number, number];
  const poses = [...scene.testPoses, ...scene.trainPoses];
  const off = (m: number[]) => [m[3] - c[0], m[7] - c[1], m[11] - c[2]];
  let radius = 0;
  for (const m of poses) radius = Math.max(radius, Math.hypot(...off(m)));
  if (!(radius > 0)) radius = Math.hypot(...[0, 1, 2].map((i) => scene.box.max[i] - scene.box.min[i]));
  const d = poses.length > 0 ? off(poses[0]) : [1, -1, 0];
  let azimuth = Math.atan2(d[1], d[0]);
  if (!Number.isFinite(azimuth) || (d[0] === 0 && d[1] === 0)) azimuth = -Math.PI / 4;
  const r = START_DISTANCE * radius;
  const position: [number, number, number] = [
    c[0] + r * Math.cos(START_ELEVATION) * Math.cos(azimuth),
    c[1] + r * Math.cos(START_ELEVATION) * Math.sin(azimuth),
    c[2] + r * Math.sin(START_ELEVATION),
  ];
  return { position, target: c };
}

/** The indices of the cameras whose centre is within `eps` of `eye` (the camera being looked through has no frustum drawn). */
export function camerasAt(poses: readonly number[][], eye: readonly number[], eps: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < poses.length; i++) {
    const m = poses[i];
    if (Math.hypot(m[3] - eye[0], m[7] - eye[1], m[11] - eye[2]) <= eps) out.push(i);
  }
  return out;
}

/** The camera indices of one kind in an eye key ('train:1,2;test:'). */
export function hiddenOf(key: string, kind: 'train' | 'test'): number[] {
  const part = key.split(';').find((p) => p.startsWith(`${kind}:`));
  const list = part?.slice(kind.length + 1) ?? '';
  return list === '' ? [] : list.split(',').map(Number);
}
