import { DatasetError } from '../../../src/core/errors';
import { existsSync, mkdirSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkScene,
  evenlySpaced,
  framePath,
  loadSplit,
  repeatedFrames,
  readTransforms,
  verifyScene,
} from '../../../src/core/data/nerf-synthetic';
import { resolveConfig } from '../../../src/core/config';
import { loadRunData } from '../../../src/core/run/scene-data';
import { encodePng, IDENTITY, tempDir, u16, writeFakeScene, writeRgbaPng } from './scene-fixture';

const root = tempDir('nerf');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (w = 8, h = 4, views = 2) => writeFakeScene(join(root, `s${n++}`), w, h, views);

/** Naive reference: composite each pixel on white, then average n x n blocks. */
function naive(rgba: Uint8Array, w: number, h: number, ds: number): number[] {
  const out: number[] = [];
  for (let oj = 0; oj < h / ds; oj++)
    for (let oi = 0; oi < w / ds; oi++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dj = 0; dj < ds; dj++)
          for (let di = 0; di < ds; di++) {
            const p = ((oj * ds + dj) * w + oi * ds + di) * 4;
            const a = rgba[p + 3] / 255;
            s += (rgba[p + c] / 255) * a + (1 - a);
          }
        out.push(s / (ds * ds));
      }
  return out;
}

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return (e as Error).message;
  }
  throw new Error('expected a DatasetError');
};

