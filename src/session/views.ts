/**
 * What the app renders from a model: viewport frames (sized from a probe render so each takes
 * about its time budget), test views with ground truth and error map, and the running test PSNR.
 */
import { STEP_RATIO } from '../core/field/geometry';
import type { ViewSet } from '../core/data/view-set';
import type { TrainConfig } from '../core/config';
import { loadTestViews } from '../core/run/scene-data';
import { evaluateViews, renderView } from '../core/eval/evaluate';
import { errorMap, mse, psnrFromMse } from '../core/eval/metrics';
import type { AlphaMask } from '../core/field/alpha-mask';
import type { Model } from '../core/model';
import type { ParamGroups } from '../core/params';
import type * as tf from '@tensorflow/tfjs-core';
import { visViewIds } from '../core/data/view-set';
import type { Trainer } from '../core/train/trainer';
import type { ClientMessage, ServerMessage } from '../protocol/messages';
import { focalFromFovY, image64, rgbToRgba, toRgba } from './frames';

export class HostError extends Error {
  override name = 'HostError';
}

/** What renders come from: a training model, or a checkpoint the user opened. */
export interface ViewSource {
  model: Model;
  mask: AlphaMask | null;
  cfg: TrainConfig;
  iteration: number;
  test: ViewSet | null;
  testCount: number;
  /** The parameters on the device while a device-resident training holds them (else the model's host arrays are rendered). */
  deviceParams?: () => ParamGroups<tf.Tensor> | null;
}

/**
 * A trainer's current model as a render source (a snapshot of its iteration). A device-resident
 * training is rendered from its parameters on the device, so nothing is downloaded per frame.
 */
export function trainerSource(t: Trainer): ViewSource {
  return {
    model: t.model,
    mask: t.mask,
    cfg: t.cfg,
    iteration: t.iteration,
    test: t.data.test,
    testCount: t.data.testCount,
    deviceParams: () => t.path.deviceParams(),
  };
}

export type RenderRequest = Extract<ClientMessage, { type: 'render' }>;
export type SnapRequest = Extract<ClientMessage, { type: 'snapTestView' }>;

/** Side of the probe render that measures the cost per ray before each frame. */
const PROBE_SIDE = 16;
const MIN_FRAME_SIDE = 16;

/**
 * The size to render a requested frame at so that it takes about `seconds` at the measured cost
 * per ray (same aspect; at least 16 px a side; never larger than asked). The viewport stretches
 * whatever arrives over its quad, so a smaller frame is a blurrier, not a wrong, picture.
 */
export function frameSize(width: number, height: number, secondsPerRay: number, seconds: number): [number, number] {
  const budget = seconds / Math.max(secondsPerRay, 1e-9);
  if (width * height <= budget) return [width, height];
  const s = Math.sqrt(budget / (width * height));
  const side = (n: number) => Math.min(n, Math.max(MIN_FRAME_SIDE, Math.round(n * s)));
  return [side(width), side(height)];
}

export const ctxOf = (src: ViewSource) => ({
  mask: src.mask,
  stepRatio: STEP_RATIO,
  chunk: src.cfg.chunk,
  params: src.deviceParams?.() ?? null,
});

/** A viewport frame. The cost per ray changes by 10x and more as density spreads or the mask tightens, so each frame is sized from a 16x16 probe of the same view rendered just before it. */
export async function renderFrame(src: ViewSource, m: RenderRequest, seconds: number): Promise<Extract<ServerMessage, { type: 'frame' }>> {
  const { fovY, pose } = m.camera;
  const c2w = Float32Array.from(pose);
  const t0 = performance.now();
  await renderView(src.model, ctxOf(src), c2w, PROBE_SIDE, PROBE_SIDE, focalFromFovY(fovY, PROBE_SIDE));
  const perRay = (performance.now() - t0) / 1000 / (PROBE_SIDE * PROBE_SIDE);
  const [width, height] = frameSize(m.camera.width, m.camera.height, perRay, seconds);
  const r = await renderView(src.model, ctxOf(src), c2w, width, height, focalFromFovY(fovY, height));
  const image = image64(toRgba(m.output, r, width, height), width, height);
  const took = (performance.now() - t0) / 1000;
  return {
    type: 'frame',
    id: m.id,
    output: m.output,
    quality: m.quality,
    iteration: src.iteration,
    seconds: took,
    image,
    ...(m.model === undefined ? {} : { model: m.model }),
  };
}

/** Test views by frame id: from the source's loaded set when there, else read from the scene (cached). */
export class TestViews {
  private readonly cache = new Map<string, ViewSet>();

  clear(): void {
    this.cache.clear();
  }

  get(src: ViewSource, ids: number[]): { views: ViewSet; positions: number[] } {
    // no test views: the scene could not be read (or may not be: outside the allowed folders)
    if (src.testCount === 0) throw new HostError("this model's test views cannot be read (see the error when it was opened)");
    for (const id of ids) {
      if (id >= src.testCount) throw new HostError(`test view ${id} does not exist; the scene has views 0..${src.testCount - 1}`);
    }
    const loaded = src.test;
    if (loaded && ids.every((id) => loaded.ids.includes(id))) return { views: loaded, positions: ids.map((id) => loaded.ids.indexOf(id)) };
    const key = `${src.cfg.data}|${src.cfg.downscale}|${ids.join(',')}`;
    let views = this.cache.get(key);
    if (!views) {
      views = loadTestViews(src.cfg, ids);
      if (this.cache.size >= 32) this.cache.clear();
      this.cache.set(key, views);
    }
    return { views, positions: ids.map((_, i) => i) };
  }
}

/** Test view `m.view` rendered, with its ground truth, error map and PSNR. */
export async function renderTestView(
  src: ViewSource,
  m: SnapRequest,
  testViews: TestViews,
): Promise<Extract<ServerMessage, { type: 'testView' }>> {
  const { views, positions } = testViews.get(src, [m.view]);
  const k = positions[0];
  const { width: w, height: h, focal } = views;
  const r = await renderView(src.model, ctxOf(src), views.poses[k], w, h, focal);
  const gt = views.images[k];
  return {
    type: 'testView',
    id: m.id,
    view: m.view,
    iteration: src.iteration,
    psnr: psnrFromMse(mse(r.rgb, gt)),
    pose: Array.from(views.poses[k]),
    cameraAngleX: 2 * Math.atan((0.5 * w) / focal),
    render: image64(rgbToRgba(r.rgb, w, h), w, h),
    truth: image64(rgbToRgba(gt, w, h), w, h),
    error: image64(rgbToRgba(errorMap(r.rgb, gt, w, h), w, h), w, h),
  };
}

/** The running test PSNR (the vis views, no SSIM) as an `eval` event. */
export async function evaluateNow(src: ViewSource, testViews: TestViews): Promise<Extract<ServerMessage, { type: 'event' }>> {
  const ids = visViewIds(src.testCount, src.cfg);
  const { views, positions } = testViews.get(src, ids);
  const r = await evaluateViews(src.model, ctxOf(src), views, positions, false);
  return {
    type: 'event',
    event: { type: 'eval', iteration: src.iteration, testPSNR: r.psnr, testSSIM: NaN, views: r.scores.length, final: false },
  };
}
