/**
 * The app's render requests, latest-value: one pending viewport frame per model (a newer request
 * for a model replaces one not served yet), one pending test-view snap, one pending evaluation.
 * `serve` renders what is pending; while a training runs on the same thread, viewport frames are
 * held to a share of the wall time (the next one waits until the budget allows it) and get a
 * shorter time budget each. A turntable recording (recorder.ts) is served a frame at a time, taking
 * turns with the viewport frames under the same budget (a page that keeps asking for live frames
 * never starves it).
 */
import type { ServerMessage } from '../protocol/messages';
import { type RecordRequest, Recording } from './recorder';
import { evaluateNow, type RenderRequest, renderFrame, renderTestView, type SnapRequest, TestViews, type ViewSource } from './views';

export interface RenderQueueOptions {
  /** Largest share of wall time that viewport renders may take while a training runs. Default 0.3. */
  renderShare?: number;
}

export interface RenderTarget {
  /** The model a request names ('' or undefined: the current one); throws a HostError when there is none. */
  source(model?: string): ViewSource;
  /** Whether a training is stepping on this thread right now (not paused). */
  running(): boolean;
  send(m: ServerMessage): void;
  /** Reports a failed request. */
  error(e: unknown, request: string): void;
}

export class RenderQueue {
  private readonly renders = new Map<string, RenderRequest>();
  private snap: SnapRequest | null = null;
  private evaluation = false;
  private recording: Recording | null = null;
  private serving = false;
  /** Whether the last viewport-or-recording turn went to a viewport frame. */
  private lastWasRender = false;
  /** While training runs, the next viewport render waits until this time (performance.now()). */
  private nextRenderAt = 0;
  readonly testViews = new TestViews();

  constructor(
    private readonly target: RenderTarget,
    private readonly opts: RenderQueueOptions = {},
  ) {}

  render(m: RenderRequest): void {
    const key = m.model ?? '';
    this.renders.delete(key); // re-insert: the newest request goes to the back of the order
    this.renders.set(key, m);
  }

  snapTestView(m: SnapRequest): void {
    this.snap = m;
  }

  evaluate(): void {
    this.evaluation = true;
  }

  /** A turntable recording (a newer one replaces one in progress); a HostError when it is too large. */
  record(m: RecordRequest): void {
    this.recording = new Recording(m);
  }

  /** Whether a request waits. */
  pending(): boolean {
    return this.renders.size > 0 || this.snap !== null || this.evaluation || this.recording !== null;
  }

  /** Forgets the test views read for an earlier model (a new run or checkpoint). */
  reset(): void {
    this.testViews.clear();
  }

  /** Serves pending requests until none is left or the render budget says wait; re-entrant calls return at once. */
  async serve(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      while (await this.serveOne());
    } finally {
      this.serving = false;
    }
  }

  private async serveOne(): Promise<boolean> {
    const t = this.target;
    if (this.snap) {
      const m = this.snap;
      this.snap = null;
      await this.guard('snapTestView', async () => t.send(await renderTestView(t.source(), m, this.testViews)));
      return true;
    }
    if (this.evaluation) {
      this.evaluation = false;
      await this.guard('evaluate', async () => t.send(await evaluateNow(t.source(), this.testViews)));
      return true;
    }
    if (this.renders.size === 0 && !this.recording) return false;
    if (t.running() && performance.now() < this.nextRenderAt) return false; // over the budget: after a later step
    const t0 = performance.now();
    this.lastWasRender = this.renders.size > 0 && !(this.recording && this.lastWasRender);
    if (this.lastWasRender) {
      const [key, m] = this.renders.entries().next().value!;
      this.renders.delete(key);
      await this.guard('render', async () => t.send(await renderFrame(t.source(m.model), m, this.frameSeconds(m.quality))));
    } else {
      const rec = this.recording!;
      const ok = await this.guard('record', async () => t.send(await rec.next(t.source())));
      if ((!ok || rec.finished) && this.recording === rec) this.recording = null;
      await new Promise((r) => setImmediate(r)); // messages (stop, pause, a newer request) get in between frames
    }
    const share = Math.min(Math.max(this.opts.renderShare ?? 0.3, 0.01), 1);
    this.nextRenderAt = performance.now() + ((performance.now() - t0) * (1 - share)) / share;
    return true;
  }

  /** How long a frame may take: coarse ones keep camera moves fluid, sharp ones wait less while training, full ones refine a still view. */
  private frameSeconds(q: RenderRequest['quality']): number {
    if (q === 'coarse') return 0.25;
    if (this.target.running()) return 1;
    return q === 'full' ? 15 : 3;
  }

  private async guard(request: string, f: () => Promise<void>): Promise<boolean> {
    try {
      await f();
      return true;
    } catch (e) {
      this.target.error(e, request);
      return false;
    }
  }
}
