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

export function showTestView(container: HTMLElement, m: TestViewMessage): void {
  const row = document.createElement('div');
  row.className = 'images';
  row.append(imageCanvas(m.render, 'render'), imageCanvas(m.truth, 'ground truth'), imageCanvas(m.error, 'error'));
  const info = document.createElement('div');
  info.className = 'info';
  const psnr = document.createElement('span');
  psnr.dataset.testid = 'test-view-psnr';
  psnr.textContent = formatPsnr(m.psnr);
  info.append(`view ${m.view} · iteration ${m.iteration} · PSNR `, psnr, ' dB');
  container.replaceChildren(row, info);
  container.dataset.view = String(m.view);
}
