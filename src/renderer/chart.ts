/** Draws ChartData into the inline SVG chart (the geometry is chart-data.ts's). */
import { type ChartBox, type ChartData, chartGeometry } from './chart-data';

const NS = 'http://www.w3.org/2000/svg';
const BOX: ChartBox = { width: 320, height: 160, left: 34, right: 8, top: 8, bottom: 20 };

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const shortIter = (v: number) => (v >= 1000 ? `${v / 1000}k` : String(v));

export function renderChart(svg: SVGSVGElement, data: ChartData): void {
  const g = chartGeometry(data, BOX);
  const nodes: SVGElement[] = [];
  const x0 = BOX.left;
  const x1 = BOX.width - BOX.right;
  const y0 = BOX.top;
  const y1 = BOX.height - BOX.bottom;
  nodes.push(el('rect', { x: x0, y: y0, width: x1 - x0, height: y1 - y0, class: 'frame' }));
  if (g.empty) {
    nodes.push(el('text', { x: (x0 + x1) / 2, y: (y0 + y1) / 2, class: 'empty', 'text-anchor': 'middle' }, 'no data yet'));
  } else {
    for (const t of g.yTicks) {
      nodes.push(el('line', { x1: x0, x2: x1, y1: t.pos, y2: t.pos, class: 'grid' }));
      nodes.push(el('text', { x: x0 - 4, y: t.pos + 3, 'text-anchor': 'end', class: 'tick' }, String(t.value)));
    }
    for (const t of g.xTicks) nodes.push(el('text', { x: t.pos, y: y1 + 13, 'text-anchor': 'middle', class: 'tick' }, shortIter(t.value)));
    if (g.train) nodes.push(el('path', { d: g.train, class: 'train', 'data-series': 'train' }));
    if (g.test) nodes.push(el('path', { d: g.test, class: 'test', 'data-series': 'test' }));
    for (const p of g.testDots) nodes.push(el('circle', { cx: p.x, cy: p.y, r: 2.5, class: 'test-dot' }));
  }
  svg.replaceChildren(...nodes);
  svg.dataset.trainPoints = String(data.train.length);
  svg.dataset.testPoints = String(data.test.length);
}
