/**
 * The viewport's shader view: the model ray-marched on the page (ShaderMarcher), progressively.
 * While the camera moves, each frame is rendered coarse: at a size that takes about COARSE_MS at
 * the last measured cost per pixel. Once it holds still, the full canvas is refined in bands of
 * rows (each about BAND_MS, so the page stays responsive and no single draw runs long), drawn over
 * the coarse frame as they finish. Colour is shown as is, opacity as grey, depth through a colour
 * map over the range of the pixels the model covers (the range is shown with the frame).
 */
import * as THREE from 'three';
import type { OutputKind } from '../../protocol/messages';
import type { ModelSnapshot } from '../../core/snapshot/model-snapshot';
import { marchTarget, ShaderMarcher, shaderSupport } from './shader-marcher';
import { DISPLAY_FRAGMENT, DISPLAY_VERTEX, depthRange } from './display';

export const COARSE_MS = 60;
export const BAND_MS = 40;
/** A camera still for this long counts as stopped: refinement begins. */
export const STILL_MS = 150;
const RGB_BAND_ROWS = 16;
/** The coarse frame is at least this many pixels on its long side. */
const MIN_COARSE_SIDE = 32;

export interface ShaderCamera {
  pose: number[];
  fovY: number;
}

/** What the last finished frame was: its size and the milliseconds the GPU took for it. */
export interface ShaderFrameStats {
  width: number;
  height: number;
  ms: number;
  refined: boolean;
  depthRange: [number, number] | null;
}

interface Pass {
  key: string;
  width: number;
  height: number;
  focal: number;
  target: THREE.WebGLRenderTarget;
  rowsDone: number;
  ms: number;
}

export class ShaderView {
  readonly marcher: ShaderMarcher;
  private readonly display: THREE.RawShaderMaterial;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.OrthographicCamera(-1, 1, 1, -1, 0, 1);
  private coarse: Pass | null = null;
  private fine: Pass | null = null;
  private key = '';
  private changedAt = 0;
  /** Measured milliseconds per pixel (per row band), from the last draws. */
  private msPerPixel = 1e-3;
  private range: [number, number] | null = null;
  private modelId = 0;
  stats: ShaderFrameStats | null = null;
  /** Whether float textures filter linearly here (a coarse frame is then drawn smooth, else blocky). */
  private readonly linear: boolean;

  constructor(private readonly renderer: THREE.WebGLRenderer) {
    this.marcher = new ShaderMarcher(renderer);
    this.linear = renderer.getContext().getExtension('OES_texture_float_linear') !== null;
    this.display = new THREE.RawShaderMaterial({
      glslVersion: THREE.GLSL3,
      vertexShader: DISPLAY_VERTEX,
      fragmentShader: DISPLAY_FRAGMENT,
      uniforms: { uFrame: { value: null }, uMode: { value: 0 }, uRange: { value: new THREE.Vector2(0, 1) } },
      depthTest: false,
      depthWrite: false,
    });
    const quad = new THREE.Mesh(new THREE.PlaneGeometry(2, 2), this.display);
    quad.frustumCulled = false;
    this.scene.add(quad);
  }

  /** Why this page cannot use the shader view (null: it can). */
  static support(renderer: THREE.WebGLRenderer): string | null {
    return shaderSupport(renderer);
  }

  get snapshot(): ModelSnapshot | null {
    return this.marcher.snapshot;
  }

  /** A new model: returns why it cannot be drawn (null: loaded, and the frame is redone). */
  load(s: ModelSnapshot): string | null {
    const why = this.marcher.load(s);
    if (why) return why;
    this.modelId++;
    this.key = '';
    return null;
  }

  /**
   * One animation frame's work for this view: a coarse frame when the view changed, else the next
   * band of the full-size frame. Returns whether more work remains (call again next frame).
   */
  step(view: ShaderCamera, width: number, height: number, output: OutputKind, now = performance.now()): boolean {
    if (!this.marcher.snapshot) return false;
    const key = `${this.modelId}|${output}|${width}x${height}|${view.fovY}|${view.pose.join(',')}`;
    if (key !== this.key) {
      this.key = key;
      this.changedAt = now;
      this.renderCoarse(view, width, height, output);
      this.dropFine();
      return true;
    }
    if (now - this.changedAt < STILL_MS) return true; // wait: the camera may still be moving
    if (!this.fine) this.fine = this.pass(width, height, view.fovY);
    const f = this.fine;
    if (f.rowsDone >= f.height) return false;
    const rows = Math.max(1, Math.min(f.height - f.rowsDone, Math.round(BAND_MS / (this.msPerPixel * f.width))));
    f.ms += this.timed(f, view, output, [f.rowsDone, f.rowsDone + rows]);
    f.rowsDone += rows;
    if (f.rowsDone >= f.height) this.finish(f, output, true);
    return f.rowsDone < f.height;
  }

