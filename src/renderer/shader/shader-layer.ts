/**
 * The viewport's choice between the shader view and the training process's frames, and the line
 * under the picture that says which drew it (`data-testid="frame-info"`: renderer, size, ms per
 * frame, and the depth range when depth is shown). Without WebGL2 float render targets, or for a
 * model over the GPU's texture limits, the page says why once (`data-testid="shader-note"`) and the
 * viewport goes on with host frames.
 */
import type { ModelSnapshot } from '../../core/snapshot/model-snapshot';
import type { OutputKind } from '../../protocol/messages';
import type { Surface } from '../viewport-surface';
import type { ShaderCamera } from './shader-view';
import { ShaderView } from './shader-view';

export class ShaderLayer {
  private readonly view: ShaderView | null;
  private readonly info: HTMLElement;
  private readonly note: HTMLElement;
  /** Why the shader view is off for the current model (null: it draws). */
  private why: string | null;
  private loaded = false;
  private output: OutputKind = 'rgb';

  constructor(
    private readonly surface: Surface,
    container: HTMLElement,
  ) {
    this.info = document.createElement('div');
    this.info.className = 'frame-info';
    this.info.dataset.testid = 'frame-info';
    this.note = document.createElement('div');
    this.note.className = 'shader-note';
    this.note.dataset.testid = 'shader-note';
    this.note.hidden = true;
    container.append(this.info, this.note);
    const support = surface.renderer ? ShaderView.support(surface.renderer) : 'WebGL is not available';
    this.view = support === null && surface.renderer ? new ShaderView(surface.renderer) : null;
    this.why = support;
    if (support) this.say(support);
  }

  /** Whether the shader view can run on this page at all (it then wants model snapshots). */
  get supported(): boolean {
    return this.view !== null;
  }

  /** Whether the shader view draws the current model (host frames are then not needed). */
  get drawing(): boolean {
    return this.view !== null && this.loaded && this.why === null;
  }

  get snapshot(): ModelSnapshot | null {
    return this.drawing ? this.view!.snapshot : null;
  }

  /** Forgets the model (a new run is loading): host frames until the next snapshot. */
  clear(): void {
    this.loaded = false;
    this.surface.setBackground?.(null);
  }

  load(s: ModelSnapshot): void {
    if (!this.view) return;
    const why = this.view.load(s);
    this.loaded = why === null;
    if (why !== this.why && why) this.say(`this model cannot be drawn by the shader view (${why})`);
    this.why = why;
    if (why === null) this.note.hidden = true;
    this.surface.setBackground?.(why === null ? () => this.view!.draw(this.output) : null);
  }

  /** Before drawing the canvas: the shader view's work for this animation frame. Returns whether more remains. */
  frame(cam: ShaderCamera, width: number, height: number, output: OutputKind): boolean {
    if (!this.drawing) return false;
    this.output = output;
    const more = this.view!.step(cam, Math.round(width), Math.round(height), output);
    const s = this.view!.stats;
    if (s) {
      const depth = s.depthRange ? ` · depth ${s.depthRange[0].toFixed(2)}–${s.depthRange[1].toFixed(2)}` : '';
      this.show('shader', s.width, s.height, s.ms, `${s.refined ? '' : ' · refining'}${depth}`);
    }
    return more;
  }

  /** A frame rendered by the training process was shown. */
  hostFrame(width: number, height: number, seconds: number): void {
    if (!this.drawing) this.show('host', width, height, seconds * 1000, '');
  }

  /** The shader view's colour of a camera (top row first), or null when it is off. */
  renderRgb(pose: number[], focal: number, width: number, height: number): Float32Array | null {
    return this.drawing ? this.view!.renderRgb(pose, focal, width, height) : null;
  }

  dispose(): void {
    this.view?.dispose();
  }

  private show(renderer: 'shader' | 'host', w: number, h: number, ms: number, extra: string): void {
    this.info.textContent = `${renderer} ${w}x${h} · ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms${extra}`;
    this.info.dataset.renderer = renderer;
  }

  /** Says once (per reason) why frames come from the training process. */
  private say(why: string): void {
    this.note.textContent = `Shader view off: ${why}. Frames are rendered by the training process instead.`;
    this.note.hidden = false;
    console.info(`tensorf: ${this.note.textContent}`);
  }
}
