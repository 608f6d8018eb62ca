import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import {
  cameraSpec,
  camerasAt,
  columnMajorFromRowMajor,
  fovYFromAngleX,
  frameSize,
  frustumSegments,
  rowMajorFromColumnMajor,
  startView,
} from '../../src/renderer/camera-math';

// A hand-built camera-to-world matrix, row-major as the protocol sends it: rotation rows
// (0,0,1), (1,0,0), (0,1,0) and the camera centre (1, 2, 3) in the last column.
const ROW_MAJOR = [0, 0, 1, 1, 1, 0, 0, 2, 0, 1, 0, 3, 0, 0, 0, 1];

describe('pose conversion', () => {
  it('turns three.js column-major elements into row-major numbers', () => {
    const m = new THREE.Matrix4().set(...(ROW_MAJOR as Parameters<THREE.Matrix4['set']>)); // set() takes rows
    expect(Array.from(m.elements)).not.toEqual(ROW_MAJOR); // three really stores it the other way
    expect(rowMajorFromColumnMajor(m.elements)).toEqual(ROW_MAJOR);
  });

  it('puts a camera translation in the last column of the rows', () => {
    const cam = new THREE.PerspectiveCamera();
    cam.position.set(4, -5, 6);
    cam.updateMatrixWorld();
    const pose = rowMajorFromColumnMajor(cam.matrixWorld.elements);
    expect([pose[3], pose[7], pose[11]]).toEqual([4, -5, 6]);
    expect(pose.slice(12)).toEqual([0, 0, 0, 1]);
  });

  it('round-trips through Matrix4.fromArray', () => {
    const m = new THREE.Matrix4().fromArray(columnMajorFromRowMajor(ROW_MAJOR));
    const p = new THREE.Vector3().setFromMatrixPosition(m);
    expect(p.toArray()).toEqual([1, 2, 3]);
    expect(rowMajorFromColumnMajor(m.elements)).toEqual(ROW_MAJOR);
  });

  it('rejects a matrix that is not 4x4', () => {
    expect(() => rowMajorFromColumnMajor([1, 2, 3])).toThrow(/16/);
  });
});

describe('field of view and frame size', () => {
  it('derives the vertical fov from camera_angle_x and the aspect', () => {
    expect(fovYFromAngleX(0.69, 1)).toBeCloseTo(0.69, 12);
    // 2:1 image: the vertical half-extent is half the horizontal one
    expect(Math.tan(fovYFromAngleX(1.2, 2) / 2)).toBeCloseTo(Math.tan(0.6) / 2, 12);
  });

  it('gives the longest side to the longer axis and keeps the aspect', () => {
    expect(frameSize(1, 64)).toEqual({ width: 64, height: 64 });
    expect(frameSize(16 / 9, 160)).toEqual({ width: 160, height: 90 });
    expect(frameSize(0.5, 64)).toEqual({ width: 32, height: 64 });
    expect(frameSize(1000, 64)).toEqual({ width: 64, height: 1 });
  });

  it('builds coarse and sharp camera specs', () => {
    const view = { pose: ROW_MAJOR, fovY: 0.7, aspect: 2 };
    expect(cameraSpec(view, 'coarse')).toEqual({ pose: ROW_MAJOR, fovY: 0.7, width: 64, height: 32 });
    expect(cameraSpec(view, 'sharp')).toMatchObject({ width: 160, height: 80 });
  });
});

describe('frustum lines', () => {
  it('puts the apex at the camera centre and the base in front of it, along -Z', () => {
    const seg = frustumSegments([ROW_MAJOR], Math.PI / 2, 1, 1);
    expect(seg.length).toBe(9 * 2 * 3);
    expect(Array.from(seg.slice(0, 3))).toEqual([1, 2, 3]); // apex
    // corner (-1,-1,-1) in camera space -> world: x = z_c + 1, y = x_c + 2, z = y_c + 3
    expect(Array.from(seg.slice(3, 6)).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 1, 2]);
  });
});

describe('the first view of a scene', () => {
  // a ring of 8 cameras at radius 4, heights 0.5..2, all looking at the origin
  const ring = Array.from({ length: 8 }, (_, i) => {
    const a = (i / 8) * 2 * Math.PI;
    const z = 0.5 + (i % 4) * 0.5;
    return [1, 0, 0, 4 * Math.cos(a), 0, 1, 0, 4 * Math.sin(a), 0, 0, 1, z, 0, 0, 0, 1];
  });
  const scene = { box: { min: [-1.5, -1.5, -1.5], max: [1.5, 1.5, 1.5] }, trainPoses: ring, testPoses: ring.slice(0, 4) };

  it('is outside the ring of cameras, above it, looking at the box centre', () => {
    const v = startView(scene);
    const far = Math.max(...ring.map((m) => Math.hypot(m[3], m[7], m[11])));
    expect(Math.hypot(...v.position)).toBeGreaterThan(1.2 * far);
    expect(Math.hypot(v.position[0], v.position[1])).toBeGreaterThan(far); // outside the ring seen from above too
    expect(v.position[2]).toBeGreaterThan(Math.max(...ring.map((m) => m[11])));
    expect(v.target).toEqual([0, 0, 0]);
    // on the first test camera's side
    expect(v.position[0]).toBeGreaterThan(0);
    expect(Math.abs(v.position[1])).toBeLessThan(1e-9);
  });

  it('without cameras, stands back from the box', () => {
    const v = startView({ box: { min: [0, 0, 0], max: [2, 2, 2] }, trainPoses: [], testPoses: [] });
    expect(v.target).toEqual([1, 1, 1]);
    expect(Math.hypot(v.position[0] - 1, v.position[1] - 1, v.position[2] - 1)).toBeGreaterThan(3);
  });

  it('finds the camera being looked through (its frustum is not drawn)', () => {
    expect(camerasAt(ring, [ring[3][3], ring[3][7], ring[3][11]], 1e-3)).toEqual([3]);
    expect(camerasAt(ring, [0, 0, 6], 1e-3)).toEqual([]);
  });
});
