/**
 * Writes a view's render beside its ground truth and an error map, named with its PSNR, and the
 * renders folder's index.json (per-view PSNR and SSIM, their means, the iteration).
 */
import type { ViewSet } from '../data/view-set';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { meanOf, type ViewScore } from '../eval/evaluate';
import { sideBySide } from '../eval/image-compose';
import { errorMap } from '../eval/metrics';
import { writeFileAtomic } from '../io/atomic';
import { writePngRgb } from '../io/png';
import { RENDERS_INDEX, renderFileName, renderFileView } from '../io/render-files';

/** Saves `test_NNN_<psnr>dB.png` and removes the view's older renders (another PSNR, or the old name); returns the path. */
export function saveViewRender(dir: string, views: ViewSet, pos: number, rgb: Float32Array, psnr: number): string {
  const { width, height } = views;
  const gt = views.images[pos];
  const img = sideBySide([rgb, gt, errorMap(rgb, gt, width, height)], width, height);
  const id = views.ids[pos];
  const name = renderFileName(id, psnr);
  const file = join(dir, name);
  writePngRgb(file, img.data, img.width, img.height);
  for (const other of readdirSync(dir)) if (other !== name && renderFileView(other) === id) rmSync(join(dir, other), { force: true });
  return file;
}

export interface RendersIndex {
  iteration: number;
  /** false when the evaluation was stopped before its last view */
  complete: boolean;
  views: { view: number; name: string; file: string; psnr: number | null; ssim: number | null }[];
  meanPSNR: number | null;
  meanSSIM: number | null;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** Writes `dir/index.json` (atomically) for the views scored so far; non-finite numbers are null. */
export function writeRendersIndex(dir: string, iteration: number, scores: ViewScore[], complete: boolean): RendersIndex {
  const index: RendersIndex = {
    iteration,
    complete,
    views: [...scores]
      .sort((a, b) => a.view - b.view)
      .map((s) => ({ view: s.view, name: s.name, file: renderFileName(s.view, s.psnr), psnr: finite(s.psnr), ssim: finite(s.ssim) })),
    meanPSNR: finite(meanOf(scores.map((s) => s.psnr))),
    meanSSIM: finite(meanOf(scores.map((s) => s.ssim))),
  };
  writeFileAtomic(join(dir, RENDERS_INDEX), [`${JSON.stringify(index, null, 2)}\n`]);
  return index;
}
