/**
 * Bad input to `train:lego` as a user meets it (child processes) on a tiny synthetic scene:
 * unknown decoder/preset/backend names, out-of-range numbers, a downscale that leaves too few
 * pixels, and corrupt scene files each exit 2 with exactly one 'error: ' line on stderr (the last
 * one) naming the flag or file, no stack trace, and no run folder (an --out folder that existed
 * before is left as it was). A control run on the same scene with the same flags completes.
 * `compare` on a bad scene also leaves no comparison folder.
 * The scene fuzzing itself is in test/core/data/scene-fuzz.test.ts (in process, much faster).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY, pattern, tempDir, writeFakeScene, writeRgbaPng } from '../core/data/scene-fixture';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tmp = tempDir('bad-input-cli');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scene = writeFakeScene(join(tmp, 'scene'), 16, 16, 3).dir;

// a run of a few seconds on the 16x16 scene: 2 iterations, one test view, a tiny grid
const FLAGS: Record<string, string> = {
  '--backend': 'cpu',
  '--preset': 'smoke',
  '--iterations': '2',
  '--eval-views': '1',
  '--vis-every': '0',
  '--downscale': '1',
  '--grid-start': '8',
  '--grid-end': '8',
  '--upsample-at': '',
  '--alpha-mask-at': '',
  '--batch': '64',
  '--train-views': '0',
};
/** argv of FLAGS with `over` replacing (or adding) flags; a flag may be given only once. */
const argv = (over: string[] = []) => {
  const all = { ...FLAGS };
  for (let k = 0; k < over.length; k += 2) all[over[k]] = over[k + 1];
  return Object.entries(all).flat();
};

let runs = 0;
function train(data: string, ...over: string[]) {
  const out = join(tmp, `run-${runs++}`);
  const r = spawnSync(process.execPath, [join(repo, 'scripts/run.mjs'), 'src/cli/train.ts', ...argv(over), '--data', data, '--out', out], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr, dir: out };
}
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

/** Exit 2, one 'error: ' line (the last) containing every fragment, no stack, no run folder. */
function expectInputError(r: ReturnType<typeof train>, ...fragments: string[]): void {
  expect(r.code, r.err).toBe(2);
  const err = lines(r.err);
  const errors = err.filter((l) => l.startsWith('error: '));
  expect(errors, r.err).toHaveLength(1);
  expect(err.at(-1)).toBe(errors[0]);
  for (const f of fragments) expect(errors[0]).toContain(f);
  expect(r.err).not.toMatch(/^\s+at /m);
  expect(existsSync(r.dir), `${r.dir} was created`).toBe(false);
}

/** A copy of the valid scene with `edit` applied. */
let copies = 0;
function variant(edit: (dir: string) => void): string {
  const dir = join(tmp, `scene-${copies++}`);
  cpSync(scene, dir, { recursive: true });
  edit(dir);
  return dir;
}

// --preset, --iterations 0 and --batch 0 (and other flags) are checked the same way, with --dry-run, in train-cli.test.ts
describe('train CLI: bad flags exit 2 with one line and leave no run folder', () => {
  it.each([
    [['--decoder', 'gpt'], "--decoder: expected one of mlp, siren, splitnet, got 'gpt'"],
    [['--backend', 'cuda'], "--backend: expected one of auto, tensorflow, webgpu, cpu, got 'cuda'"],
    [['--downscale', '200'], '--downscale: expected <= 64, got 200'],
  ])('%j', (args, want) => {
    const r = train(scene, ...args);
    expectInputError(r, want);
    expect(r.out).toBe('');
  });
});

