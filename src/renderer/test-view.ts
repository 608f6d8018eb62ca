/** The snapped test view: render, ground truth and error map side by side, with the view's PSNR. */
import type { ImageData64, ServerMessage } from '../protocol/messages';
import { formatPsnr } from './format';
import { decodeRgba } from './rgba-decode';

type TestViewMessage = Extract<ServerMessage, { type: 'testView' }>;

function imageCanvas(img: ImageData64, label: string): HTMLElement {
  const figure = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.dataset.kind = label;
  try {
    canvas.getContext('2d')?.putImageData(new ImageData(decodeRgba(img), img.width, img.height), 0, 0);
  } catch (e) {
    console.warn(`tensorf: bad ${label} image:`, (e as Error).message);
  }
  const caption = document.createElement('figcaption');
  caption.textContent = label;
  figure.append(canvas, caption);
  return figure;
}

/**
 * `shader`: the page's own render of the view (the shader viewer's PSNR and its model's iteration),
 * shown beside the training process's: `shader 22.61 dB · host 22.70 dB`.
 */
export function showTestView(container: HTMLElement, m: TestViewMessage, shader: { psnr: number; iteration: number } | null = null): void {
  const row = document.createElement('div');
  row.className = 'images';
  row.append(imageCanvas(m.render, 'render'), imageCanvas(m.truth, 'ground truth'), imageCanvas(m.error, 'error'));
  const info = document.createElement('div');
  info.className = 'info';
  const psnr = document.createElement('span');
  psnr.dataset.testid = 'test-view-psnr';
  const other = shader && shader.iteration !== m.iteration ? ` (iteration ${shader.iteration})` : '';
  psnr.textContent = `${shader ? `shader${other} ${formatPsnr(shader.psnr)} dB · ` : ''}host ${formatPsnr(m.psnr)} dB`;
  info.append(`view ${m.view} · iteration ${m.iteration} · PSNR `, psnr);
  container.replaceChildren(row, info);
  container.dataset.view = String(m.view);
}
