/**
 * Draws ChartData into the inline SVG charts (PSNR and loss) and their legends; the geometry and
 * the legend's items are chart-data.ts's. A single training draws in the page's train and test
 * colours; a comparison gives each entry a colour of its own, the line style telling the series.
 */
import { type ChartBox, type ChartData, type ChartKind, chartGeometry, chartLegend } from './chart-data';

const NS = 'http://www.w3.org/2000/svg';
const BOX: ChartBox = { width: 320, height: 160, left: 34, right: 8, top: 8, bottom: 20 };
/** Entry colours of a comparison, in the order of its entries. */
export const RUN_COLOURS = ['#4aa3ff', '#ffa94a', '#7bd88f', '#ff6b9a', '#c792ea', '#ffd866', '#5fd7d7', '#d7875f'];

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const shortIter = (v: number) => (v >= 1000 ? `${v / 1000}k` : String(v));
const lossTick = (v: number) => (v >= 0.01 ? String(Number(v.toPrecision(2))) : v.toExponential(0));
const colourOf = (index: number) => RUN_COLOURS[index % RUN_COLOURS.length];

export function renderChart(svg: SVGSVGElement, data: ChartData, kind: ChartKind = 'psnr'): void {
  const g = chartGeometry(data, BOX, kind);
  const many = [...data.runs.keys()].some((k) => k !== '');
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
      const label = kind === 'loss' ? lossTick(t.value) : String(t.value);
      nodes.push(el('text', { x: x0 - 4, y: t.pos + 3, 'text-anchor': 'end', class: 'tick' }, label));
    }
    for (const t of g.xTicks) nodes.push(el('text', { x: t.pos, y: y1 + 13, 'text-anchor': 'middle', class: 'tick' }, shortIter(t.value)));
    for (const p of g.paths) {
      const colour = many ? { stroke: colourOf(p.index), fill: colourOf(p.index) } : null;
      const attrs = { 'data-series': p.kind, 'data-run': p.run };
      if (p.d) nodes.push(el('path', { d: p.d, class: p.kind, ...attrs, ...(colour ? { stroke: colour.stroke } : {}) }));
      for (const q of p.points) {
        const mark =
          p.kind === 'final'
            ? el('rect', {
                x: q.x - 3,
                y: q.y - 3,
                width: 6,
                height: 6,
                transform: `rotate(45 ${q.x} ${q.y})`,
                class: 'final-mark',
                ...attrs,
              })
            : el('circle', { cx: q.x, cy: q.y, r: 2.2, class: 'test-dot', ...attrs });
        if (colour) mark.setAttribute('fill', colour.fill);
        nodes.push(mark);
      }
    }
  }
  svg.replaceChildren(...nodes);
  svg.dataset.runs = String(data.runs.size);
}

/** The legend under a chart: the line styles (with the test views) and, for a comparison, the entries' colours. */
export function renderLegend(legend: HTMLElement, data: ChartData, kind: ChartKind = 'psnr'): void {
  const items = chartLegend(data, kind);
  legend.replaceChildren(
    ...items.map((item) => {
      const span = document.createElement('span');
      span.className = 'legend-item';
      span.dataset.kind = item.kind;
      const key = document.createElement('span');
      key.className = `key ${item.kind}`;
      if (item.kind === 'run') key.style.background = colourOf(item.index);
      span.append(key, item.label);
      return span;
    }),
  );
}
