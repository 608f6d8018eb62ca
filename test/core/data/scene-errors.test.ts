/**
 * Bad scene folders, case by case: each gives one DatasetError line naming the file (and the
 * field or flag) and what was expected. Covers a downscale that leaves fewer than 8 pixels, frames
 * pointing to missing files or to folders, transforms in other encodings or with bad values, and
 * PNG formats that are accepted and converted (16-bit, grey, grey+alpha, palette, 1-bit) with
 * hand-computed values.
 */
import { DatasetError } from '../../../src/core/errors';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/core/config';
import { checkDownscale, loadSplit, readTransforms, verifyScene } from '../../../src/core/data/nerf-synthetic';
import { loadTestViews, loadTrainPool } from '../../../src/core/run/scene-data';
import { chunk, encodePng, IDENTITY, tempDir, u16, writeFakeScene, writeRgbaPng } from './scene-fixture';

const root = tempDir('scene-errors');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (w = 16, h = 16, views = 3) => writeFakeScene(join(root, `s${n++}`), w, h, views);

/** The one-line DatasetError message of f() (fails if f does not throw one). */
function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(DatasetError);
    const msg = (e as Error).message;
    expect(msg).not.toMatch(/[\n\r\u2028\u2029]/);
    return msg;
  }
  throw new Error('expected a DatasetError');
}

describe('--downscale against the image size', () => {
  it('a factor leaving fewer than 8 pixels on a side names --downscale, the size, the file and the largest factor', () => {
    const s = fresh(24, 16);
    expect(loadSplit(s.dir, 'train', { downscale: 2 }).width).toBe(12); // 12x8: allowed
    const msg = messageOf(() => loadSplit(s.dir, 'train', { downscale: 4 }));
    expect(msg).toMatch(
      /^--downscale 4: image size 24x16 of .*train[\\/]r_0\.png would leave 6x4 pixels, fewer than 8 on a side; the largest factor that works is 2$/,
    );
    expect(messageOf(() => loadSplit(s.dir, 'test', { downscale: 16, indices: [] }))).toMatch(
      /--downscale 16: image size 24x16 of .*test[\\/]r_0\.png is not divisible by 16; the largest factor that works is 2/,
    );
  });

  it('checkDownscale: the largest working factor for Lego-sized images; downscale 1 always works', () => {
    expect(messageOf(() => checkDownscale(3, 800, 800, 'x.png'))).toMatch(/not divisible by 3; the largest factor that works is 50$/);
    expect(messageOf(() => checkDownscale(64, 400, 400, 'x.png'))).toMatch(/not divisible by 64; the largest factor that works is 50/);
    expect(messageOf(() => checkDownscale(2, 8, 8, 'x.png'))).toMatch(/would leave 4x4 pixels.*largest factor that works is 1$/);
    expect(() => checkDownscale(1, 3, 2, 'x.png')).not.toThrow(); // a tiny image at full size is allowed
    expect(() => checkDownscale(100, 800, 800, 'x.png')).not.toThrow(); // exactly 8x8
  });
});

