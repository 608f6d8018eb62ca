/**
 * The app end to end, in browser mode: `npm run build` produces the main, preload and renderer
 * bundles (and the bundled training process trains under plain Node); then `npm run serve` runs,
 * Debian's Chromium (driven by playwright-core) opens the page, starts a short smoke training from
 * the UI, sees the iteration advance, a non-blank viewport whose pixels change as training goes
 * on, a new frame after a camera drag, pause holding the iteration and resume moving it again,
 * and a test PSNR; then the compare view trains two decoders in turn and fills its table and
 * one viewport per entry. The screenshot of the running app goes to $TENSORF_SCREENSHOT when set.
 *
 * Skips without the scene or without Chromium, unless TENSORF_REQUIRE_DATA=1 / TENSORF_REQUIRE_BROWSER=1 (CI).
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromium, type Page } from 'playwright-core';
import { gpuDeviceNodes } from '../../src/core/gpu-nodes';
import { buildOnce } from './build-once';
import { type ServeProcess, startServe } from './serve-process';
import { decodeApng } from '../core/io/apng-decode';

const DATA = 'datasets/nerf_synthetic/lego';
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const haveData = existsSync(`${DATA}/transforms_train.json`);
if (!CHROMIUM && process.env.TENSORF_REQUIRE_BROWSER === '1') throw new Error('Chromium not found (apt-get install chromium)');
const skip = (!haveData && process.env.TENSORF_REQUIRE_DATA !== '1') || (!CHROMIUM && process.env.TENSORF_REQUIRE_BROWSER !== '1');
const ITERATIONS = 70;

let server: ServeProcess | null = null;
let browser: Browser | null = null;
const tmp = mkdtempSync(join(tmpdir(), 'tensorf-e2e-'));

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let serveUrl: Promise<string> | null = null;
/** The server of this file's tests (started by the first that needs it). */
function serve(): Promise<string> {
  // the scene may be a symbolic link to a shared copy; the server follows links, so allow where it really is
  server ??= startServe([tmp, ...(haveData ? [realpathSync(DATA)] : [])]);
  serveUrl ??= server.url;
  return serveUrl;
}

async function launch(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-3d-apis', // no WebGL: the page falls back to the training process's frames (the shader view has its own test)
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return browser;
}

async function viewportPixels(page: Page): Promise<Uint8Array> {
  const shot = await page.getByTestId('viewport').locator('canvas').screenshot();
  if (process.env.TENSORF_SCREENSHOT) writeFileSync(`${process.env.TENSORF_SCREENSHOT}.viewport-${Date.now()}.png`, shot);
  return PNG.sync.read(shot).data;
}

function spread(px: Uint8Array): number {
  let lo = 255;
  let hi = 0;
  for (let i = 0; i < px.length; i += 4) {
    const v = (px[i] + px[i + 1] + px[i + 2]) / 3;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi - lo;
}

/** Share of pixels whose colour moved by more than 8 levels in some channel. */
function changedShare(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 1;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    if (Math.abs(a[i] - b[i]) > 8 || Math.abs(a[i + 1] - b[i + 1]) > 8 || Math.abs(a[i + 2] - b[i + 2]) > 8) n++;
  }
  return n / (a.length / 4);
}

const iterationOf = async (page: Page) => Number(((await page.getByTestId('iteration').textContent()) ?? '').split('/')[0].trim()) || 0;
const frameCount = async (page: Page) => Number(await page.getByTestId('viewport').getAttribute('data-frame-count')) || 0;
const frameIteration = async (page: Page) => Number(await page.getByTestId('viewport').getAttribute('data-frame-iteration')) || 0;

