/**
 * Milliseconds per frame of the page's shader ray-marcher in headless Chromium (WebGL2 on
 * SwiftShader here, so the CPU), for finished runs, at 400x400 and at a full canvas (1040x900 by
 * default), rendered in bands of rows as the viewer refines a still view; plus, per run, the
 * test-view PSNR of the shader render and of the host render of the same half-float snapshot, and
 * how far the half floats move the host render (float32 snapshot against half).
 *
 *   node scripts/run.mjs scripts/bench-shader.ts RUN_DIR [RUN_DIR ...]   (env: FULL=1040x900 VIEWS=0,50 REPEAT=3)
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerFastCpuKernels } from '../src/core/kernels/register';
import { cameraRays } from '../src/core/data/rays';
import { STEP_RATIO } from '../src/core/field/geometry';
import { loadTestViews } from '../src/core/run/scene-data';
import { renderRays } from '../src/core/render/render-rays';
import { decodeSnapshot, encodeSnapshot } from '../src/core/snapshot/snapshot-codec';
import { modelOfSnapshot, snapshotOf } from '../src/core/snapshot/snapshot-of';
import { mse, psnrFromMse } from '../src/core/eval/metrics';
import { openRunFolder } from '../src/session/open-run';
import { bundleForPage, launchChromium } from '../test/renderer/shader/chromium';

const runs = process.argv.slice(2);
if (runs.length === 0) {
  console.error('usage: node scripts/run.mjs scripts/bench-shader.ts RUN_DIR [RUN_DIR ...]');
  process.exit(2);
}
const [FW, FH] = (process.env.FULL ?? '1040x900').split('x').map(Number);
const VIEWS = (process.env.VIEWS ?? '0,50').split(',').map(Number);
const REPEAT = Number(process.env.REPEAT ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await tf.setBackend('cpu');
registerFastCpuKernels();
const browser = await launchChromium();
const page = await browser.newPage();
await page.setContent('<html><body></body></html>');
await page.addScriptTag({ content: await bundleForPage('test/renderer/shader/march-page.ts') });
interface PageResult {
  pixels?: number[];
  ms?: number;
  error?: string;
  shaderError?: string | null;
}
const march = (b64: string, cam: object, bands: number) =>
  page.evaluate(([b, c, n]) => (window as unknown as { march: (...a: unknown[]) => unknown }).march(b, c, 'rgb', n), [
    b64,
    cam,
    bands,
  ] as const) as Promise<PageResult>;

const rows: Record<string, unknown>[] = [];
for (const dir of runs) {
  const { source } = openRunFolder(dir, () => {});
  const snap = snapshotOf(source.model, source.mask, { iteration: source.iteration });
  const bytes = encodeSnapshot(snap);
  const b64 = Buffer.from(bytes).toString('base64');
  const views = loadTestViews(source.cfg, VIEWS);
  const half = modelOfSnapshot(decodeSnapshot(bytes));
  const full = modelOfSnapshot(decodeSnapshot(encodeSnapshot(snapshotOf(source.model, source.mask, { iteration: 0, planes: 'f32' }))));
  const row: Record<string, unknown> = {
    run: dir,
    decoder: source.cfg.decoder,
    iteration: source.iteration,
    reso: snap.reso,
    snapshotMB: +(bytes.length / 2 ** 20).toFixed(2),
  };
  const psnr: { view: number; shader: number; host: number; hostF32: number }[] = [];
  for (let k = 0; k < views.ids.length; k++) {
    const { width: w, height: h, focal } = views;
    const pose = views.poses[k];
    const r = await march(b64, { pose: Array.from(pose), focal, width: w, height: h }, Math.ceil(h / 16));
    if (!r.pixels) throw new Error(`${dir}: ${r.error ?? r.shaderError}`);
    const rgb = new Float32Array(w * h * 3);
    for (let j = 0; j < h; j++)
      for (let i = 0; i < w; i++)
        for (let c = 0; c < 3; c++) rgb[(j * w + i) * 3 + c] = Math.min(1, Math.max(0, r.pixels[((h - 1 - j) * w + i) * 4 + c]));
    const rays = cameraRays(pose, w, h, focal);
    const opts = { stepRatio: STEP_RATIO, chunk: source.cfg.chunk };
    const host = await renderRays(half.model, rays.origins, rays.dirs, rays.count, { ...opts, mask: half.mask });
    const host32 = await renderRays(full.model, rays.origins, rays.dirs, rays.count, { ...opts, mask: full.mask });
    const gt = views.images[k];
    psnr.push({
      view: views.ids[k],
      shader: psnrFromMse(mse(rgb, gt)),
      host: psnrFromMse(mse(host.rgb, gt)),
      hostF32: psnrFromMse(mse(host32.rgb, gt)),
    });
  }
  row.testViews = psnr.map((p) => ({
    view: p.view,
    shader: +p.shader.toFixed(3),
    host: +p.host.toFixed(3),
    hostFloat32: +p.hostF32.toFixed(3),
  }));
  // a view of the whole object from a test camera, at 400x400 and the full canvas
  const pose = Array.from(views.poses[0]);
  const angleX = 2 * Math.atan((0.5 * views.width) / views.focal);
  for (const [w, h] of [
    [400, 400],
    [FW, FH],
  ]) {
    const focal = (0.5 * w) / Math.tan(0.5 * angleX);
    const ms: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const r = await march(b64, { pose, focal, width: w, height: h }, Math.ceil(h / 16));
      if (r.error) throw new Error(r.error);
      ms.push(r.ms!);
    }
    row[`ms${w}x${h}`] = Math.round(median(ms));
  }
  rows.push(row);
  console.log(JSON.stringify(row));
}
await browser.close();