  /** Draws what there is (the coarse frame, the refined rows over it) on the renderer's canvas. */
  draw(output: OutputKind): void {
    const r = this.renderer;
    const size = r.getSize(new THREE.Vector2());
    const u = this.display.uniforms;
    u.uMode.value = output === 'rgb' ? 0 : output === 'acc' ? 1 : 2;
    const [lo, hi] = this.range ?? [0, 1];
    (u.uRange.value as THREE.Vector2).set(lo, hi);
    r.setRenderTarget(null);
    const passes: [Pass, number][] = [];
    if (this.coarse) passes.push([this.coarse, 1]);
    if (this.fine && this.fine.rowsDone > 0) passes.push([this.fine, this.fine.rowsDone / this.fine.height]);
    for (const [p, share] of passes) {
      u.uFrame.value = p.target.texture;
      r.setScissorTest(share < 1);
      r.setScissor(0, 0, size.x, size.y * share);
      r.render(this.scene, this.camera);
    }
    r.setScissorTest(false);
  }

  /** Colour floats (top row first) of a camera at W x H with focal f: for a test view's PSNR. */
  renderRgb(pose: number[], focal: number, width: number, height: number): Float32Array {
    const target = marchTarget(width, height, false);
    try {
      // in bands of rows, each waited for, so that no one draw runs long
      for (let y = 0; y < height; y += RGB_BAND_ROWS) {
        this.marcher.render(target, { pose, focal, width, height }, 'rgb', [y, Math.min(height, y + RGB_BAND_ROWS)]);
        this.renderer.readRenderTargetPixels(target, 0, y, 1, 1, new Float32Array(4));
      }
      const px = this.marcher.read(target);
      const out = new Float32Array(width * height * 3);
      for (let j = 0; j < height; j++) {
        const src = (height - 1 - j) * width * 4;
        for (let i = 0; i < width; i++) for (let c = 0; c < 3; c++) out[(j * width + i) * 3 + c] = px[src + 4 * i + c];
      }
      return out;
    } finally {
      target.dispose();
    }
  }

  dispose(): void {
    this.coarse?.target.dispose();
    this.dropFine();
    this.display.dispose();
    this.marcher.dispose();
  }

  private renderCoarse(view: ShaderCamera, width: number, height: number, output: OutputKind): void {
    const budget = COARSE_MS / this.msPerPixel;
    let s = Math.min(1, Math.sqrt(budget / (width * height)));
    s = Math.max(s, MIN_COARSE_SIDE / Math.max(width, height));
    const w = Math.max(1, Math.round(width * s));
    const h = Math.max(1, Math.round(height * s));
    if (!this.coarse || this.coarse.width !== w || this.coarse.height !== h) {
      this.coarse?.target.dispose();
      this.coarse = this.pass(w, h, view.fovY);
    } else {
      this.coarse.focal = focalOf(view.fovY, h);
    }
    const c = this.coarse;
    c.ms = this.timed(c, view, output, [0, h]);
    c.rowsDone = h;
    this.finish(c, output, w === width && h === height);
  }

  private pass(width: number, height: number, fovY: number): Pass {
    return {
      key: this.key,
      width,
      height,
      focal: focalOf(fovY, height),
      target: marchTarget(width, height, this.linear),
      rowsDone: 0,
      ms: 0,
    };
  }

  /** Renders rows of a pass and waits for them (a one-pixel read), measuring the cost per pixel. */
  private timed(p: Pass, view: ShaderCamera, output: OutputKind, rows: [number, number]): number {
    const t0 = performance.now();
    this.marcher.render(p.target, { pose: view.pose, focal: p.focal, width: p.width, height: p.height }, output, rows);
    this.renderer.readRenderTargetPixels(p.target, 0, rows[0], 1, 1, new Float32Array(4));
    const ms = performance.now() - t0;
    const pixels = p.width * (rows[1] - rows[0]);
    this.msPerPixel = Math.max(1e-7, ms / pixels);
    return ms;
  }

  private finish(p: Pass, output: OutputKind, refined: boolean): void {
    // the depth range from this pass's pixels (a coarse frame is small to read back)
    if (output === 'depth' && (p === this.coarse || !this.range)) this.range = depthRange(this.marcher.read(p.target));
    this.stats = { width: p.width, height: p.height, ms: p.ms, refined, depthRange: output === 'depth' ? this.range : null };
  }

  private dropFine(): void {
    this.fine?.target.dispose();
    this.fine = null;
  }
}

function focalOf(fovY: number, height: number): number {
  return (0.5 * height) / Math.tan(0.5 * fovY);
}