describe.skipIf(skip)('app in browser mode', () => {
  beforeAll(() => {
    buildOnce(); // (the shader-viewer test builds too; one build at a time)
  }, 120_000);

  it('npm run build writes the main, preload and renderer bundles, and the bundled trainer trains', async () => {
    for (const f of ['out/main/index.cjs', 'out/main/trainer.cjs', 'out/preload/index.cjs', 'out/renderer/index.html'])
      expect(existsSync(f), f).toBe(true);
    // the Electron training process, run by plain Node (it speaks Node IPC when there is no parentPort)
    const child = fork('out/main/trainer.cjs', [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const states: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bundled trainer timed out; states ${states.join(',')}`)), 90_000);
      child.on('message', (m: { type: string; state?: string; detail?: string }) => {
        if (m.type !== 'state') return;
        states.push(m.state!);
        if (m.detail === 'trainer process ready')
          child.send({
            type: 'start',
            config: { preset: 'smoke', iterations: 4, backend: 'cpu', trainViews: 3, evalViews: 1, out: join(tmp, 'bundled') },
          });
        if (m.state === 'done' || m.state === 'failed') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill();
    expect(states.at(-1)).toBe('done');
    expect(existsSync(join(tmp, 'bundled', 'summary.json'))).toBe(true);
  }, 120_000);

  it('trains from the UI with live renders, camera moves, pause/resume and a test PSNR', async () => {
    const url = await serve();
    await launch();
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await expect.poll(() => page.getByTestId('scene').inputValue(), { timeout: 15_000 }).toBe(DATA);
    // the default scene opens on load, with its summary; training cameras drawn, test cameras behind a toggle
    const views = (split: string) => JSON.parse(readFileSync(`${DATA}/transforms_${split}.json`, 'utf8')).frames.length as number;
    const png = PNG.sync.read(readFileSync(`${DATA}/train/r_0.png`));
    await expect
      .poll(() => page.getByTestId('scene-summary').textContent(), { timeout: 30_000 })
      .toBe(`lego: ${views('train')} train, ${views('val')} val, ${views('test')} test views, ${png.width}×${png.height} px`);
    const frustums = async () => Number(await page.getByTestId('viewport').getAttribute('data-frustums'));
    expect(await frustums()).toBe(views('train'));
    await page.getByTestId('show-test-cameras').check();
    await page.getByTestId('show-train-cameras').uncheck();
    expect(await frustums()).toBe(views('test'));
    await page.getByTestId('show-train-cameras').check();

    // only backends that start are offered: the others disabled, with a short reason as tooltip
    await expect.poll(() => page.getByTestId('backend').getAttribute('data-probed'), { timeout: 30_000 }).toBe('true');
    const options = await page
      .getByTestId('backend')
      .locator('option')
      .evaluateAll((os) =>
        os.map((o) => ({
          value: (o as HTMLOptionElement).value,
          disabled: (o as HTMLOptionElement).disabled,
          title: (o as HTMLOptionElement).title,
        })),
      );
    for (const o of options) {
      if (o.value === 'auto' || o.value === 'cpu') expect(o.disabled, o.value).toBe(false);
      if (o.disabled) {
        expect(o.title, o.value).toMatch(/^not available here: .{1,150}$/);
        expect(o.title, o.value).not.toMatch(/\.cache|\.mjs|--|(^|\s)\//); // no file paths, no command-line flags
      }
    }
    if (!existsSync('node_modules/@tensorflow/tfjs-node') && !existsSync('node_modules/@tensorflow/tfjs-node-gpu'))
      expect(options.find((o) => o.value === 'tensorflow')?.disabled).toBe(true);
    if (process.platform === 'linux' && gpuDeviceNodes(readdirSync('/dev')).length === 0 && !existsSync('/dev/dri'))
      expect(options.find((o) => o.value === 'webgpu')).toMatchObject({
        disabled: true,
        title: 'not available here: no GPU here (no GPU device node)',
      });

    await page.getByTestId('preset').selectOption('smoke');
    await page.getByTestId('decoder').selectOption('mlp');
    await page.getByTestId('backend').selectOption('cpu');
    await page.getByTestId('iterations').fill(String(ITERATIONS));
    // a bad value is named once, and the message goes when the value is right
    await page.getByTestId('decoder-width').fill('-1');
    await page.getByTestId('start').click();
    expect(await page.getByTestId('message').textContent()).toBe('decoder-width: expected >= 0, got -1');
    await page.getByTestId('decoder-width').fill('0');
    expect(await page.getByTestId('message').textContent()).toBe('');
    await page.getByTestId('start').click();

    // the iteration advances
    await expect.poll(() => iterationOf(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    const it1 = await iterationOf(page);
    await expect.poll(() => iterationOf(page), { timeout: 30_000 }).toBeGreaterThan(it1);

    // a non-blank image, whose pixels change as training proceeds
    await expect.poll(() => frameCount(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('message').textContent()).toBe(''); // no "nothing to render yet" left from the start
    // this browser has no WebGL (--disable-3d-apis): the page says once that the shader view is
    // off, and shows the training process's frames, saying so under the picture
    expect(await page.getByTestId('shader-note').textContent()).toMatch(
      /^Shader view off: .+\. Frames are rendered by the training process instead\.$/,
    );
    expect(await page.getByTestId('frame-info').textContent()).toMatch(/^host \d+x\d+ · [\d.]+ ms$/);
    const early = await viewportPixels(page);
    expect(spread(early)).toBeGreaterThan(20);
    // the first frames are a nearly uniform haze; by iteration 45 (70 of smoke's 100: upsampled at 28, masked at 40) the model has a shape
    await expect.poll(() => frameIteration(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(45);
    const later = await viewportPixels(page);
    if (process.env.TENSORF_SCREENSHOT) writeFileSync(process.env.TENSORF_SCREENSHOT, await page.screenshot());
    expect(changedShare(early, later)).toBeGreaterThan(0.01);

    // a camera drag gets a new frame
    const before = await frameCount(page);
    const box = (await page.getByTestId('viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width / 2 + 12 * k, box.y + box.height / 2 + 3 * k);
    await page.mouse.up();
    await expect.poll(() => frameCount(page), { timeout: 30_000 }).toBeGreaterThan(before);

    // the focused viewport's keys: W moves in toward the orbit target, D orbits around it
    const canvas = page.getByTestId('viewport').locator('canvas');
    const cameraAt = async () => ({
      distance: Number(await page.getByTestId('viewport').getAttribute('data-camera-distance')),
      azimuth: Number(await page.getByTestId('viewport').getAttribute('data-camera-azimuth')),
    });
    expect(await canvas.getAttribute('tabindex')).toBe('0');
    expect(await page.getByTestId('viewport-keys').textContent()).toMatch(/W.*S.*A.*D.*Space pause\/resume/);
    await canvas.focus();
    const cam0 = await cameraAt();
    await page.keyboard.press('w');
    const cam1 = await cameraAt();
    expect(cam1.distance).toBeLessThan(cam0.distance);
    expect(cam1.azimuth).toBeCloseTo(cam0.azimuth, 3);
    await page.keyboard.press('ArrowRight');
    expect((await cameraAt()).azimuth).not.toBeCloseTo(cam1.azimuth, 3);

    // pause (Space in the focused viewport) holds the iteration; Space typed in a form field does not resume; resume moves it again
    await page.keyboard.press(' ');
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 30_000 }).toBe('paused');
    await page.waitForTimeout(500);
    const held = await iterationOf(page);
    await page.getByTestId('test-view').press(' ');
    await page.waitForTimeout(2500);
    expect(await page.getByTestId('state').textContent()).toBe('paused');
    expect(await iterationOf(page)).toBe(held);
    await page.getByTestId('pause').click();
    await expect.poll(() => iterationOf(page), { timeout: 30_000 }).toBeGreaterThan(held);
    expect(await page.getByTestId('state-detail').textContent()).toMatch(/^run folder /); // the run's line again, not "resumed"

    // a test PSNR (the running one at iteration 50, then the final evaluation)
    await expect.poll(async () => (await page.getByTestId('test-psnr').textContent()) ?? '', { timeout: 120_000 }).toMatch(/^\d+\.\d\d/);
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 120_000 }).toBe('done');
    expect(await iterationOf(page)).toBe(ITERATIONS);
    // the chart labels the running and the final test PSNR apart, and the loss has a chart of its own
    await expect
      .poll(() => page.getByTestId('chart-legend').locator('.legend-item').allTextContents(), { timeout: 10_000 })
      .toEqual(
        expect.arrayContaining(['train', expect.stringMatching(/^test, \d+ views?$/), expect.stringMatching(/^final, \d+ views?$/)]),
      );
    expect(await page.getByTestId('loss-chart').locator('path[data-series="loss"]').count()).toBe(1);
    // snapped to a test view, its own frustum is not drawn (the camera looks through it)
    await page.getByTestId('test-view').fill('3');
    await page.getByTestId('snap').click();
    await expect.poll(() => page.getByTestId('test-view-images').getAttribute('data-view'), { timeout: 60_000 }).toBe('3');
    expect(await frustums()).toBe(views('train') + views('test') - 1);
    const firstRun = /run folder (\S+)/.exec((await page.getByTestId('state-detail').textContent()) ?? '')?.[1];
    expect(firstRun).toBeTruthy();

    // the compare view: two decoders trained in turn, the table filling in, a viewport per entry
    await page.getByTestId('mode-compare').click();
    await page.getByTestId('iterations').fill('12');
    await page.getByTestId('compare-decoders').fill('mlp,splitnet:width=20');
    await page.getByTestId('compare-start').click();
    const status = (label: string) => page.getByTestId(`compare-row-${label}`).getAttribute('data-status');
    await expect.poll(() => status('mlp'), { timeout: 120_000 }).toBe('done');
    await expect.poll(() => status('splitnet-width=20'), { timeout: 120_000 }).toBe('done');
    for (const label of ['mlp', 'splitnet-width=20']) {
      const row = page.getByTestId(`compare-row-${label}`);
      expect(await row.locator('[data-col="psnr"]').textContent()).toMatch(/^\d+\.\d\d/);
      expect(await row.locator('[data-col="params"]').textContent()).toMatch(/\d/);
      await expect
        .poll(async () => Number(await page.getByTestId(`compare-view-${label}`).getAttribute('data-frame-count')), { timeout: 30_000 })
        .toBeGreaterThanOrEqual(1);
    }
    expect(await page.getByTestId('compare-row-mlp').locator('[data-col="params"]').textContent()).toMatch(/^36[,.\s\u202f]?227$/);
    // every entry has its curves, named in the legend
    const chartRuns = async () =>
      [
        ...new Set(
          await page
            .getByTestId('chart')
            .locator('path[data-series="train"]')
            .evaluateAll((ps) => ps.map((p) => p.getAttribute('data-run'))),
        ),
      ].sort();
    await expect.poll(chartRuns, { timeout: 10_000 }).toEqual(['mlp', 'splitnet-width=20']);
    expect(await page.getByTestId('chart-legend').locator('[data-kind="run"]').allTextContents()).toEqual(['mlp', 'splitnet-width=20']);

    // opening a run shows its model at once (no camera move), and the status is that run's
    await page.getByTestId('mode-train').click();
    await expect.poll(() => frameIteration(page), { timeout: 30_000 }).toBe(12); // the comparison's last entry
    await page.getByTestId('run-path').fill(firstRun!);
    await page.getByTestId('open-run').click();
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 30_000 }).toBe('viewing');
    await expect.poll(() => frameIteration(page), { timeout: 15_000 }).toBe(ITERATIONS);
    expect(await page.getByTestId('iteration').textContent()).toBe(`${ITERATIONS} / ${ITERATIONS}`);
    for (const id of ['loss', 'its-per-s', 'eta']) expect(await page.getByTestId(id).textContent(), id).toBe('—');

    // a reload keeps the form and shows the comparison: every entry's model, no error
    await page.reload();
    await expect.poll(() => page.getByTestId('compare-decoders').inputValue(), { timeout: 15_000 }).toBe('mlp,splitnet:width=20');
    expect(await page.getByTestId('backend').inputValue()).toBe('cpu');
    expect(await page.getByTestId('iterations').inputValue()).toBe('12');
    await expect.poll(() => page.getByTestId('app').getAttribute('data-mode'), { timeout: 15_000 }).toBe('compare');
    for (const label of ['mlp', 'splitnet-width=20']) {
      await expect
        .poll(async () => Number(await page.getByTestId(`compare-view-${label}`).getAttribute('data-frame-count')), { timeout: 30_000 })
        .toBeGreaterThanOrEqual(1);
    }
    expect(await page.getByTestId('message').textContent()).toBe('');
    // the last job was the opened run: its curves, not the comparison's
    expect(await page.getByTestId('chart').getAttribute('data-runs')).toBe('1');
    if (process.env.TENSORF_SCREENSHOT) writeFileSync(`${process.env.TENSORF_SCREENSHOT}.end.png`, await page.screenshot());
    expect(errors).toEqual([]);
  }, 540_000);

  it('fits 1366x768 and 1400x900, saves a checkpoint now, records a turntable, resumes a stopped run', async () => {
    const url = await serve();
    const page = await (await launch()).newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await expect.poll(() => page.getByTestId('scene-summary').textContent(), { timeout: 30_000 }).toMatch(/^lego: /);
    // the server may still hold the first test's comparison, which switches a new page to Compare
    await page.getByTestId('mode-train').click();
    // every control without scrolling: the side column is not taller than the window, nothing is cut off at its right
    const controls = [
      'open-scene',
      'open-run',
      'resume-run',
      'start',
      'pause',
      'stop',
      'evaluate',
      'save-checkpoint',
      'output',
      'snap',
      'record',
    ];
    for (const [width, height] of [
      [1366, 768],
      [1400, 900],
    ]) {
      await page.setViewportSize({ width, height });
      const side = await page
        .getByTestId('side')
        .evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight, right: el.getBoundingClientRect().right }));
      expect(side.scroll, `side column at ${width}x${height}`).toBeLessThanOrEqual(side.client);
      for (const id of controls) {
        const box = (await page.getByTestId(id).boundingBox())!;
        expect(box.y + box.height, `${id} at ${width}x${height}`).toBeLessThanOrEqual(height);
        expect(box.x + box.width, `${id} at ${width}x${height}`).toBeLessThanOrEqual(side.right);
      }
      const chart = (await page.getByTestId('loss-chart').boundingBox())!;
      expect(chart.y + chart.height).toBeLessThanOrEqual(height);
    }
    // a panel collapses on its heading
    await page.getByTestId('panel-status').locator('summary').click();
    expect(await page.getByTestId('state').isVisible()).toBe(false);
    await page.getByTestId('panel-status').locator('summary').click();
    expect(await page.getByTestId('state').isVisible()).toBe(true);

    await page.getByTestId('preset').selectOption('smoke');
    await page.getByTestId('backend').selectOption('cpu');
    await page.getByTestId('iterations').fill('2000');
    await page.getByTestId('start').click();
    await expect.poll(() => iterationOf(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('checkpoint-saved').textContent()).toBe('—'); // smoke writes none before the end
    await page.getByTestId('save-checkpoint').click();
    await expect
      .poll(() => page.getByTestId('checkpoint-saved').textContent(), { timeout: 30_000 })
      .toMatch(/^iteration \d+, \d\d:\d\d:\d\d$/);

    // a turntable through the viewport camera, offered as a download of an animated PNG
    await page.getByTestId('record-frames').fill('3');
    await page.getByTestId('record-width').fill('32');
    await page.getByTestId('record-fps').fill('5');
    await page.getByTestId('record').click();
    const link = page.getByTestId('record-download');
    // the training process renders the frames between training steps, taking turns with the live
    // viewport frames the page keeps asking for (before they took turns, those starved it)
    await expect.poll(() => link.count(), { timeout: 60_000 }).toBe(1);
    expect(await link.getAttribute('download')).toMatch(/^turntable-it\d+(-\d+)?\.apng$/);
    // the page's CSP allows no fetch of blob: URLs; the user's way: click it and save the download
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), link.click()]);
    expect(download.suggestedFilename()).toBe(await link.getAttribute('download'));
    const bytes = readFileSync((await download.path())!);
    const apng = decodeApng(Uint8Array.from(bytes));
    expect([apng.frames.length, apng.width, apng.fps]).toEqual([3, 32, [5, 5, 5]]);
    const aspect = await page.getByTestId('viewport').evaluate((el) => el.clientWidth / el.clientHeight);
    expect(Math.abs(apng.height - 32 / aspect)).toBeLessThanOrEqual(1); // the height from the viewport's aspect

    // the snapped test view over the viewport, larger than the old 100 px thumbnails, and closed again
    await page.getByTestId('snap').click();
    await expect.poll(() => page.getByTestId('test-view-images').getAttribute('data-view'), { timeout: 60_000 }).toBe('0');
    const thumb = (await page.getByTestId('test-view-images').locator('canvas').first().boundingBox())!;
    expect(thumb.width).toBeGreaterThanOrEqual(150);
    await page.getByTestId('test-view-close').click();
    expect(await page.getByTestId('test-view-panel').isVisible()).toBe(false);

    // stop, then resume the run folder from the page: it continues from its checkpoint
    await page.getByTestId('stop').click();
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 60_000 }).toBe('stopped');
    const detail = (await page.getByTestId('state-detail').textContent()) ?? '';
    const [, at, dir] = /^stopped at iteration (\d+); run folder (\S+)$/.exec(detail) ?? [];
    expect(dir, detail).toBeTruthy();
    await page.getByTestId('run-path').fill(dir);
    await page.getByTestId('resume-run').click();
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 60_000 }).toBe('training');
    expect(await page.getByTestId('checkpoint-saved').textContent()).toBe(`resumed from iteration ${at}`);
    await expect.poll(() => iterationOf(page), { timeout: 60_000 }).toBeGreaterThan(Number(at));
    expect(await page.getByTestId('state-detail').textContent()).toMatch(new RegExp(`^resuming ${dir} at iteration ${at} of 2000`));
    await page.getByTestId('stop').click();
    await expect.poll(() => page.getByTestId('state').textContent(), { timeout: 60_000 }).toBe('stopped');
    if (process.env.TENSORF_SCREENSHOT) writeFileSync(`${process.env.TENSORF_SCREENSHOT}.1366x768.png`, await page.screenshot());
    rmSync(dir, { recursive: true, force: true });
    expect(errors).toEqual([]);
  }, 300_000);
});