describe('test views must fit the SSIM window of the evaluation', () => {
  it('a downscale leaving under 11x11 test pixels names --downscale and the largest factor; tiny native images are named', () => {
    const s = fresh(24, 24, 2);
    const cfg = (downscale: number) => resolveConfig({ preset: 'smoke', data: s.dir, downscale });
    expect(loadTestViews(cfg(2), [0, 1]).width).toBe(12);
    expect(messageOf(() => loadTestViews(cfg(3), [1]))).toMatch(
      /^--downscale 3: test image size 24x24 of .*test[\\/]r_1\.png would leave 8x8 pixels, fewer than 11 on a side \(the evaluation's SSIM window is 11x11\); the largest factor that works is 2$/,
    );
    expect(loadTrainPool(cfg(3)).width).toBe(8); // training itself has no such limit
    const t = fresh(10, 12, 1);
    expect(messageOf(() => loadTestViews(resolveConfig({ preset: 'smoke', data: t.dir, downscale: 1 }), [0]))).toMatch(
      /test[\\/]r_0\.png: test images are 10x12, smaller than 11x11/,
    );
  });
});

describe('training rays must reach the scene box', () => {
  /** The fresh scene with every training camera given `pose` (a 4x4 camera-to-world matrix). */
  const withTrainPoses = (pose: number[][]) => {
    const s = fresh(16, 16, 3);
    const frames = [0, 1, 2].map((k) => ({ file_path: `./train/r_${k}`, transform_matrix: pose }));
    writeFileSync(join(s.dir, 'transforms_train.json'), JSON.stringify({ camera_angle_x: s.cameraAngleX, frames }));
    return resolveConfig({ preset: 'smoke', data: s.dir, downscale: 1, trainViews: 0 });
  };
  const at = (x: number, y: number, z: number, flip = false) => [
    [1, 0, 0, x],
    [0, flip ? -1 : 1, 0, y],
    [0, 0, flip ? -1 : 1, z],
    [0, 0, 0, 1],
  ];

  it('the fixture cameras 4 units above the box reach it', () => {
    expect(loadTrainPool(withTrainPoses(at(0, 0, 4))).pool.count).toBe(3 * 256);
  });

  it.each([
    ['cameras 100 units away (the box lies beyond far = 6)', at(0, 0, 100), '100.00'],
    ['cameras looking away from the box', at(0, 0, 4, true), '4.00'],
    ['cameras beside the box', at(50, 0, 4), '50.16'],
  ])('%s: one line naming transforms_train.json, the box, near/far and what to check', (_what, pose, nearest) => {
    const cfg = withTrainPoses(pose);
    const msg = messageOf(() => loadTrainPool(cfg));
    expect(msg).toBe(
      `${join(cfg.data, 'transforms_train.json')}: no training ray hits the scene box ([-1.5, 1.5] on each axis) between near 2 and far 6 (768 rays of 3 views; the nearest camera is ${nearest} from the origin); ` +
        "check the frames' transform_matrix: camera-to-world poses (OpenGL axes, looking along -Z) placing the cameras 2 to 6 units from the box and facing it, in the scene's units",
    );
  });
});

describe('frames and files', () => {
  it('inconsistent sizes within a split name both files and both sizes', () => {
    const s = fresh(16, 16, 3);
    writeRgbaPng(join(s.dir, 'test', 'r_2.png'), 16, 8, new Uint8Array(16 * 8 * 4));
    expect(messageOf(() => loadSplit(s.dir, 'test', { downscale: 1 }))).toMatch(
      /test[\\/]r_2\.png: image is 16x8, but .*test[\\/]r_0\.png is 16x16 \(all images of a split must have one size\)/,
    );
    expect(messageOf(() => verifyScene(s.dir))).toMatch(/test[\\/]r_2\.png: image is 16x8, but .*r_0\.png is 16x16/);
    expect(loadSplit(s.dir, 'test', { downscale: 1, indices: [0, 1] }).images).toHaveLength(2); // r_2 not read
  });

  it('a frame pointing to a missing file, or to a folder, names the file', () => {
    const s = fresh();
    const t = {
      camera_angle_x: 0.5,
      frames: [
        { file_path: './train/r_0', transform_matrix: IDENTITY },
        { file_path: './train/r_9', transform_matrix: IDENTITY },
      ],
    };
    writeFileSync(join(s.dir, 'transforms_train.json'), JSON.stringify(t));
    expect(messageOf(() => loadSplit(s.dir, 'train', { downscale: 1 }))).toMatch(/train[\\/]r_9\.png: cannot read PNG \(no such file\)$/);
    expect(messageOf(() => verifyScene(s.dir))).toMatch(/train[\\/]r_9\.png: missing \(referenced by the transforms\)/);
    rmSync(join(s.dir, 'val', 'r_1.png'));
    mkdirSync(join(s.dir, 'val', 'r_1.png'));
    expect(messageOf(() => loadSplit(s.dir, 'val', { downscale: 1 }))).toMatch(
      /val[\\/]r_1\.png: cannot read PNG \(is a directory, expected a PNG file\)/,
    );
    writeFileSync(join(s.dir, 'transforms_train.json'), JSON.stringify({ ...t, frames: t.frames.slice(0, 1) }));
    expect(messageOf(() => verifyScene(s.dir))).toMatch(/val[\\/]r_1\.png: cannot open \(is a directory, expected a PNG file\)/);
  });

  it('--data naming a file, not a folder, says so', () => {
    const s = fresh();
    expect(messageOf(() => loadSplit(join(s.dir, 'transforms_train.json'), 'train', { downscale: 1 }))).toMatch(
      /^no NeRF-synthetic scene at .*transforms_train\.json \(a file, not a folder\); get it with/,
    );
  });

  it('a transforms file that is a folder names it', () => {
    const s = fresh();
    rmSync(join(s.dir, 'transforms_test.json'));
    mkdirSync(join(s.dir, 'transforms_test.json'));
    expect(messageOf(() => readTransforms(s.dir, 'test'))).toMatch(
      /transforms_test\.json: cannot read \(is a directory, expected a file\)$/,
    );
  });
});

describe('transforms JSON', () => {
  const s = fresh(8, 8, 1);
  const path = join(s.dir, 'transforms_val.json');
  const valid = JSON.stringify({ camera_angle_x: 0.5, frames: [{ file_path: './val/r_0', transform_matrix: IDENTITY }] });
  const read = () => readTransforms(s.dir, 'val');

  it('a UTF-8 byte-order mark is accepted; UTF-16 and invalid UTF-8 are named', () => {
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]));
    expect(read().cameraAngleX).toBe(0.5);
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')]));
    expect(messageOf(read)).toMatch(/transforms_val\.json: encoded as UTF-16; expected UTF-8 JSON$/);
    writeFileSync(path, Buffer.from(valid, 'utf16le'));
    expect(messageOf(read)).toMatch(/transforms_val\.json: NUL byte at offset 1 \(UTF-16 or binary data\?\)/);
    const bytes = Buffer.from(valid);
    bytes[10] = 0xff;
    writeFileSync(path, bytes);
    expect(messageOf(read)).toMatch(/transforms_val\.json: not valid UTF-8 \(near byte 10\)/);
  });

  it('a JSON syntax error is one line, with line and column', () => {
    writeFileSync(path, '{\n  "camera_angle_x": 0.5,\n  frames: []\n}');
    expect(messageOf(read)).toMatch(/transforms_val\.json: invalid JSON \(.*position 29 \(line 3, column 3\)\)$/);
    writeFileSync(path, '\n\nnot json\n\n'); // V8 quotes the text, newlines included
    expect(messageOf(read)).toMatch(/transforms_val\.json: invalid JSON \(Unexpected token/);
    // ... but the message never does: the file may be anything, and the app's server sends it on
    writeFileSync(path, 'TOP-SECRET password=hunter2\n');
    expect(messageOf(read)).toMatch(/transforms_val\.json: invalid JSON \(Unexpected token\)$/);
    writeFileSync(path, '{"camera_angle_x": 0.5, "frames": [], } hunter2');
    expect(messageOf(read)).not.toMatch(/hunter2|TOP/);
    writeFileSync(path, '{"camera_angle_x": NaN, "frames": []}');
    expect(messageOf(read)).toMatch(/invalid JSON/);
    writeFileSync(path, '');
    expect(messageOf(read)).toMatch(/invalid JSON \(Unexpected end of JSON input\)/);
  });

  const frame = (m: unknown, file: unknown = './val/r_0') => ({ file_path: file, transform_matrix: m });
  const rot = (v: unknown) => [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, v],
    [0, 0, 0, 1],
  ];
  const cases: [string, string, RegExp][] = [
    [
      'angle in degrees',
      JSON.stringify({ camera_angle_x: 40, frames: [frame(IDENTITY)] }),
      /camera_angle_x: expected a number of radians in \(0, pi\) .*got 40$/,
    ],
    ['angle 0', JSON.stringify({ camera_angle_x: 0, frames: [frame(IDENTITY)] }), /camera_angle_x: .*got 0$/],
    ['negative angle', JSON.stringify({ camera_angle_x: -0.5, frames: [frame(IDENTITY)] }), /camera_angle_x: .*got -0\.5$/],
    [
      'angle so small the focal length overflows',
      JSON.stringify({ camera_angle_x: 1e-40, frames: [frame(IDENTITY)] }),
      /camera_angle_x: .*got 1e-40$/,
    ],
    ['angle as a string', JSON.stringify({ camera_angle_x: '0.69', frames: [frame(IDENTITY)] }), /camera_angle_x: .*got "0\.69"$/],
    ['angle 1e400 (Infinity)', '{"camera_angle_x": 1e400, "frames": []}', /camera_angle_x: .*got Infinity$/],
    ['no angle', JSON.stringify({ frames: [frame(IDENTITY)] }), /camera_angle_x: .*got no value \(missing\)$/],
    ['empty frames', JSON.stringify({ camera_angle_x: 0.5, frames: [] }), /frames: expected a non-empty array, got an array of 0$/],
    ['frames an object', JSON.stringify({ camera_angle_x: 0.5, frames: { a: 1 } }), /frames: expected a non-empty array, got an object$/],
    ['frame an array', JSON.stringify({ camera_angle_x: 0.5, frames: [[1, 2]] }), /frames\[0\]: expected an object, got an array of 2$/],
    ['frame null', JSON.stringify({ camera_angle_x: 0.5, frames: [frame(IDENTITY), null] }), /frames\[1\]: expected an object, got null$/],
    [
      'no transform_matrix',
      JSON.stringify({ camera_angle_x: 0.5, frames: [{ file_path: './val/r_0' }] }),
      /frames\[0\]\.transform_matrix: expected a 4x4 array of numbers/,
    ],
    [
      'string entry',
      JSON.stringify({ camera_angle_x: 0.5, frames: [frame(rot('1'))] }),
      /frames\[0\]\.transform_matrix: expected a 4x4 array of numbers/,
    ],
    [
      'flat 16 numbers',
      JSON.stringify({ camera_angle_x: 0.5, frames: [frame(IDENTITY.flat())] }),
      /frames\[0\]\.transform_matrix: expected a 4x4/,
    ],
    [
      '1e400 entry',
      `{"camera_angle_x": 0.5, "frames": [{"file_path": "./val/r_0", "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,1e400],[0,0,0,1]]}]}`,
      /transform_matrix: expected a 4x4 array of numbers \(finite in float32\)/,
    ],
    [
      'float32 overflow',
      JSON.stringify({ camera_angle_x: 0.5, frames: [frame(rot(1e39))] }),
      /frames\[0\]\.transform_matrix: expected a 4x4 array of numbers \(finite in float32\)/,
    ],
    [
      'zero rotation',
      JSON.stringify({
        camera_angle_x: 0.5,
        frames: [
          frame([
            [0, 0, 0, 1],
            [0, 0, 0, 2],
            [0, 0, 0, 3],
            [0, 0, 0, 1],
          ]),
        ],
      }),
      /frames\[0\]\.transform_matrix: expected an invertible rotation part \(its determinant is 0\)/,
    ],
    [
      'rank-2 rotation',
      JSON.stringify({
        camera_angle_x: 0.5,
        frames: [
          frame([
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            [1, 1, 0, 0],
            [0, 0, 0, 1],
          ]),
        ],
      }),
      /expected an invertible rotation part/,
    ],
    [
      'file_path a number',
      JSON.stringify({ camera_angle_x: 0.5, frames: [frame(IDENTITY, 7)] }),
      /frames\[0\]\.file_path: expected a string, got 7$/,
    ],
    [
      'file_path with a newline',
      JSON.stringify({ camera_angle_x: 0.5, frames: [frame(IDENTITY, './val/r_0\n.png')] }),
      /frames\[0\]\.file_path: expected a file path without control characters$/,
    ],
    [
      'file_path leaving the scene folder',
      JSON.stringify({ camera_angle_x: 0.5, frames: [frame(IDENTITY, './val/../../../etc/passwd')] }),
      /frames\[0\]\.file_path: expected a path inside the scene folder, got '\.\/val\/\.\.\/\.\.\/\.\.\/etc\/passwd'$/,
    ],
    [
      'absolute file_path',
      JSON.stringify({ camera_angle_x: 0.5, frames: [frame(IDENTITY, '/etc/passwd')] }),
      /frames\[0\]\.file_path: expected a path inside the scene folder/,
    ],
  ];
  it.each(cases)('%s', (_, text, re) => {
    writeFileSync(path, text);
    const msg = messageOf(read);
    expect(msg.startsWith(`${path}: `), msg).toBe(true);
    expect(msg).toMatch(re);
  });

  it('duplicate keys: the last one counts (JSON.parse), and a bad last value is named', () => {
    writeFileSync(path, valid.replace('{', '{"camera_angle_x": 99, '));
    expect(read().cameraAngleX).toBe(0.5);
    writeFileSync(path, valid.replace(/}$/, ', "camera_angle_x": "x"}'));
    expect(messageOf(read)).toMatch(/camera_angle_x: .*got "x"$/);
  });

  it('control characters that reach a message are escaped', () => {
    expect(new DatasetError('a\nb\r\tc\u0000d\u2028').message).toBe('a\\nb\\r\\tc\\u0000d\\u2028');
  });
});

