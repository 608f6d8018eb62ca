/**
 * The shader viewer in Chromium (WebGL2 on SwiftShader), in browser mode: two finished smoke runs
 * opened in turn without touching the camera; the frame drawn by the page and refined to the
 * canvas's full size; a snapped test view's PSNR from the shader and from the host within 0.5 dB;
 * a camera drag redrawn by the page with no frame asked of the training process; depth with its
 * range. SwiftShader decodes about a thousand times slower than a GPU (README, "The shader view"),
 * so the page is small (the canvas is what the 360 px sidebar leaves) and only the first view is
 * waited for until refined; the others are checked on their coarse frames.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from './build-once';
import { type ServeProcess, startServe } from './serve-process';
import { CHROMIUM, launchChromium } from '../renderer/shader/chromium';

const DATA = 'datasets/nerf_synthetic/lego';
const haveData = existsSync(`${DATA}/transforms_train.json`);
if (!CHROMIUM && process.env.TENSORF_REQUIRE_BROWSER === '1') throw new Error('Chromium not found (apt-get install chromium)');
const skip = (!haveData && process.env.TENSORF_REQUIRE_DATA !== '1') || (!CHROMIUM && process.env.TENSORF_REQUIRE_BROWSER !== '1');

const tmp = mkdtempSync(join(tmpdir(), 'tensorf-shader-'));
let server: ServeProcess | null = null;
let browser: Browser | null = null;

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function train(out: string, ...flags: string[]): void {
  execFileSync(
    process.execPath,
    ['scripts/run.mjs', 'src/cli/train.ts', '--preset', 'smoke', '--backend', 'cpu', '--eval-views', '1', '--out', out, ...flags],
    { stdio: 'pipe' },
  );
}

const text = async (page: Page, id: string) => (await page.getByTestId(id).textContent()) ?? '';
const attr = async (page: Page, name: string) => (await page.getByTestId('viewport').getAttribute(name)) ?? '';

async function openRun(page: Page, dir: string): Promise<void> {
  await page.getByTestId('run-path').fill(dir);
  await page.getByTestId('open-run').click();
}

/** The frame-info line once the shader view has refined the canvas: [width, height, ms]. */
async function refinedFrame(page: Page): Promise<[number, number, number]> {
  await expect.poll(() => text(page, 'frame-info'), { timeout: 120_000 }).toMatch(/^shader \d+x\d+ · [\d.]+ ms$/);
  const m = /^shader (\d+)x(\d+) · ([\d.]+) ms$/.exec(await text(page, 'frame-info'))!;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describe.skipIf(skip)('shader viewer in the page', () => {
  beforeAll(() => {
    buildOnce();
    train(join(tmp, 'a'), '--decoder', 'mlp');
    train(join(tmp, 'b'), '--decoder', 'splitnet', '--iterations', '60');
  }, 400_000);

  it('draws opened runs itself at the canvas size, agrees with the host on a test view, and asks the host for no frames', async () => {
    server = startServe([tmp, realpathSync(DATA)]);
    const url = await server.url;
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 440, height: 300 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await openRun(page, join(tmp, 'a'));
    await expect.poll(() => attr(page, 'data-model-iteration'), { timeout: 60_000 }).toBe('100');
    const canvas = (await page.getByTestId('viewport').locator('canvas').boundingBox())!;
    const [w, h] = await refinedFrame(page);
    expect([w, h]).toEqual([Math.round(canvas.width), Math.round(canvas.height)]);
    expect(await page.getByTestId('shader-note').isHidden()).toBe(true);

    // a test view: the shader's PSNR and the host's, for the same model, within 0.5 dB
    await page.getByTestId('test-view').fill('0');
    await page.getByTestId('snap').click();
    await expect.poll(() => text(page, 'test-view-psnr'), { timeout: 120_000 }).toMatch(/^shader \d+\.\d\d dB · host \d+\.\d\d dB$/);
    const [, shader, host] = /^shader (\S+) dB · host (\S+) dB$/.exec(await text(page, 'test-view-psnr'))!.map(Number);
    console.info(`shader viewer: first refined frame ${w}x${h}; test view 0: shader ${shader} dB, host ${host} dB`);
    expect(Math.abs(shader - host)).toBeLessThan(0.5);
    expect(host).toBeGreaterThan(15);

    // a camera drag: drawn by the page (coarse, then refined; on a small canvas the coarse frame may
    // already be full size); the training process renders nothing
    const hostFrames = await attr(page, 'data-frame-count');
    const box = (await page.getByTestId('viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let k = 1; k <= 8; k++) await page.mouse.move(box.x + box.width / 2 + 15 * k, box.y + box.height / 2);
    await page.mouse.up();
    await expect.poll(() => text(page, 'frame-info'), { timeout: 60_000 }).toMatch(/^shader \d+x\d+ · [\d.]+ ms( · refining)?$/);
    await page.waitForTimeout(1500);
    expect(await attr(page, 'data-frame-count')).toBe(hostFrames);

    // depth, with its range
    await page.getByTestId('output').selectOption('depth');
    await expect
      .poll(() => text(page, 'frame-info'), { timeout: 60_000 })
      .toMatch(/^shader \d+x\d+ · [\d.]+ ms( · refining)? · depth \d+\.\d\d–\d+\.\d\d$/);
    await page.getByTestId('output').selectOption('rgb');

    // another run, the camera untouched: its model is drawn
    const before = await page.getByTestId('viewport').locator('canvas').screenshot();
    await openRun(page, join(tmp, 'b'));
    await expect.poll(() => attr(page, 'data-model-iteration'), { timeout: 60_000 }).toBe('60');
    await page.waitForTimeout(3000); // its coarse frame
    const after = await page.getByTestId('viewport').locator('canvas').screenshot();
    expect(Buffer.compare(before, after)).not.toBe(0);
    expect(errors).toEqual([]);
  }, 400_000);
});
