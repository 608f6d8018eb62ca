/**
 * Seconds per test view on the cpu backend, the plain host render (render/host-chunk.ts: density
 * at every sample) against the early-terminating march (render/march-host.ts), on a saved run,
 * and the fraction of density evaluations the march saves (issue 13). Per view the two renders
 * alternate (plain first on even views, march first on odd ones); it prints each path's seconds
 * per view (mean and median), the sample counts, the largest rgb difference between the two
 * images, and both mean PSNRs.
 *
 *   node scripts/run.mjs scripts/bench-march.ts RUN_DIR
 *   env: VIEWS (5, evenly spaced test views), CHUNK (4096), SEGMENT and STOP (march-host.ts
 *        MARCH_DEFAULTS: 8, 1e-4),
 *        ONLY (full,march: the paths timed; with one, no comparison)
 */
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { initBackend } from '../src/core/backend';
import { evenlySpaced } from '../src/core/data/nerf-synthetic';
import { cameraRays } from '../src/core/data/rays';
import { mse, psnrFromMse } from '../src/core/eval/metrics';
import { nSamplesEval, STEP_RATIO, stepSize } from '../src/core/field/geometry';
import { CHECKPOINT_FILE } from '../src/core/io/run-folder';
import { modelParams } from '../src/core/model';
import { flatGroups } from '../src/core/params';
import type { ChunkInput, ChunkRender } from '../src/core/render/chunk';
import { renderChunkFull } from '../src/core/render/host-chunk';
import { MARCH_DEFAULTS, marchChunk } from '../src/core/render/march-host';
import { hostParamTensors } from '../src/core/render/render-path';
import { loadTestViews, testViewCount } from '../src/core/run/scene-data';
import { loadModel } from '../src/core/train/trainer-checkpoint';

const run = process.argv[2];
if (!run) throw new Error('usage: node scripts/run.mjs scripts/bench-march.ts RUN_DIR');
const VIEWS = Number(process.env.VIEWS ?? 5);
const CHUNK = Number(process.env.CHUNK ?? 4096);
const SEGMENT = Number(process.env.SEGMENT ?? MARCH_DEFAULTS.segment);
const STOP = Number(process.env.STOP ?? MARCH_DEFAULTS.stopAt);
const only = (process.env.ONLY ?? 'full,march').split(',');

await initBackend('cpu');
const { model, mask, meta } = loadModel(join(run, CHECKPOINT_FILE));
const ids = evenlySpaced(testViewCount(meta.config), VIEWS);
const views = loadTestViews(meta.config, ids);
const f = model.field;
const step = stepSize(f.box, f.reso, STEP_RATIO);
const nSamples = nSamplesEval(f.box, step);
const params = hostParamTensors(modelParams(model));
console.log(`${run}: ${views.width}x${views.height}, ${ids.length} views, reso ${f.reso.join('x')}, N ${nSamples}, chunk ${CHUNK}`);
console.log(`march: segment ${SEGMENT}, stop at T < ${STOP}`);

type Path = 'full' | 'march';
const seconds: Record<Path, number[]> = { full: [], march: [] };
const psnr: Record<Path, number[]> = { full: [], march: [] };
let planned = 0;
let evaluated = 0;
let decoded = 0;
let retired = 0;
let rays = 0;
let maxDiff = 0;

function render(path: Path, origins: Float32Array, dirs: Float32Array, count: number): Float32Array {
  const rgb = new Float32Array(3 * count);
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    const c: ChunkInput = {
      field: f,
      decoder: model.decoder,
      params,
      origins: origins.subarray(3 * start, 3 * (start + n)),
      dirs: dirs.subarray(3 * start, 3 * (start + n)),
      count: n,
      step,
      nSamples,
    };
    let out: ChunkRender;
    if (path === 'full') out = renderChunkFull(c, mask);
    else {
      const m = marchChunk(c, mask, { segment: SEGMENT, stopAt: STOP });
      planned += m.planned;
      evaluated += m.evaluated;
      decoded += m.decoded;
      retired += m.residual.filter((T) => T > 0).length;
      out = m.render;
    }
    rgb.set(out.rgb, 3 * start);
  }
  return rgb;
}

const paths = (['full', 'march'] as Path[]).filter((p) => only.includes(p));
for (let i = 0; i < ids.length; i++) {
  const r = cameraRays(views.poses[i], views.width, views.height, views.focal);
  rays += r.count;
  const order = i % 2 === 0 ? paths : [...paths].reverse();
  const images: Partial<Record<Path, Float32Array>> = {};
  for (const p of order) {
    const t0 = performance.now();
    images[p] = render(p, r.origins, r.dirs, r.count);
    seconds[p].push((performance.now() - t0) / 1000);
    psnr[p].push(psnrFromMse(mse(images[p], views.images[i])));
  }
  if (images.full && images.march)
    for (let j = 0; j < images.full.length; j++) maxDiff = Math.max(maxDiff, Math.abs(images.full[j] - images.march[j]));
  console.log(`view ${ids[i]}: ${paths.map((p) => `${p} ${seconds[p][i].toFixed(3)} s`).join(', ')}`);
}
tf.dispose(flatGroups(params));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const p of paths)
  console.log(`${p}: ${mean(seconds[p]).toFixed(3)} s/view (median ${median(seconds[p]).toFixed(3)}), PSNR ${mean(psnr[p]).toFixed(4)}`);
if (only.includes('march')) {
  const saved = 1 - evaluated / planned;
  console.log(`density evaluations: ${evaluated} of ${planned} planned (${(100 * saved).toFixed(1)}% saved); decoded ${decoded}`);
  console.log(`rays retired early: ${retired} of ${rays} (${((100 * retired) / rays).toFixed(1)}%)`);
}
if (paths.length === 2) console.log(`max |rgb full - rgb march|: ${maxDiff.toExponential(3)}`);
