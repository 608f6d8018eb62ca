/**
 * `npm run render` flag checks as a user meets them (child processes): `--turntable 1e9` used to
 * allocate a billion camera poses and die after 44 s with a V8 out-of-memory and a native stack;
 * it is now bounded (exit 2, one line naming the range) before anything is loaded, and the
 * turntable computes one pose at a time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lookAt, MAX_TURNTABLE_FRAMES, turntablePose, turntablePoses } from '../../src/core/render/turntable';
import { tempDir } from '../core/data/scene-fixture';
import { decodeApng } from '../core/io/apng-decode';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tmp = tempDir('render-cli');
const hasData = existsSync(join(repo, 'datasets/nerf_synthetic/lego/transforms_train.json'));
/** A run of a few seconds: 25x25, 6 iterations, 1 evaluated view. */
const TINY_RUN = ['--preset', 'smoke', '--backend', 'cpu', '--iterations', '6', '--downscale', '32', '--train-views', '5'];
TINY_RUN.push('--batch', '128', '--eval-views', '1', '--vis-every', '0', '--grid-start', '16', '--grid-end', '16', '--threads', '1');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function render(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'scripts/run.mjs'), 'src/cli/render.ts', ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('render CLI: bad counts exit 2 with one line, before anything is loaded', () => {
  const run = join(tmp, 'run');
  mkdirSync(run, { recursive: true });
  it.each([
    [
      ['--turntable', '1e9'],
      `--turntable: expected an integer from 1 to ${MAX_TURNTABLE_FRAMES} (frames around the circle, one written at a time), got '1e9'`,
    ],
    [['--turntable', String(MAX_TURNTABLE_FRAMES + 1)], `--turntable: expected an integer from 1 to ${MAX_TURNTABLE_FRAMES}`],
    [['--turntable', '0x10'], '--turntable: expected an integer from 1 to'],
    [['--views', '0'], "--views: expected an integer >= 1, got '0'"],
    [
      ['--turntable', '4', '--size', '801'],
      "--size: expected N or WxH with each side an integer from 1 to 800 pixels (e.g. 400 or 640x360), got '801'",
    ],
    [
      ['--turntable', '4', '--size', '64x0'],
      "--size: expected N or WxH with each side an integer from 1 to 800 pixels (e.g. 400 or 640x360), got '64x0'",
    ],
    [['--turntable', '4', '--size', '2x3x4'], '--size: expected N or WxH'],
    [['--turntable', '4', '--size', 'big'], '--size: expected N or WxH'],
    [['--turntable', '4', '--elevation', '90'], "--elevation: expected degrees above the ground plane from -89 to 89, got '90'"],
    [['--turntable', '4', '--elevation', 'up'], "--elevation: expected degrees above the ground plane from -89 to 89, got 'up'"],
    [['--turntable', '4', '--fps', '0'], "--fps: expected an integer from 1 to 120 frames per second, got '0'"],
    [['--turntable', '4', '--fps', '29.97'], "--fps: expected an integer from 1 to 120 frames per second, got '29.97'"],
    [['--fps', '30'], '--fps: only with --turntable N (it sets the turntable video)'],
    [['--views', '2', '--size', '64'], '--size: only with --turntable N (it sets the turntable video)'],
  ])('%j', (args, want) => {
    const t0 = performance.now();
    const r = render('--run', run, ...args);
    expect(r.code, r.err).toBe(2);
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines).toEqual([expect.stringContaining(`error: ${want}`)]);
    expect(r.err).not.toMatch(/^\s+at /m);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});

describe('turntable poses', () => {
  it('turntablePose(i) is pose i of turntablePoses', () => {
    const ref = lookAt([3, -2, 2.5], [0, 0, 0], [0, 0, 1]);
    const all = turntablePoses(ref, 7);
    for (let i = 0; i < 7; i++) expect([...turntablePose(ref, i, 7)]).toEqual([...all[i]]);
  });
});

describe.skipIf(!hasData)('render CLI: a turntable video from a tiny real run', () => {
  it('--turntable 3 --size 9x7 --elevation 40 --fps 12: three PNG frames and an APNG holding exactly them', () => {
    const out = join(tmp, 'tiny');
    const t = spawnSync(process.execPath, [join(repo, 'scripts/run.mjs'), 'src/cli/train.ts', ...TINY_RUN, '--out', out], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
    });
    expect(t.status, t.stderr).toBe(0);
    // a PATH without ffmpeg (only node's folder): the animated PNG
    const env = { ...process.env, PATH: dirname(process.execPath), XDG_RUNTIME_DIR: '/tmp' };
    const args = ['--run', out, '--turntable', '3', '--size', '9x7', '--elevation', '40', '--fps', '12', '--backend', 'cpu'];
    const r = spawnSync(process.execPath, [join(repo, 'scripts/run.mjs'), 'src/cli/render.ts', ...args], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 120_000,
      env,
    });
    expect(r.status, r.stderr).toBe(0);
    const video = join(out, 'turntable', 'turntable.apng');
    expect(JSON.parse(r.stdout)).toEqual({ frames: 3, width: 9, height: 7, fps: 12, video, kind: 'apng', out: join(out, 'turntable') });
    const d = decodeApng(readFileSync(video));
    expect([d.width, d.height, d.fps]).toEqual([9, 7, [12, 12, 12]]);
    for (let i = 0; i < 3; i++) {
      const png = PNG.sync.read(readFileSync(join(out, 'turntable', `turntable_00${i}.png`)));
      expect([png.width, png.height]).toEqual([9, 7]);
      const rgb = Uint8Array.from({ length: 9 * 7 * 3 }, (_, k) => png.data[4 * Math.floor(k / 3) + (k % 3)]);
      expect([...d.frames[i]]).toEqual([...rgb]);
    }
    expect(d.frames[0]).not.toEqual(d.frames[1]); // the camera moved
  }, 300_000);
});

describe('render CLI: --help', () => {
  it('is a help text like the other commands: usage, then each option with what it does', () => {
    const r = render('--help');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^usage: npm run render -- --run DIR/);
    for (const flag of [
      '--run DIR',
      '--views N',
      '--turntable N',
      '--size N|WxH',
      '--elevation DEG',
      '--fps N',
      '--backend B',
      '--out DIR',
      '--chunk N',
      '--help',
    ])
      expect(lines.some((l) => l.startsWith(`  ${flag} `))).toBe(true);
    expect(lines.length).toBeGreaterThan(10);
  });
});