describe('train CLI: a bad scene exits 2 with one line naming the file, and leaves no run folder', () => {
  it('control: the same flags on the valid scene train to a complete run', () => {
    const r = train(scene);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(join(r.dir, 'summary.json'), 'utf8'))).toMatchObject({
      complete: true,
      iterations: 2,
      imageSize: [16, 16],
    });
  });

  it('--downscale 4 on 16x16 images: names --downscale, the size, the file and the largest factor', () => {
    expectInputError(
      train(scene, '--downscale', '4'),
      '--downscale 4: image size 16x16 of',
      'would leave 4x4 pixels',
      'the largest factor that works is 2',
    );
  });

  it('--downscale 2: 8x8 test images are smaller than the SSIM window (the run would fail at its end)', () => {
    expectInputError(
      train(scene, '--downscale', '2'),
      '--downscale 2: test image size 16x16',
      "the evaluation's SSIM window is 11x11",
      'the largest factor that works is 1',
    );
  });

  it('a truncated PNG; an --out folder that existed before is kept as it was', () => {
    const data = variant((d) => truncateSync(join(d, 'train', 'r_1.png'), statSync(join(d, 'train', 'r_1.png')).size - 30));
    const out = join(tmp, 'existing-out');
    mkdirSync(out);
    const r = spawnSync(process.execPath, [join(repo, 'scripts/run.mjs'), 'src/cli/train.ts', ...argv(), '--data', data, '--out', out], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(lines(r.stderr).at(-1)).toMatch(/^error: .*train[\\/]r_1\.png: truncated PNG \(file ends inside the IDAT chunk at byte \d+\)$/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(out)).toEqual([]);
  });

  it('compare on a bad scene: exit 2, one line, and no comparison folder (its plan is written only once the scene loads)', () => {
    const data = variant((d) => writeFileSync(join(d, 'train', 'r_0.png'), 'not a png'));
    const out = join(tmp, 'compare-out');
    const r = spawnSync(
      process.execPath,
      [
        join(repo, 'scripts/run.mjs'),
        'src/cli/compare.ts',
        '--decoders',
        'mlp',
        '--backend',
        'cpu',
        '--preset',
        'smoke',
        '--data',
        data,
        '--out',
        out,
      ],
      {
        cwd: repo,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(lines(r.stderr).filter((l) => l.startsWith('error: '))).toEqual([
      `error: ${join(data, 'train', 'r_0.png')}: not a PNG file (bad signature)`,
    ]);
    expect(lines(r.stderr).at(-1)).toMatch(/^error: /);
    expect(existsSync(out)).toBe(false);
  });

  it('a transform_matrix with a string in it names the file and the field', () => {
    const data = variant((d) => {
      const m = IDENTITY.map((row) => row.slice()) as unknown[][];
      m[1][3] = 'one';
      writeFileSync(
        join(d, 'transforms_test.json'),
        JSON.stringify({ camera_angle_x: 0.69, frames: [{ file_path: './test/r_0', transform_matrix: m }] }),
      );
    });
    expectInputError(train(data), 'transforms_test.json: frames[0].transform_matrix: expected a 4x4 array of numbers');
  });

  it('training cameras far from the box (no ray reaches it): one line naming the file and what to check, before training', () => {
    // this used to train: a 2-iteration run ended complete with mse 0, a smoke run died at iteration 41 blaming the alpha mask
    const data = variant((d) => {
      const t = JSON.parse(readFileSync(join(d, 'transforms_train.json'), 'utf8'));
      for (const f of t.frames) f.transform_matrix[2][3] = 100;
      writeFileSync(join(d, 'transforms_train.json'), JSON.stringify(t));
    });
    const r = train(data);
    expectInputError(r, `${join(data, 'transforms_train.json')}: no training ray hits the scene box`, "check the frames' transform_matrix");
    expect(r.err).not.toMatch(/^parameters |\] 1\/|run folder /m); // stopped before training
  });

  it('a test frame whose file is missing', () => {
    const data = variant((d) => rmSync(join(d, 'test', 'r_0.png')));
    expectInputError(train(data), join('test', 'r_0.png'), 'cannot read PNG (no such file)');
  });

  it('training images of two sizes name both files and sizes', () => {
    const data = variant((d) => writeRgbaPng(join(d, 'train', 'r_2.png'), 16, 12, pattern(16, 12, 0)));
    expectInputError(train(data), `${join('train', 'r_2.png')}: image is 16x12, but`, `${join('train', 'r_0.png')} is 16x16`);
  });
});