describe('PNG formats other than 8-bit RGBA are converted (values hand-computed after compositing on white)', () => {
  const cases: [string, Buffer, number[]][] = [
    // (65535, 32768, 0, a=32768): a = 0.500008 -> (1, 0.500008*a + 1-a, 1-a) = (1, 0.750000, 0.499992)
    // (1000, 2000, 3000, 65535): opaque -> /65535
    [
      '16-bit RGBA',
      encodePng(2, 1, 16, 6, [u16([65535, 32768, 0, 32768, 1000, 2000, 3000, 65535])]),
      [1, 0.75, 0.499992, 0.015259, 0.030518, 0.045777],
    ],
    ['16-bit RGB', encodePng(2, 1, 16, 2, [u16([0, 65535, 13107, 52428, 26214, 6553])]), [0, 1, 0.2, 0.8, 0.4, 0.099992]],
    // grey 51 -> 0.2 on every channel; grey 255 -> 1
    ['8-bit grey', encodePng(2, 1, 8, 0, [Buffer.from([51, 255])]), [0.2, 0.2, 0.2, 1, 1, 1]],
    // (g=102, a=153): 0.4*0.6 + 0.4 = 0.64; (g=0, a=255) -> 0
    ['8-bit grey+alpha', encodePng(2, 1, 8, 4, [Buffer.from([102, 153, 0, 255])]), [0.64, 0.64, 0.64, 0, 0, 0]],
    // (g=13107 (0.2), a=0) -> white; (g=39321 (0.6), a=65535) -> 0.6
    ['16-bit grey+alpha', encodePng(2, 1, 16, 4, [u16([13107, 0, 39321, 65535])]), [1, 1, 1, 0.6, 0.6, 0.6]],
    // palette [(255,0,0) alpha 128, (0,0,255) opaque]: a = 0.501961 -> (1, 0.498039, 0.498039); (0, 0, 1)
    [
      'palette + tRNS',
      encodePng(2, 1, 8, 3, [Buffer.from([0, 1])], [chunk('PLTE', Buffer.from([255, 0, 0, 0, 0, 255])), chunk('tRNS', Buffer.from([128]))]),
      [1, 0.498039, 0.498039, 0, 0, 1],
    ],
    ['1-bit grey', encodePng(2, 1, 1, 0, [Buffer.from([0b0100_0000])]), [0, 0, 0, 1, 1, 1]],
  ];
  it.each(cases)('%s', (_, bytes, want) => {
    const s = fresh(2, 1, 1);
    writeFileSync(join(s.dir, 'train', 'r_0.png'), bytes);
    const got = Array.from(loadSplit(s.dir, 'train', { downscale: 1 }).images[0].data);
    expect(got).toHaveLength(6);
    want.forEach((v, k) => expect(got[k], `value ${k}`).toBeCloseTo(v, 5));
  });
});
