/**
 * The README's screenshots of the app (not part of the tests): browser mode (`npm run serve`) in
 * headless Chromium at 1280x800, then the whole page saved as a PNG.
 *
 *   node scripts/run.mjs scripts/screenshot-app.ts RUN_DIR OUT.png        a finished run opened, snapped
 *       to test view VIEW (default 0) and left to refine in the shader view
 *   node scripts/run.mjs scripts/screenshot-app.ts --train PRESET:ITERATION OUT.png
 *       a training started in the page (mlp on BACKEND, default cpu), shot once it passes ITERATION, then stopped;
 *       its run folder is removed
 *   (env: VIEW=0 BACKEND=cpu SIZE=1280x800 TIMEOUT_S=1800)
 *
 * WebGL2 runs on SwiftShader here (the CPU), so a refined full canvas takes many minutes
 * ("Measured → Shader view"); the frame-info line is printed every 30 s meanwhile, and at
 * TIMEOUT_S the page is shot as it is (exit status 1). The page must have been built
 * (`npm run build`, or any earlier `npm run serve`).
 */
import { mkdirSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { startServe } from '../test/e2e/serve-process';
import { launchChromium } from '../test/renderer/shader/chromium';

const args = process.argv.slice(2);
const training = args[0] === '--train';
const [target, outArg] = training ? args.slice(1) : args;
if (!target || !outArg || (training && !/^\w+:\d+$/.test(target))) {
  console.error('usage: node scripts/run.mjs scripts/screenshot-app.ts (RUN_DIR | --train PRESET:ITERATION) OUT.png');
  process.exit(2);
}
const out = resolve(outArg);
const [width, height] = (process.env.SIZE ?? '1280x800').split('x').map(Number);
const deadline = Date.now() + Number(process.env.TIMEOUT_S ?? 1800) * 1000;
const data = realpathSync('datasets/nerf_synthetic/lego');
const stamp = () => new Date().toISOString().slice(11, 19);
const text = async (page: Page, id: string) => (await page.getByTestId(id).textContent()) ?? '';

/** Opens the run, snaps to the test view and waits for the shader to refine it. */
async function viewRun(page: Page, run: string): Promise<void> {
  await page.getByTestId('run-path').fill(run);
  await page.getByTestId('open-run').click();
  // the run's model snapshot has reached the page
  await page.waitForFunction(
    () => (document.querySelector('[data-testid="viewport"]') as HTMLElement | null)?.dataset.modelIteration,
    null,
    {
      timeout: 120_000,
    },
  );
  await page.getByTestId('test-view').fill(process.env.VIEW ?? '0');
  await page.getByTestId('snap').click();
  for (;;) {
    const info = await text(page, 'frame-info');
    const psnr = await text(page, 'test-view-psnr');
    console.log(`${stamp()} frame-info: ${info} | test-view-psnr: ${psnr}`);
    if (/^shader .* dB · host .* dB$/.test(psnr) && !info.includes('refining')) return;
    if (Date.now() > deadline) {
      console.error(`not refined before TIMEOUT_S: the screenshot shows the frame as it is (${info})`);
      process.exitCode = 1;
      return;
    }
    await page.waitForTimeout(30_000);
  }
}

/** Starts a training in the page and waits until it passes the iteration. */
async function train(page: Page, preset: string, iteration: number): Promise<void> {
  await page.getByTestId('preset').selectOption(preset);
  await page.getByTestId('decoder').selectOption('mlp');
  await page.getByTestId('backend').selectOption(process.env.BACKEND ?? 'cpu');
  await page.getByTestId('start').click();
  for (;;) {
    const it = Number((await text(page, 'iteration')).split('/')[0]);
    if (it >= iteration) return;
    if (Date.now() > deadline) throw new Error(`iteration ${iteration} not reached before TIMEOUT_S`);
    await page.waitForTimeout(1000);
  }
}

mkdirSync('runs', { recursive: true });
const runsBefore = new Set(readdirSync('runs', { withFileTypes: true }).map((d) => d.name));
const run = training ? '' : realpathSync(target);
const server = startServe(training ? [realpathSync('runs'), data] : [dirname(run), data]);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(await server.url);
  if (training) {
    const [preset, iteration] = target.split(':');
    await train(page, preset, Number(iteration));
  } else {
    await viewRun(page, run);
  }
  await page.screenshot({ path: out });
  const iteration = await page.getByTestId('viewport').getAttribute('data-model-iteration');
  console.log(`wrote ${out} (the page's model: iteration ${iteration || 'none'})`);
  if (training) await page.getByTestId('stop').click();
} finally {
  await browser.close();
  await server.stop();
  if (training) {
    for (const name of readdirSync('runs')) if (!runsBefore.has(name)) rmSync(join('runs', name), { recursive: true, force: true });
  }
}
