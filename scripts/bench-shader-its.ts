/**
 * Does moving the camera cost the training anything? Browser mode, a smoke training (one compute
 * thread, pinned to CPU 0 with taskset) watched by Chromium (pinned to CPU 1): the training's it/s
 * over 12 s with the camera still, then over 12 s of continuous camera drags, once with the
 * shader view (WebGL2 on SwiftShader: the page draws) and once without WebGL (--disable-3d-apis: the
 * training process renders every frame). Prints one JSON line per mode.
 *
 *   node scripts/run.mjs scripts/bench-shader-its.ts [--mode shader|host] [--wait-s 180]
 *
 * The rates are measured from iteration 150, or from wherever the training is after --wait-s
 * seconds, whichever comes first; the JSON line says which iteration and how many seconds after
 * the start that was.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM, WEBGL_ARGS } from '../test/renderer/shader/chromium';

if (!CHROMIUM) throw new Error('Chromium not found');

const DATA = 'datasets/nerf_synthetic/lego';
const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const MODES = ['shader', 'host'] as const;
const modeFlag = flag('mode');
if (modeFlag !== undefined && !(MODES as readonly string[]).includes(modeFlag)) {
  throw new Error(`--mode: expected shader or host, got ${modeFlag}`);
}
const WAIT_S = Number(flag('wait-s') ?? '180');
if (!(WAIT_S > 0)) throw new Error(`--wait-s: expected a positive number of seconds, got ${flag('wait-s')}`);
const tmp = mkdtempSync(join(tmpdir(), 'tensorf-its-'));
// Chromium (and its GPU process, SwiftShader) on CPU 1
const pinned = join(tmp, 'chromium-on-cpu1');
writeFileSync(pinned, `#!/bin/sh\nexec taskset -c 1 ${CHROMIUM} "$@"\n`);
chmodSync(pinned, 0o755);

function serve(): Promise<{ url: string; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      'taskset',
      ['-c', '0', process.execPath, 'scripts/run.mjs', 'src/cli/serve.ts', '--port', '0', '--allow', `${tmp},${realpathSync(DATA)}`],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /TensoRF app: (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], proc });
    });
    proc.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
  });
}

const iteration = async (page: Page) => Number(((await page.getByTestId('iteration').textContent()) ?? '').split('/')[0].trim()) || 0;

async function rate(page: Page, seconds: number, drag: boolean): Promise<number> {
  const i0 = await iteration(page);
  const t0 = Date.now();
  const box = (await page.getByTestId('viewport').boundingBox())!;
  while (Date.now() - t0 < seconds * 1000) {
    if (drag) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width / 2 + 8 * k, box.y + box.height / 2 + 2 * k, { steps: 2 });
      await page.mouse.up();
    } else await page.waitForTimeout(200);
  }
  return (await iteration(page)) - i0;
}

for (const mode of MODES.filter((m) => modeFlag === undefined || m === modeFlag)) {
  const { url, proc } = await serve();
  // host mode: no WebGL at all (as test/e2e/app-browser.test.ts), so the page shows the training process's frames
  const args = mode === 'shader' ? WEBGL_ARGS : ['--headless', '--no-sandbox', '--disable-gpu', '--disable-3d-apis'];
  const browser = await chromium.launch({ executablePath: pinned, args });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    await page.goto(url);
    await page.getByTestId('preset').selectOption('smoke');
    await page.getByTestId('backend').selectOption('cpu');
    await page.getByTestId('iterations').fill('100000');
    const started = Date.now();
    await page.getByTestId('start').click();
    // until iteration 150 or --wait-s, whichever is first; the rates are then measured from there
    while ((await iteration(page)) < 150 && Date.now() - started < WAIT_S * 1000) await page.waitForTimeout(1000);
    const reached = Date.now();
    const startIteration = await iteration(page);
    const still = (await rate(page, 12, false)) / 12;
    const moving = (await rate(page, 12, true)) / 12;
    console.log(
      JSON.stringify({
        mode,
        itsStill: +still.toFixed(2),
        itsMoving: +moving.toFixed(2),
        startIteration,
        secondsToStart: +((reached - started) / 1000).toFixed(1),
        frameInfo: await page.getByTestId('frame-info').textContent(),
      }),
    );
    await page.getByTestId('stop').click();
    await page.waitForTimeout(3000);
  } finally {
    // also when a step times out: the server's training would go on using CPU 0
    await browser.close();
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  }
}
rmSync(tmp, { recursive: true, force: true });