describe('loadSplit', () => {
  it('composites RGBA on white (hand-computed)', () => {
    const s = fresh(2, 1, 1);
    // pixel 0: (255, 0, 128, a=128): a = 0.50196; r = a + (1-a) = 1; g = 1-a = 0.49804;
    //          b = 0.50196*0.50196 + 0.49804 = 0.75
    // pixel 1: (10, 20, 30, a=0) -> white (1, 1, 1)
    writeRgbaPng(join(s.dir, 'train', 'r_0.png'), 2, 1, new Uint8Array([255, 0, 128, 128, 10, 20, 30, 0]));
    const split = loadSplit(s.dir, 'train', { downscale: 1 });
    expect(split.images[0].shape).toEqual([1, 2, 3]);
    const got = Array.from(split.images[0].data);
    [1, 0.49804, 0.75, 1, 1, 1].forEach((v, k) => expect(got[k]).toBeCloseTo(v, 4));
  });

  it('16-bit grayscale+alpha is scaled by 65535 before compositing', () => {
    const s = fresh(2, 1, 1);
    // (g=16384, a=49152): g = 0.250004, a = 0.750011 -> 0.250004*0.750011 + 0.249989 = 0.437495
    // (g=65535, a=0) -> 1
    writeFileSync(join(s.dir, 'train', 'r_0.png'), encodePng(2, 1, 16, 4, [u16([16384, 49152, 65535, 0])]));
    const got = Array.from(loadSplit(s.dir, 'train', { downscale: 1 }).images[0].data);
    [0.437495, 0.437495, 0.437495, 1, 1, 1].forEach((v, k) => expect(got[k]).toBeCloseTo(v, 5));
  });

  it('area downscale matches a naive composite-then-average loop', () => {
    const s = fresh(32, 16, 2);
    for (const ds of [1, 2]) {
      const split = loadSplit(s.dir, 'val', { downscale: ds });
      expect([split.width, split.height]).toEqual([32 / ds, 16 / ds]);
      split.images.forEach((img, k) => {
        expect(img.shape).toEqual([16 / ds, 32 / ds, 3]);
        const ref = naive(s.rgba.val[k], 32, 16, ds);
        const got = Array.from(img.data);
        expect(got.length).toBe(ref.length);
        got.forEach((v, q) => expect(v).toBeCloseTo(ref[q], 5));
        const [lj, li] = [16 / ds - 1, 32 / ds - 1]; // the last pixel, through the ndarray view
        expect(img.get(lj, li, 2)).toBeCloseTo(ref[(lj * (32 / ds) + li) * 3 + 2], 5);
      });
    }
  });

  it('focal = 0.5 W / tan(0.5 camera_angle_x), divided by the downscale', () => {
    const s = fresh(16, 16);
    const full = (0.5 * 16) / Math.tan(0.5 * s.cameraAngleX);
    expect(loadSplit(s.dir, 'train', { downscale: 1 }).focal).toBeCloseTo(full, 4);
    const half = loadSplit(s.dir, 'train', { downscale: 2 });
    expect(half.focal).toBeCloseTo(full / 2, 4);
    expect(half.width).toBe(8);
  });

  it('loads a subset of frames by index, in the order given', () => {
    const s = fresh(4, 4, 3);
    const split = loadSplit(s.dir, 'test', { downscale: 1, indices: [2, 0] });
    expect(split.frames.map((f) => f.file)).toEqual(['./test/r_2', './test/r_0']);
    expect(split.frames[0].pose[3]).toBe(2); // translation x = k in the fixture
    expect(split.images[0].get(0, 0, 0)).toBeCloseTo(naive(s.rgba.test[2], 4, 4, 1)[0], 5);
    expect(() => loadSplit(s.dir, 'test', { downscale: 1, indices: [3] })).toThrow(/frame index 3 out of range/);
  });

  it("file_path gets '.png' appended as in the reference, also when it has a dot ('./train/frame.0000' is frame.0000.png)", () => {
    expect(framePath('s', './train/frame.0000')).toBe(join('s', 'train', 'frame.0000.png'));
    expect(framePath('s', './train/r_0')).toBe(join('s', 'train', 'r_0.png'));
    expect(framePath('s', './train/r_0.png')).toBe(join('s', 'train', 'r_0.png'));
    expect(framePath('s', './train/R_0.PNG')).toBe(join('s', 'train', 'R_0.PNG'));
    const s = fresh(4, 4, 1);
    writeRgbaPng(join(s.dir, 'train', 'frame.0000.png'), 4, 4, s.rgba.train[0]);
    writeFileSync(
      join(s.dir, 'transforms_train.json'),
      JSON.stringify({ camera_angle_x: 0.69, frames: [{ file_path: './train/frame.0000', transform_matrix: IDENTITY }] }),
    );
    const split = loadSplit(s.dir, 'train', { downscale: 1 }); // was: missing frame.0000
    expect(split.images[0].get(0, 0, 0)).toBeCloseTo(naive(s.rgba.train[0], 4, 4, 1)[0], 5);
  });

  it("frames listed more than once are named (they are used as listed): repeatedFrames and the run loader's warning", () => {
    const s = fresh(16, 16, 3);
    const frame = (k: number) => ({
      file_path: `./train/r_${k}`,
      transform_matrix: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 4],
        [0, 0, 0, 1],
      ],
    });
    writeFileSync(
      join(s.dir, 'transforms_train.json'),
      JSON.stringify({
        camera_angle_x: 0.69,
        frames: [frame(0), frame(1), frame(0), { ...frame(1), file_path: 'train/r_1.png' }, frame(2), frame(0)],
      }),
    );
    expect(repeatedFrames(s.dir, readTransforms(s.dir, 'train').frames)).toEqual([
      'frames[0] and frames[2] and frames[5] all name ./train/r_0',
      'frames[1] and frames[3] both name ./train/r_1',
    ]);
    expect(repeatedFrames(s.dir, readTransforms(s.dir, 'test').frames)).toEqual([]);
    const said: string[] = [];
    loadRunData(resolveConfig({ preset: 'smoke', data: s.dir, downscale: 1, trainViews: 4, evalViews: 1, visEvery: 0 }), (l) =>
      said.push(l),
    );
    expect(said.filter((l) => l.startsWith('warning: '))).toEqual([
      `warning: ${join(s.dir, 'transforms_train.json')}: frames[0] and frames[2] both name ./train/r_0; that image is used as often as it is listed`,
      `warning: ${join(s.dir, 'transforms_train.json')}: frames[1] and frames[3] both name ./train/r_1; that image is used as often as it is listed`,
    ]);
  });

  it('a downscale that does not divide the image size names --downscale', () => {
    const s = fresh(8, 4);
    expect(messageOf(() => loadSplit(s.dir, 'train', { downscale: 3 }))).toMatch(/--downscale 3: image size 8x4/);
  });

  it('images of different sizes: the error names the file that differs', () => {
    const s = fresh(8, 4, 2);
    writeRgbaPng(join(s.dir, 'train', 'r_1.png'), 4, 4, new Uint8Array(64));
    expect(messageOf(() => loadSplit(s.dir, 'train', { downscale: 1 }))).toMatch(/r_1\.png: image is 4x4, but .*r_0\.png is 8x4/);
  });

  it('a missing or truncated image names the file', () => {
    const s = fresh(8, 4, 2);
    rmSync(join(s.dir, 'train', 'r_1.png'));
    expect(messageOf(() => loadSplit(s.dir, 'train', { downscale: 1 }))).toMatch(/train[\\/]r_1\.png: cannot read PNG/);
    const f = join(s.dir, 'val', 'r_0.png');
    truncateSync(f, statSync(f).size - 5);
    expect(messageOf(() => loadSplit(s.dir, 'val', { downscale: 1 }))).toMatch(/val[\\/]r_0\.png: truncated PNG/);
  });

  it('keeps a file_path that already has an extension', () => {
    const s = fresh(16, 16, 1);
    const t = { camera_angle_x: 0.5, frames: [{ file_path: './train/r_0.png', transform_matrix: IDENTITY }] };
    writeFileSync(join(s.dir, 'transforms_train.json'), JSON.stringify(t));
    expect(loadSplit(s.dir, 'train', { downscale: 2 }).images[0].shape).toEqual([8, 8, 3]);
  });
});

