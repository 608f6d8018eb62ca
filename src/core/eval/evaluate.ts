/** Rendering test views and scoring them (PSNR per image, averaged; SSIM). */
import { cameraRays } from '../data/rays';
import type { ViewSet } from '../data/view-set';
import type { Model } from '../model';
import { renderRays, type RenderedRays, type RenderSettings } from '../render/render-rays';
import { mse, psnrFromMse, ssim } from './metrics';

export interface ViewScore {
  view: number; // frame index in the split
  name: string;
  psnr: number;
  ssim: number;
}

/** What renderRays needs besides the model (RenderSettings): mask, step ratio, chunk, optional device parameters. */
export type RenderContext = RenderSettings;

export function renderView(
  model: Model,
  ctx: RenderContext,
  pose: Float32Array,
  width: number,
  height: number,
  focal: number,
): Promise<RenderedRays> {
  const rays = cameraRays(pose, width, height, focal);
  return renderRays(model, rays.origins, rays.dirs, rays.count, ctx);
}

/** Scores one view; `withSsim` false skips SSIM (for quick running previews). */
export function scoreView(views: ViewSet, i: number, rgb: Float32Array, withSsim: boolean): ViewScore {
  const gt = views.images[i];
  return {
    view: views.ids[i],
    name: views.names[i],
    psnr: psnrFromMse(mse(rgb, gt)),
    ssim: withSsim ? ssim(rgb, gt, views.width, views.height) : NaN,
  };
}

export function meanOf(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Evaluates the given view positions, calling `onView` with each render (for saving images). */
export async function evaluateViews(
  model: Model,
  ctx: RenderContext,
  views: ViewSet,
  indices: number[],
  withSsim: boolean,
  onView?: (score: ViewScore, render: RenderedRays, index: number) => void | Promise<void>,
): Promise<{ psnr: number; ssim: number; scores: ViewScore[] }> {
  const scores: ViewScore[] = [];
  for (const i of indices) {
    const r = await renderView(model, ctx, views.poses[i], views.width, views.height, views.focal);
    const s = scoreView(views, i, r.rgb, withSsim);
    scores.push(s);
    await onView?.(s, r, i);
  }
  return { psnr: meanOf(scores.map((s) => s.psnr)), ssim: meanOf(scores.map((s) => s.ssim)), scores };
}
