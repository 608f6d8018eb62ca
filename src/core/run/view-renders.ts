/** Writes a view's render beside its ground truth and an error map. */
import type { ViewSet } from '../data/view-set';
import { join } from 'node:path';
import { sideBySide } from '../eval/image-compose';
import { errorMap } from '../eval/metrics';
import { writePngRgb } from '../io/png';

export function saveViewRender(dir: string, views: ViewSet, pos: number, rgb: Float32Array): string {
  const { width, height } = views;
  const gt = views.images[pos];
  const img = sideBySide([rgb, gt, errorMap(rgb, gt, width, height)], width, height);
  const file = join(dir, `test_${String(views.ids[pos]).padStart(3, '0')}.png`);
  writePngRgb(file, img.data, img.width, img.height);
  return file;
}
