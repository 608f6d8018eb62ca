import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ViewSet } from '../../../src/core/data/view-set';
import { renderFileName, renderFileView } from '../../../src/core/io/render-files';
import { restartable } from '../../../src/core/io/run-folder';
import { saveViewRender, writeRendersIndex } from '../../../src/core/run/view-renders';

const tmp = mkdtempSync(join(tmpdir(), 'tensorf-view-renders-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const W = 3;
const H = 2;
const views: ViewSet = {
  width: W,
  height: H,
  focal: 1,
  poses: [new Float32Array(16), new Float32Array(16)],
  images: [new Float32Array(W * H * 3).fill(0.25), new Float32Array(W * H * 3).fill(0.75)],
  names: ['./test/r_7', './test/r_12'],
  ids: [7, 12],
};

describe('render file names', () => {
  it('carry the view id and its PSNR to two decimals', () => {
    expect(renderFileName(7, 31.4249)).toBe('test_007_31.42dB.png');
    expect(renderFileName(123, 9.005)).toBe(`test_123_${(9.005).toFixed(2)}dB.png`);
    expect(renderFileName(1, Infinity)).toBe('test_001_infdB.png');
  });

  it('are read back in either form (older runs wrote test_NNN.png); other names are not renders', () => {
    expect(renderFileView('test_007_31.42dB.png')).toBe(7);
    expect(renderFileView('test_001_infdB.png')).toBe(1);
    expect(renderFileView('test_042.png')).toBe(42);
    for (const n of ['index.json', 'test_007_31.42dB.png.123.tmp', 'turntable_000.png', 'test_x.png'])
      expect(renderFileView(n), n).toBeNull();
  });
});

describe('saveViewRender and the renders index', () => {
  it("writes the PSNR-named file and replaces the same view's older renders only", () => {
    const dir = join(tmp, 'renders');
    mkdirSync(dir);
    writeFileSync(join(dir, 'test_007.png'), 'old name');
    writeFileSync(join(dir, 'test_007_10.00dB.png'), 'older PSNR');
    writeFileSync(join(dir, 'test_012_11.00dB.png'), 'another view');
    const file = saveViewRender(dir, views, 0, new Float32Array(W * H * 3).fill(0.5), 20.5);
    expect(file).toBe(join(dir, 'test_007_20.50dB.png'));
    expect(readdirSync(dir).sort()).toEqual(['test_007_20.50dB.png', 'test_012_11.00dB.png']);
  });

  it('index.json lists each view with its file, PSNR and SSIM, their means and the iteration', () => {
    const dir = join(tmp, 'index');
    mkdirSync(dir);
    const scores = [
      { view: 12, name: './test/r_12', psnr: 30, ssim: 0.9 },
      { view: 7, name: './test/r_7', psnr: 20, ssim: 0.5 },
    ];
    writeRendersIndex(dir, 250, scores, true);
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))).toEqual({
      iteration: 250,
      complete: true,
      views: [
        { view: 7, name: './test/r_7', file: 'test_007_20.00dB.png', psnr: 20, ssim: 0.5 },
        { view: 12, name: './test/r_12', file: 'test_012_30.00dB.png', psnr: 30, ssim: 0.9 },
      ],
      meanPSNR: 25,
      meanSSIM: 0.7,
    });
    // an exact render's PSNR is Infinity: null in JSON, and so is the mean
    writeRendersIndex(dir, 250, [{ view: 7, name: 'a', psnr: Infinity, ssim: 1 }], false);
    const partial = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(partial).toMatchObject({ complete: false, meanPSNR: null, meanSSIM: 1, views: [{ psnr: null, file: 'test_007_infdB.png' }] });
    expect(readdirSync(dir)).toEqual(['index.json']); // no temporary file left
  });

  it('a run folder with new-style renders and the index (and no checkpoint) is still restartable', () => {
    const run = join(tmp, 'run');
    mkdirSync(join(run, 'renders'), { recursive: true });
    writeFileSync(join(run, 'config.json'), '{}');
    writeFileSync(join(run, 'renders', 'test_007_20.50dB.png'), 'x');
    writeFileSync(join(run, 'renders', 'index.json'), '{}');
    expect(restartable(run)).toBe(true);
    writeFileSync(join(run, 'renders', 'notes.txt'), 'x');
    expect(restartable(run)).toBe(false);
  });
});
