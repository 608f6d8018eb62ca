import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import { DOLLY_FACTOR, MIN_DISTANCE, ORBIT_STEP, keyAction, moveCamera } from '../../src/renderer/camera-keys';
import type { OrbitPlacement } from '../../src/renderer/camera-math';

const P: OrbitPlacement = { position: [4, -4, 3], target: [1, 1, 0.5] };
const dist = (p: OrbitPlacement) => Math.hypot(p.position[0] - p.target[0], p.position[1] - p.target[1], p.position[2] - p.target[2]);

describe('keyAction', () => {
  it('maps WASD, the arrows and space, in either case', () => {
    expect(['w', 'W', 'ArrowUp'].map((k) => keyAction(k))).toEqual(['in', 'in', 'in']);
    expect(['s', 'S', 'ArrowDown'].map((k) => keyAction(k))).toEqual(['out', 'out', 'out']);
    expect(['a', 'A', 'ArrowLeft'].map((k) => keyAction(k))).toEqual(['left', 'left', 'left']);
    expect(['d', 'D', 'ArrowRight'].map((k) => keyAction(k))).toEqual(['right', 'right', 'right']);
    expect(keyAction(' ')).toBe('pause');
  });

  it("ignores other keys and chords with modifiers (Ctrl+W, Ctrl+D are the browser's)", () => {
    expect(keyAction('q')).toBeNull();
    expect(keyAction('Enter')).toBeNull();
    expect(keyAction('w', true)).toBeNull();
  });
});

describe('moveCamera', () => {
  it('dollies along the line to the target, keeping the target', () => {
    const n = moveCamera(P, 'in');
    expect(n.target).toEqual(P.target);
    expect(dist(n)).toBeCloseTo(dist(P) * DOLLY_FACTOR, 12);
    // still on the same ray from the target: the offsets are proportional
    const k = (n.position[0] - 1) / (P.position[0] - 1);
    expect((n.position[1] - 1) / (P.position[1] - 1)).toBeCloseTo(k, 12);
    expect((n.position[2] - 0.5) / (P.position[2] - 0.5)).toBeCloseTo(k, 12);
    const back = moveCamera(n, 'out');
    for (let i = 0; i < 3; i++) expect(back.position[i]).toBeCloseTo(P.position[i], 12);
  });

  it('never dollies closer than MIN_DISTANCE', () => {
    let p = P;
    for (let i = 0; i < 200; i++) p = moveCamera(p, 'in');
    expect(dist(p)).toBeCloseTo(MIN_DISTANCE, 12);
  });

  it('orbits about the +Z axis through the target, keeping distance and height', () => {
    const r = moveCamera(P, 'right');
    expect(dist(r)).toBeCloseTo(dist(P), 12);
    expect(r.position[2]).toBe(P.position[2]);
    const az = (p: OrbitPlacement) => Math.atan2(p.position[1] - p.target[1], p.position[0] - p.target[0]);
    expect(az(r) - az(P)).toBeCloseTo(ORBIT_STEP, 12);
    const l = moveCamera(r, 'left');
    for (let i = 0; i < 3; i++) expect(l.position[i]).toBeCloseTo(P.position[i], 12);
  });

  it("moves the camera toward its own right on 'right' (three.js camera, +Z up)", () => {
    const cam = new THREE.PerspectiveCamera();
    cam.up.set(0, 0, 1);
    cam.position.set(...P.position);
    cam.lookAt(...P.target);
    cam.updateMatrixWorld();
    const right = new THREE.Vector3(1, 0, 0).applyQuaternion(cam.quaternion);
    const moved = new THREE.Vector3(...moveCamera(P, 'right').position).sub(cam.position);
    expect(moved.dot(right)).toBeGreaterThan(0);
    const movedLeft = new THREE.Vector3(...moveCamera(P, 'left').position).sub(cam.position);
    expect(movedLeft.dot(right)).toBeLessThan(0);
  });
});
