/**
 * The compare view: one viewport per decoder entry in a grid, cameras linked, and the table of
 * the comparison's rows (the logic is compare.ts's). Each entry's viewport asks for frames of its
 * own model (`render(..., model = label)`) with its own FrameScheduler: refreshed while its entry
 * trains, re-rendered only on camera or output changes once it is done, nothing while it waits.
 * The Node side keeps the newest request per model; ModelRequests matches the replies back.
 */
import type { TensorfApi } from '../protocol/api';
import type {
  CameraSpec,
  CompareRow,
  CompareStatus,
  OutputKind,
  Quality,
  SceneInfo,
  ServerMessage,
  SessionState,
} from '../protocol/messages';
import type { CameraLink } from './camera-link';
import {
  COMPARE_COLUMNS,
  type CompareMessage,
  bestLabel,
  compareCells,
  entryViewState,
  gridColumns,
  planViews,
  viewCaption,
} from './compare-rows';
import { byTestId } from './dom';
import { ModelRequests } from './model-requests';
import { Viewport } from './viewport';

type FrameMessage = Extract<ServerMessage, { type: 'frame' }>;

/** How long the entries' viewports wait for the Node side's answer to a new comparison. */
export const START_HOLD_MS = 5000;

/** Session states in which a comparison goes on to its next entry. */
const RUNNING: readonly SessionState[] = ['loading', 'training', 'paused', 'stopping', 'evaluating'];

interface RenderRequest {
  id: number;
  camera: CameraSpec;
  quality: Quality;
}

interface EntryView {
  cell: HTMLElement;
  caption: HTMLElement;
  placeholder: HTMLElement;
  viewport: Viewport;
  status: CompareStatus | null;
}

export class CompareViews {
  private dir: string | null = null;
  private readonly views = new Map<string, EntryView>();
  private readonly requests: ModelRequests<RenderRequest>;
  private readonly grid: HTMLElement;
  private readonly hint: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private readonly dirLine: HTMLElement;
  private active = false;
  private scene: SceneInfo | null = null;
  private rows: CompareRow[] = [];
  private running = false;
  private cameras = { train: true, test: false };

  constructor(
    root: ParentNode,
    api: TensorfApi,
    private readonly link: CameraLink,
    outputKind: () => OutputKind,
  ) {
    this.grid = byTestId(root, 'compare-grid');
    this.hint = byTestId(root, 'compare-hint');
    this.table = byTestId<HTMLTableElement>(root, 'compare-table');
    this.dirLine = byTestId(root, 'compare-dir');
    const head = document.createElement('tr');
    for (const [key, title] of COMPARE_COLUMNS) {
      const th = document.createElement('th');
      th.textContent = title;
      th.dataset.col = key;
      head.append(th);
    }
    this.table.createTHead().replaceChildren(head);
    this.body = this.table.tBodies[0] ?? this.table.createTBody();
    // under ModelRequests' ids (a reply finds its viewport's request; one for a viewport that is
    // gone is dropped); the output kind is read when the request goes out (a held one included)
    this.requests = new ModelRequests<RenderRequest>((label, r, id) => api.render(id, r.camera, outputKind(), r.quality, label));
    this.table.hidden = true;
  }

  get labels(): string[] {
    return [...this.views.keys()];
  }

  has(label: string): boolean {
    return this.views.has(label);
  }

  /** Shown (Compare mode) or hidden: hidden viewports request and draw nothing. */
  setActive(on: boolean): void {
    this.active = on;
    for (const v of this.views.values()) v.viewport.setActive(on);
  }

  /**
   * A new comparison was asked for: until its table arrives (or the request fails) the shown
   * entries ask for nothing, since the new comparison may reuse their labels for entries that
   * cannot be rendered yet.
   */
  starting(): void {
    this.requests.hold(START_HOLD_MS);
  }

  /** The comparison request failed: the shown entries go on. */
  startFailed(): void {
    this.requests.release();
  }

  /** A `compare` message: viewports added or removed as entries come and go, the table redrawn. */
  update(m: CompareMessage): void {
    const plan = planViews(this.dir, this.labels, m);
    for (const label of plan.remove) this.removeView(label);
    if (plan.reset || this.dir === null) this.requests.release(); // the new comparison is here (the old entries' requests are gone)
    this.dir = m.dir;
    for (const label of plan.add) this.addView(label);
    // keep the grid in the rows' order
    this.grid.replaceChildren(...m.rows.map((r) => this.views.get(r.label)!.cell));
    this.grid.style.setProperty('--compare-columns', String(gridColumns(m.rows.length)));
    this.grid.dataset.count = String(m.rows.length);
    this.hint.hidden = m.rows.length > 0;

    this.rows = m.rows;
    const best = bestLabel(m.rows);
    for (const row of m.rows) this.updateView(this.views.get(row.label)!, row, row.label === best);
    this.renderTable(m.rows, best);
    this.dirLine.textContent = m.dir;
  }

