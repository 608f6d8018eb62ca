/**
 * Frames for the viewport: colour/depth/opacity to RGBA bytes (hand-computed values), the focal
 * length of a vertical field of view, and the frame size chosen for a time budget.
 */
import { describe, expect, it } from 'vitest';
import { DEPTH_MIN_ACC } from '../../src/protocol/messages';
import { depthToGrey, focalFromFovY, image64, rgbToRgba, toRgba } from '../../src/session/frames';
import { frameSize } from '../../src/session/views';

describe('frames', () => {
  it('rgb floats become bytes, clamped and rounded, alpha 255', () => {
    const px = rgbToRgba(Float32Array.from([0, 0.5, 1, -0.2, 1.7, 0.1]), 2, 1);
    expect(Array.from(px)).toEqual([0, 128, 255, 255, 0, 255, 26, 255]);
    expect(() => rgbToRgba(new Float32Array(5), 2, 1)).toThrow(/5 values for 2x1/);
  });

  it('depth: t = depth / acc, nearest 1, farthest 0.1, empty pixels 0', () => {
    // pixels: t = 2 (acc 1), t = 4 (acc 0.5, depth 2), t = 3 (acc 1), empty (acc below the threshold)
    const depth = Float32Array.from([2, 2, 3, 0.01]);
    const acc = Float32Array.from([1, 0.5, 1, DEPTH_MIN_ACC / 2]);
    const g = depthToGrey(depth, acc);
    expect(g[0]).toBeCloseTo(1, 6);
    expect(g[1]).toBeCloseTo(0.1, 6);
    expect(g[2]).toBeCloseTo(0.55, 6);
    expect(g[3]).toBe(0);
  });

  it('depth of a single depth value is all 1 where covered', () => {
    expect(Array.from(depthToGrey(Float32Array.from([3, 3]), Float32Array.from([1, 1])))).toEqual([1, 1]);
  });

  it('opacity as grey, and the output switch', () => {
    const r = { rgb: Float32Array.from([1, 0, 0, 0, 1, 0]), depth: Float32Array.from([2, 0]), acc: Float32Array.from([1, 0]) };
    expect(Array.from(toRgba('acc', r, 2, 1))).toEqual([255, 255, 255, 255, 0, 0, 0, 255]);
    expect(Array.from(toRgba('rgb', r, 2, 1))).toEqual([255, 0, 0, 255, 0, 255, 0, 255]);
    expect(Array.from(toRgba('depth', r, 2, 1))).toEqual([255, 255, 255, 255, 0, 0, 0, 255]);
  });

  it('images are base64 RGBA', () => {
    const im = image64(Uint8Array.from([1, 2, 3, 4]), 1, 1);
    expect(im).toEqual({ width: 1, height: 1, rgba: 'AQIDBA==' });
  });

  it('focal length from the vertical field of view', () => {
    // 90 degrees: tan(45) = 1, so f = H / 2
    expect(focalFromFovY(Math.PI / 2, 100)).toBeCloseTo(50, 10);
    // Lego: camera_angle_x 0.6911112 at 800 px gives f = 1111.11
    expect(focalFromFovY(0.6911112070083618, 800)).toBeCloseTo(1111.111, 2);
  });

  it('frame size for a time budget: unchanged when it fits, else scaled by sqrt(budget / rays)', () => {
    // 1 ms per ray, 1 s: 1000 rays fit
    expect(frameSize(20, 40, 1e-3, 1)).toEqual([20, 40]);
    // 160x160 at 1e-4 s/ray for 0.64 s: 6400 rays, scale sqrt(6400 / 25600) = 0.5
    expect(frameSize(160, 160, 1e-4, 0.64)).toEqual([80, 80]);
    // the aspect is kept (160x90 -> 80x45 at scale 0.5)
    expect(frameSize(160, 90, 1e-4, 0.36)).toEqual([80, 45]);
    // never below 16 a side, never above the request
    expect(frameSize(160, 160, 1, 0.001)).toEqual([16, 16]);
    expect(frameSize(8, 8, 1, 0.001)).toEqual([8, 8]);
  });
});
