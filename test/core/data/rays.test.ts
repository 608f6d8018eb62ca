import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSplit } from '../../../src/core/data/nerf-synthetic';
import { cameraRays, splitRays } from '../../../src/core/data/rays';
import { IDENTITY, tempDir, writeFakeScene } from './scene-fixture';

const pose = (m: number[][]) => new Float32Array(m.flat());
const ray = (r: { origins: Float32Array; dirs: Float32Array }, k: number) => ({
  o: Array.from(r.origins.subarray(k * 3, k * 3 + 3)),
  d: Array.from(r.dirs.subarray(k * 3, k * 3 + 3)),
});
const close = (got: number[], want: number[]) => want.forEach((v, c) => expect(got[c]).toBeCloseTo(v, 6));
const s3 = 1 / Math.sqrt(3);

describe('cameraRays', () => {
  it('identity pose: centre pixel looks down -z, corners hand-computed', () => {
    // W = H = 3, f = 1: pixel (i, j) -> ((i + 0.5 - 1.5), -(j + 0.5 - 1.5), -1)
    const r = cameraRays(pose(IDENTITY), 3, 3, 1);
    expect(r.count).toBe(9);
    close(ray(r, 4).d, [0, 0, -1]); // (i=1, j=1)
    close(ray(r, 0).d, [-s3, s3, -s3]); // (0, 0): (-1, 1, -1)/sqrt(3) -- top left
    close(ray(r, 2).d, [s3, s3, -s3]); // (2, 0): (1, 1, -1)/sqrt(3)
    close(ray(r, 6).d, [-s3, -s3, -s3]); // (0, 2): (-1, -1, -1)/sqrt(3)
    close(ray(r, 5).d, [1 / Math.SQRT2, 0, -1 / Math.SQRT2]); // (2, 1): (1, 0, -1)/sqrt(2)
    for (let k = 0; k < 9; k++) close(ray(r, k).o, [0, 0, 0]);
  });

  it('focal scales the spread: (i=2, j=1) with f = 2 -> (0.5, 0, -1)/|.|', () => {
    const r = cameraRays(pose(IDENTITY), 3, 3, 2);
    const n = Math.sqrt(1.25);
    close(ray(r, 5).d, [0.5 / n, 0, -1 / n]);
  });

  it('a pose rotated 90 degrees about z with translation: dir = R d, origin = column 3', () => {
    // R = [[0,-1,0],[1,0,0],[0,0,1]]; R (x, y, z) = (-y, x, z)
    const m = [
      [0, -1, 0, 1],
      [1, 0, 0, 2],
      [0, 0, 1, 3],
      [0, 0, 0, 1],
    ];
    const r = cameraRays(pose(m), 3, 3, 1);
    close(ray(r, 4).d, [0, 0, -1]);
    close(ray(r, 0).d, [-s3, -s3, -s3]); // d = (-1, 1, -1) -> (-1, -1, -1)
    close(ray(r, 5).d, [0, 1 / Math.SQRT2, -1 / Math.SQRT2]); // d = (1, 0, -1) -> (0, 1, -1)
    for (let k = 0; k < 9; k++) close(ray(r, k).o, [1, 2, 3]);
  });

  it('a camera on +y looking at the origin, z up (Blender/three.js convention)', () => {
    // Columns of R are the camera axes in world space: right = -x, up = +z, back = +y
    // (right = up x back). R = [[-1,0,0],[0,0,1],[0,1,0]], camera at (0, 4, 0).
    const m = [
      [-1, 0, 0, 0],
      [0, 0, 1, 4],
      [0, 1, 0, 0],
      [0, 0, 0, 1],
    ];
    const r = cameraRays(pose(m), 5, 5, 10);
    close(ray(r, 12).d, [0, -1, 0]); // centre pixel looks towards the origin
    // (i=2, j=0): camera d = (0, 0.2, -1) -> world (0, -1, 0.2)/|.|: the top row looks up (+z)
    const n = Math.sqrt(1.04);
    close(ray(r, 2).d, [0, -1 / n, 0.2 / n]);
    // (i=4, j=2): camera d = (0.2, 0, -1) -> world (-0.2, -1, 0)/|.|: the right column is -x
    close(ray(r, 14).d, [-0.2 / n, -1 / n, 0]);
    close(ray(r, 0).o, [0, 4, 0]);
  });

  it('non-square image: width is x, height is y, row-major order', () => {
    const r = cameraRays(pose(IDENTITY), 4, 2, 1);
    expect(r.count).toBe(8);
    // index j*W + i = 1*4 + 3 = 7: x = 3.5 - 2 = 1.5, y = -(1.5 - 1) = -0.5
    const n = Math.sqrt(1.5 * 1.5 + 0.25 + 1);
    close(ray(r, 7).d, [1.5 / n, -0.5 / n, -1 / n]);
    for (let k = 0; k < 8; k++) {
      const d = ray(r, k).d;
      expect(Math.hypot(d[0], d[1], d[2])).toBeCloseTo(1, 6);
    }
  });
});

describe('splitRays', () => {
  const dir = tempDir('rays');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('concatenates all pixels of all images, image-major then row-major', () => {
    writeFakeScene(join(dir, 's'), 4, 2, 3);
    const split = loadSplit(join(dir, 's'), 'train', { downscale: 1 });
    const all = splitRays(split);
    expect(all.count).toBe(3 * 8);
    expect(all.origins.length).toBe(72);
    expect(all.rgbs.length).toBe(72);
    for (let k = 0; k < 3; k++) {
      const one = cameraRays(split.frames[k].pose, 4, 2, split.focal);
      expect(Array.from(all.dirs.subarray(k * 24, k * 24 + 24))).toEqual(Array.from(one.dirs));
      expect(Array.from(all.origins.subarray(k * 24, k * 24 + 24))).toEqual(Array.from(one.origins));
      expect(all.origins[k * 24]).toBe(k); // fixture pose k has translation x = k
      for (let j = 0; j < 2; j++)
        for (let i = 0; i < 4; i++)
          for (let c = 0; c < 3; c++) expect(all.rgbs[(k * 8 + j * 4 + i) * 3 + c]).toBe(split.images[k].get(j, i, c));
    }
  });
});