describe('readTransforms validation', () => {
  const s = fresh(4, 4, 2);
  const write = (json: unknown) =>
    writeFileSync(join(s.dir, 'transforms_val.json'), typeof json === 'string' ? json : JSON.stringify(json));
  const frame = (m: unknown = IDENTITY, file: unknown = './val/r_0') => ({ file_path: file, transform_matrix: m });
  const cases: [string, unknown, RegExp][] = [
    ['invalid JSON', '{"camera_angle_x": 0.5,', /transforms_val\.json: invalid JSON/],
    ['not an object', [1, 2], /transforms_val\.json: \(top level\): expected an object/],
    ['no camera_angle_x', { frames: [frame()] }, /transforms_val\.json: camera_angle_x: expected a number/],
    ['string angle', { camera_angle_x: '0.5', frames: [frame()] }, /camera_angle_x: expected a number/],
    ['no frames', { camera_angle_x: 0.5 }, /transforms_val\.json: frames: expected a non-empty array/],
    ['empty frames', { camera_angle_x: 0.5, frames: [] }, /frames: expected a non-empty array/],
    ['bad file_path', { camera_angle_x: 0.5, frames: [frame(), frame(IDENTITY, 3)] }, /frames\[1\]\.file_path: expected a string/],
    [
      '3x4 matrix',
      { camera_angle_x: 0.5, frames: [frame(), frame(), frame(IDENTITY.slice(0, 3))] },
      /frames\[2\]\.transform_matrix: expected a 4x4 array of numbers/,
    ],
    [
      'string entry',
      {
        camera_angle_x: 0.5,
        frames: [
          frame([
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            [0, 0, 1, 'x'],
            [0, 0, 0, 1],
          ]),
        ],
      },
      /frames\[0\]\.transform_matrix: expected a 4x4/,
    ],
    [
      'null entry',
      {
        camera_angle_x: 0.5,
        frames: [
          frame([
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            [0, 0, 1, null],
            [0, 0, 0, 1],
          ]),
        ],
      },
      /frames\[0\]\.transform_matrix/,
    ],
    ['frame not an object', { camera_angle_x: 0.5, frames: [frame(), 7] }, /frames\[1\]: expected an object/],
  ];
  it.each(cases)('%s -> names the file and field', (_, json, re) => {
    write(json);
    const msg = messageOf(() => readTransforms(s.dir, 'val'));
    expect(msg).toMatch(re);
    expect(msg).not.toContain('\n');
  });

  it('parses a valid file into row-major poses', () => {
    const m = [
      [0, -1, 0, 1],
      [1, 0, 0, 2],
      [0, 0, 1, 3],
      [0, 0, 0, 1],
    ];
    write({ camera_angle_x: 0.5, frames: [frame(m)] });
    const t = readTransforms(s.dir, 'val');
    expect(t.cameraAngleX).toBe(0.5);
    expect(Array.from(t.frames[0].pose)).toEqual(m.flat());
  });
});

