/**
 * Does moving the camera cost the training anything? Browser mode, a smoke training (one compute
 * thread, pinned to CPU 0 with taskset) watched by Chromium (every thread pinned to CPU 1, also
 * SwiftShader's, which pin themselves: pinChromium below; this script runs on CPU 1 too): the training's it/s, from its own
 * metrics.jsonl (the run's folder under runs/ is removed afterwards),
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
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
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
// This script drives the page (Playwright's CDP client parses every WebSocket frame the page
// receives, model snapshots included): it belongs with the viewer on CPU 1, not on the training's CPU.
execFileSync('taskset', ['-a', '-pc', '1', String(process.pid)], { stdio: 'ignore' });
const tmp = mkdtempSync(join(tmpdir(), 'tensorf-its-'));
// Chromium (and its GPU process, SwiftShader) on CPU 1
const pinned = join(tmp, 'chromium-on-cpu1');
writeFileSync(pinned, `#!/bin/sh\nexec taskset -c 1 ${CHROMIUM} "$@"\n`);
chmodSync(pinned, 0o755);

/**
 * Puts every thread of every Chromium process on CPU 1 (taskset -a) and returns how many were
 * elsewhere. taskset on the launcher pins the processes, but SwiftShader's worker threads (marl's
 * `Thread<NN>`) set their own affinity when WebGL starts, to CPU 0 here: without this, the shader
 * view's rendering ran on the training's CPU and slowed it (seen with perf's sched_switch: the
 * training preempted by Thread<00> and Thread<01>).
 */
function pinChromium(): number {
  let moved = 0;
  let pids: string[] = [];
  try {
    pids = execFileSync('pgrep', ['chromium'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return 0; // none running
  }
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1];
        if (allowed === undefined || allowed === '1') continue;
        execFileSync('taskset', ['-pc', '1', tid], { stdio: 'ignore' });
        moved++;
      } catch {
        // the thread ended
      }
    }
  }
  return moved;
}

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

/**
 * The training's last logged step (iteration, training seconds) from its run's metrics.jsonl: the
 * training's own clock. (The page's iteration field is not one: with SwiftShader busy on CPU 1 the
 * page took its status events late, and rates read from it were off by up to 2x.)
 */
function lastStep(runDir: string): { iteration: number; elapsed: number } | null {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const e = JSON.parse(line) as { type?: string; iteration?: number; elapsed?: number };
      if (e.type === 'step' && e.iteration !== undefined && e.elapsed !== undefined) return { iteration: e.iteration, elapsed: e.elapsed };
    } catch {
      // a line being written
    }
  }
  return null;
}

/** The run folder the page's Start made: the one new folder in runs/. */
async function newRun(before: Set<string>): Promise<string> {
  for (let k = 0; k < 600; k++) {
    const fresh = existsSync('runs') ? readdirSync('runs').filter((d) => !before.has(d)) : [];
    if (fresh.length === 1) return join('runs', fresh[0]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no new run folder under runs/ after Start');
}

async function rate(page: Page, runDir: string, seconds: number, drag: boolean): Promise<number> {
  const s0 = lastStep(runDir);
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
  const s1 = lastStep(runDir);
  if (!s0 || !s1 || s1.elapsed <= s0.elapsed) throw new Error(`${runDir}: no training steps logged over ${seconds} s`);
  return (s1.iteration - s0.iteration) / (s1.elapsed - s0.elapsed);
}

for (const mode of MODES.filter((m) => modeFlag === undefined || m === modeFlag)) {
  const { url, proc } = await serve();
  // host mode: no WebGL at all (as test/e2e/app-browser.test.ts), so the page shows the training process's frames
  const args = mode === 'shader' ? WEBGL_ARGS : ['--headless', '--no-sandbox', '--disable-gpu', '--disable-3d-apis'];
  const browser = await chromium.launch({ executablePath: pinned, args });
  let repinned = 0;
  let runDir = '';
  const repin = setInterval(() => {
    repinned += pinChromium();
  }, 500);
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    await page.goto(url);
    await page.getByTestId('preset').selectOption('smoke');
    await page.getByTestId('backend').selectOption('cpu');
    await page.getByTestId('iterations').fill('100000');
    const before = new Set(existsSync('runs') ? readdirSync('runs') : []);
    const started = Date.now();
    await page.getByTestId('start').click();
    runDir = await newRun(before);
    // until iteration 150 or --wait-s, whichever is first; the rates are then measured from there
    while ((lastStep(runDir)?.iteration ?? 0) < 150 && Date.now() - started < WAIT_S * 1000) await page.waitForTimeout(1000);
    const reached = Date.now();
    const startIteration = lastStep(runDir)?.iteration ?? 0;
    const still = await rate(page, runDir, 12, false);
    const moving = await rate(page, runDir, 12, true);
    console.log(
      JSON.stringify({
        mode,
        itsStill: +still.toFixed(2),
        itsMoving: +moving.toFixed(2),
        startIteration,
        secondsToStart: +((reached - started) / 1000).toFixed(1),
        chromiumThreadsRepinned: repinned,
        frameInfo: await page.getByTestId('frame-info').textContent(),
      }),
    );
    await page.getByTestId('stop').click();
    await page.waitForTimeout(3000);
  } finally {
    clearInterval(repin);
    // also when a step times out: the server's training would go on using CPU 0
    await browser.close();
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    if (runDir) rmSync(runDir, { recursive: true, force: true }); // the bench's run (the server has ended: nothing writes to it now)
  }
}
rmSync(tmp, { recursive: true, force: true });