  /** The session's state: whether the comparison may still train its waiting entries. */
  setSessionState(state: SessionState): void {
    const running = RUNNING.includes(state);
    if (running === this.running) return;
    this.running = running;
    const best = bestLabel(this.rows);
    for (const row of this.rows) {
      const v = this.views.get(row.label);
      if (v) this.updateView(v, row, row.label === best);
    }
  }

  /** Shows a frame of an entry's model; false when it is not an entry shown (or is older than the one shown). */
  showFrame(m: FrameMessage): boolean {
    if (m.model === undefined) return false;
    const v = this.views.get(m.model);
    const request = this.requests.reply(m.id, m.model);
    if (!v || !request) return false;
    return v.viewport.showFrame({ ...m, id: request.id });
  }

  /**
   * A render request failed. The error does not say which, so every entry waiting for a frame
   * may ask again (one asking early costs a request; one stuck would wait out its timeout).
   */
  renderFailed(): void {
    for (const v of this.views.values()) v.viewport.scheduler.failed();
  }

  setScene(scene: SceneInfo): void {
    this.scene = scene;
    for (const v of this.views.values()) v.viewport.setScene(scene);
  }

  /** Which scene cameras the entries' viewports draw. */
  setCamerasShown(train: boolean, test: boolean): void {
    this.cameras = { train, test };
    for (const v of this.views.values()) v.viewport.setCamerasShown(train, test);
  }

  /** Sharp frames for every entry that has a model (the output kind changed). */
  refresh(): void {
    for (const v of this.views.values()) v.viewport.refresh();
  }

  dispose(): void {
    for (const label of this.labels) this.removeView(label);
    this.requests.dispose();
  }

  private addView(label: string): void {
    const cell = document.createElement('div');
    cell.className = 'compare-view';
    cell.dataset.testid = `compare-view-${label}`;
    cell.dataset.label = label;
    const caption = document.createElement('div');
    caption.className = 'compare-caption';
    caption.dataset.testid = `compare-caption-${label}`;
    const placeholder = document.createElement('div');
    placeholder.className = 'compare-placeholder';
    placeholder.dataset.testid = `compare-placeholder-${label}`;
    cell.append(caption, placeholder);
    this.grid.append(cell); // in the page before the viewport measures it
    const viewport = new Viewport(cell, (id, camera, quality) => this.requests.submit(label, { id, camera, quality }), this.link);
    viewport.setActive(this.active);
    viewport.setCamerasShown(this.cameras.train, this.cameras.test);
    if (this.scene) viewport.setScene(this.scene);
    this.views.set(label, { cell, caption, placeholder, viewport, status: null });
  }

  private removeView(label: string): void {
    const v = this.views.get(label);
    if (!v) return;
    this.views.delete(label);
    this.requests.drop(label);
    v.viewport.dispose();
    v.cell.remove();
  }

  private updateView(v: EntryView, row: CompareRow, best: boolean): void {
    const s = entryViewState(row.status, this.running);
    v.caption.textContent = viewCaption(row);
    v.cell.dataset.status = row.status;
    v.cell.classList.toggle('best', best);
    v.placeholder.textContent = s.placeholder ?? '';
    v.placeholder.hidden = s.placeholder === null;
    if (row.status === v.status) return;
    const was = v.status;
    v.status = row.status;
    v.viewport.setModel(s.enabled, s.live);
    // the entry finished or stopped: one picture of its final model
    if (was === 'training' && s.enabled) v.viewport.refresh();
  }

  private renderTable(rows: readonly CompareRow[], best: string | null): void {
    this.table.hidden = rows.length === 0;
    this.body.replaceChildren(
      ...rows.map((row) => {
        const tr = document.createElement('tr');
        tr.dataset.testid = `compare-row-${row.label}`;
        tr.dataset.status = row.status;
        if (row.label === best) {
          tr.classList.add('best');
          tr.dataset.best = 'true';
        }
        const cells = compareCells(row);
        for (const [key] of COMPARE_COLUMNS) {
          const td = document.createElement('td');
          td.dataset.col = key;
          td.textContent = cells[key];
          if (key === 'psnr' && row.label === best) td.title = 'best test PSNR';
          tr.append(td);
        }
        return tr;
      }),
    );
  }
}