describe('checkScene', () => {
  it('a missing folder or transforms_train.json gives one line with where and how', () => {
    const missing = join(root, 'no-such-scene');
    const msg = messageOf(() => checkScene(missing));
    expect(msg).toContain(missing);
    expect(msg).toContain('npm run dataset:lego');
    expect(msg).toContain('--from PATH');
    expect(msg).not.toContain('\n');
    const empty = join(root, 'empty-scene');
    mkdirSync(empty);
    expect(messageOf(() => checkScene(empty))).toMatch(/transforms_train\.json not found.*npm run dataset:lego/);
    expect(messageOf(() => loadSplit(missing, 'train', { downscale: 1 }))).toContain('npm run dataset:lego');
    expect(() => checkScene(fresh().dir)).not.toThrow();
  });
});

describe('verifyScene', () => {
  it('checks every referenced file of all three splits', () => {
    const s = fresh(8, 4, 3);
    const seen: number[] = [];
    expect(verifyScene(s.dir, (k, total) => seen.push(k * 100 + total))).toBe(9);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => k * 100 + 9));
    rmSync(join(s.dir, 'test', 'r_2.png'));
    expect(messageOf(() => verifyScene(s.dir))).toMatch(/test[\\/]r_2\.png: missing/);
    rmSync(join(s.dir, 'transforms_val.json'));
    expect(messageOf(() => verifyScene(s.dir))).toMatch(/transforms_val\.json: cannot read/);
  });
});

describe('evenlySpaced', () => {
  it('spreads count indices over 0..n-1, first and last included', () => {
    expect(evenlySpaced(200, 5)).toEqual([0, 50, 100, 149, 199]);
    expect(evenlySpaced(10, 2)).toEqual([0, 9]);
    expect(evenlySpaced(10, 1)).toEqual([0]);
    expect(evenlySpaced(3, 5)).toEqual([0, 1, 2]);
    expect(evenlySpaced(4, 4)).toEqual([0, 1, 2, 3]);
    expect(evenlySpaced(4, 0)).toEqual([]);
    const many = evenlySpaced(100, 37);
    expect(new Set(many).size).toBe(37);
  });
});

const LEGO = '/work/shared/datasets/nerf_synthetic/lego';
describe('real Lego', () => {
  it.skipIf(!existsSync(join(LEGO, 'transforms_train.json')))('two views, 800x800 -> downscale 8 = 100x100 on white', () => {
    const split = loadSplit(LEGO, 'train', { downscale: 8, indices: [0, 1] });
    expect([split.width, split.height]).toEqual([100, 100]);
    expect(split.focal).toBeCloseTo(1111.111 / 8, 2);
    for (const img of split.images) {
      expect(img.shape).toEqual([100, 100, 3]);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of img.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(lo).toBeLessThan(0.5); // the model is there
      for (let c = 0; c < 3; c++) expect(img.get(0, 0, c)).toBeGreaterThan(0.99);
    }
  });
});
