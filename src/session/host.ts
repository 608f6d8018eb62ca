/**
 * The Node side of the app, inside the training process: takes client messages, runs a training
 * through the same driver as `train:lego` (src/cli/run-training.ts), forwards the trainer's
 * events, and renders views of the current model between steps. Render requests are latest-value:
 * one pending slot per kind, a newer request replaces an older one that was not served yet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { initBackend, type BackendInfo } from '../core/backend';
import { checkScene } from '../core/data/nerf-synthetic';
import { loadTestViews, testViewCount } from '../core/data/scene';
import type { TrainConfig } from '../core/config';
import { evaluateViews, renderView, type ViewSet } from '../core/eval/evaluate';
import { errorMap, mse, psnrFromMse } from '../core/eval/metrics';
import type { AlphaMask } from '../core/field/alpha-mask';
import { LEGO_BOX, type Box } from '../core/field/geometry';
import { loadModel } from '../core/io/model-checkpoint';
import { CHECKPOINT_FILE, defaultRunName, RunFolder } from '../core/io/run-folder';
import type { Model } from '../core/model';
import type { TrainEvent } from '../core/train/events';
import { STEP_RATIO, type Trainer, visViewIds } from '../core/train/trainer';
import { loadRunData, trainRun } from '../cli/run-training';
import type { ClientMessage, HistoryPoint, ServerMessage, SessionState } from '../protocol/messages';
import { parseClientMessage, startConfigOf } from '../protocol/schema';
import { focalFromFovY, image64, rgbToRgba, toRgba } from './frames';
import { sceneInfo } from './scene-info';

export class HostError extends Error {
  override name = 'HostError';
}

export interface HostOptions {
  /** When set, every path a message names (scene, run folder, output folder) must lie inside one of these. */
  allowedRoots?: string[];
  /** Where new runs go when the start message names no `out` (default 'runs'). */
  runsDir?: string;
  /** Minimum milliseconds between forwarded step events (the last step is always sent). Default 100. */
  stepEventMs?: number;
  /**
   * Largest share of wall time that viewport renders may take while a training runs (they share
   * the training's thread); a render request waits until the budget allows it. Default 0.3.
   */
  renderShare?: number;
}

type RenderRequest = Extract<ClientMessage, { type: 'render' }>;
type SnapRequest = Extract<ClientMessage, { type: 'snapTestView' }>;

/** What renders come from: the training model, or a checkpoint the user opened. */
interface ViewSource {
  model: Model;
  mask: AlphaMask | null;
  cfg: TrainConfig;
  iteration: number;
  test: ViewSet | null;
  testCount: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export class TrainerHost {
  private state: SessionState = 'idle';
  private trainer: Trainer | null = null;
  private training = false;
  private paused = false;
  /** A stop asked for before the trainer existed (while loading). */
  private stopAsked = false;
  private viewing: ViewSource | null = null;
  private pendingRender: RenderRequest | null = null;
  private pendingSnap: SnapRequest | null = null;
  private pendingEval = false;
  private serving = false;
  private wakeUp: (() => void) | null = null;
  private lastStepSent = 0;
  /** While training runs, the next viewport render waits until this time (performance.now()). */
  private nextRenderAt = 0;

  private backends = new Map<string, BackendInfo>();
  private loadedViews = new Map<string, ViewSet>();
  private finished: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (m: ServerMessage) => void,
    private readonly opts: HostOptions = {},
  ) {}

  /** Tells the parent the process is up (it holds messages until then). */
  ready(): void {
    this.setState('idle', 'trainer process ready');
  }

  /** Validates and acts on one message; every failure becomes an error reply. */
  handle(raw: unknown): void {
    let m: ClientMessage;
    try {
      m = parseClientMessage(raw);
    } catch (e) {
      this.error(e);
      return;
    }
    try {
      this.dispatch(m);
    } catch (e) {
      this.error(e, m.type);
    }
  }

  /** Stops a running training (saving its checkpoint) and resolves when it has ended. */
  async shutdown(): Promise<void> {
    this.stopAsked = true;
    if (this.trainer) this.trainer.control.stopRequested = true;
    this.paused = false;
    this.wake();
    await this.finished;
  }

  private dispatch(m: ClientMessage): void {
    switch (m.type) {
      case 'start': {
        if (this.training) throw new HostError('a training is running; stop it before starting another');
        const cfg = startConfigOf(m);
        this.finished = this.train(cfg);
        return;
      }
      case 'pause':
        if (!this.training || this.paused) throw new HostError(this.training ? 'already paused' : 'no training to pause');
        this.paused = true;
        this.setState('paused', `paused after iteration ${this.trainer?.iteration ?? 0}`);
        return;
      case 'resume':
        if (!this.training || !this.paused) throw new HostError('no paused training to resume');
        this.paused = false;
        this.setState('training', 'resumed');
        this.wake();
        return;
      case 'stop':
        if (!this.training) throw new HostError('no training to stop');
        this.stopAsked = true;
        if (this.trainer) this.trainer.control.stopRequested = true;
        this.paused = false;
        this.setState('stopping', 'stopping after this iteration; the checkpoint will be saved');
        this.wake();
        return;
      case 'evaluate':
        this.pendingEval = true;
        return this.kick();
      case 'render':
        this.pendingRender = m;
        return this.kick();
      case 'snapTestView':
        this.pendingSnap = m;
        return this.kick();
      case 'openScene':
        this.confine(m.path, 'openScene.path');
        this.send({ type: 'scene', scene: sceneInfo(m.path, LEGO_BOX) });
        return;
      case 'openRun':
        if (this.training) throw new HostError('a training is running; stop it before opening a run');
        this.finished = this.openRun(m.path).catch((e) => this.error(e, 'openRun'));
        return;
    }
  }

  private async train(cfg: TrainConfig): Promise<void> {
    this.training = true;
    this.paused = false;
    this.stopAsked = false;
    this.viewing = null;
    this.loadedViews.clear();
    const say = (line: string) => {
      if (line.startsWith('evaluating')) this.setState('evaluating', line);
    };
    try {
      this.confine(cfg.data, 'start.config.data');
      if (cfg.out) this.confine(cfg.out, 'start.config.out');
      checkScene(cfg.data);
      this.setState('loading', `loading ${cfg.data} (downscale ${cfg.downscale})`);
      this.send({ type: 'scene', scene: sceneInfo(cfg.data, LEGO_BOX) });
      const backend = await this.backend(cfg.backend);
      await tick();
      const data = loadRunData(cfg, () => {});
      const name = cfg.name || defaultRunName(cfg);
      const dir = cfg.out || join(this.opts.runsDir ?? 'runs', name);
      this.confine(dir, 'start.config.out');
      const run = RunFolder.create(dir);
      const finalCfg: TrainConfig = { ...cfg, name, out: run.dir };
      run.writeJson('config.json', finalCfg);
      this.setState('training', `run folder ${run.dir}; backend ${backend.name}`);
      let trainer: Trainer | null = null;
      const outcome = await trainRun(finalCfg, run, data, backend, {
        json: false,
        progress: false,
        say,
        onTrainer: (t) => {
          trainer = this.trainer = t;
          if (this.stopAsked) t.control.stopRequested = true;
        },
        onEvent: (e) => this.between(e),
      });
      const t = trainer as Trainer | null;
      if (t) this.viewing = { model: t.model, mask: t.mask, cfg: finalCfg, iteration: t.iteration, test: t.data.test, testCount: t.data.testCount };
      const state = outcome === 'complete' ? 'done' : outcome;
      this.setState(state, `${outcome} at iteration ${t?.iteration ?? 0}; run folder ${run.dir}`);
    } catch (e) {
      this.error(e, 'start');
      this.setState('failed', firstLine(e));
    } finally {
      this.training = false;
      this.trainer = null;
      this.paused = false;
      void this.serveAll();
    }
  }

  /** After each trainer event: forward it, let messages in, serve requests, hold while paused. */
  private async between(e: TrainEvent): Promise<void> {
    const now = performance.now();
    const sendIt = e.type !== 'step' || e.iteration === e.total || now - this.lastStepSent >= (this.opts.stepEventMs ?? 100);
    if (sendIt) {
      if (e.type === 'step') this.lastStepSent = now;
      this.send({ type: 'event', event: e });
    }
    await tick();
    await this.serveAll();
    while (this.paused && !this.trainer?.control.stopRequested) {
      await new Promise<void>((r) => (this.wakeUp = r));
      await this.serveAll();
    }
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** A new request: served at the next trainer event while training runs, at once otherwise. */
  private kick(): void {
    if (this.training && !this.paused) return;
    if (this.paused) this.wake();
    else void this.serveAll();
  }

  private async serveAll(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      while (this.pendingRender || this.pendingSnap || this.pendingEval) {
        if (this.pendingSnap) {
          const m = this.pendingSnap;
          this.pendingSnap = null;
          await this.guard(() => this.snap(m), 'snapTestView');
        } else if (this.pendingEval) {
          this.pendingEval = false;
          await this.guard(() => this.evaluateNow(), 'evaluate');
        } else if (this.pendingRender) {
          const running = this.training && !this.paused;
          if (running && performance.now() < this.nextRenderAt) break; // over the render budget: after a later step
          const m = this.pendingRender;
          this.pendingRender = null;
          const t0 = performance.now();
          await this.guard(() => this.renderFrame(m), 'render');
          const share = Math.min(Math.max(this.opts.renderShare ?? 0.3, 0.01), 1);
          const took = performance.now() - t0;
          this.nextRenderAt = performance.now() + (took * (1 - share)) / share;
        }
      }
    } finally {
      this.serving = false;
    }
  }

  private async guard(f: () => Promise<void>, request: string): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.error(e, request);
    }
  }

  private source(): ViewSource {
    const t = this.trainer;
    if (t) return { model: t.model, mask: t.mask, cfg: t.cfg, iteration: t.iteration, test: t.data.test, testCount: t.data.testCount };
    if (this.viewing) return this.viewing;
    throw new HostError('nothing to render yet: start a training or open a run folder');
  }

  private async renderFrame(m: RenderRequest): Promise<void> {
    const src = this.source();
    const { fovY, pose } = m.camera;
    const ctx = { mask: src.mask, stepRatio: STEP_RATIO, chunk: src.cfg.chunk };
    const c2w = Float32Array.from(pose);
    // The cost per ray changes by 10x and more as density spreads or the mask tightens, so each
    // frame is sized from a 16x16 probe of the same view rendered just before it.
    const t0 = performance.now();
    await renderView(src.model, ctx, c2w, PROBE_SIDE, PROBE_SIDE, focalFromFovY(fovY, PROBE_SIDE));
    const perRay = (performance.now() - t0) / 1000 / (PROBE_SIDE * PROBE_SIDE);
    const [width, height] = frameSize(m.camera.width, m.camera.height, perRay, this.frameSeconds(m.quality));
    const r = await renderView(src.model, ctx, c2w, width, height, focalFromFovY(fovY, height));
    const seconds = (performance.now() - t0) / 1000;
    const image = image64(toRgba(m.output, r, width, height), width, height);
    this.send({ type: 'frame', id: m.id, output: m.output, quality: m.quality, iteration: src.iteration, seconds, image });
  }

  /** How long a frame may take: coarse ones keep camera moves fluid, sharp ones wait less while training. */
  private frameSeconds(q: RenderRequest['quality']): number {
    if (q === 'coarse') return 0.25;
    return this.training && !this.paused ? 1 : 3;
  }

  /** Test views with the given frame ids: from the loaded set when there, else read (and cached). */
  private views(src: ViewSource, ids: number[]): { views: ViewSet; positions: number[] } {
    for (const id of ids) {
      if (id >= src.testCount) throw new HostError(`test view ${id} does not exist; the scene has views 0..${src.testCount - 1}`);
    }
    if (src.test && ids.every((id) => src.test!.ids.includes(id))) return { views: src.test, positions: ids.map((id) => src.test!.ids.indexOf(id)) };
    const key = ids.join(',');
    let views = this.loadedViews.get(key);
    if (!views) {
      views = loadTestViews(src.cfg, ids);
      if (this.loadedViews.size >= 32) this.loadedViews.clear();
      this.loadedViews.set(key, views);
    }
    return { views, positions: ids.map((_, i) => i) };
  }

  private async snap(m: SnapRequest): Promise<void> {
    const src = this.source();
    const { views, positions } = this.views(src, [m.view]);
    const k = positions[0];
    const { width: w, height: h, focal } = views;
    const r = await renderView(src.model, { mask: src.mask, stepRatio: STEP_RATIO, chunk: src.cfg.chunk }, views.poses[k], w, h, focal);
    const gt = views.images[k];
    this.send({
      type: 'testView',
      id: m.id,
      view: m.view,
      iteration: src.iteration,
      psnr: psnrFromMse(mse(r.rgb, gt)),
      pose: Array.from(views.poses[k]),
      cameraAngleX: 2 * Math.atan((0.5 * w) / focal),
      render: image64(rgbToRgba(r.rgb, w, h), w, h),
      truth: image64(rgbToRgba(gt, w, h), w, h),
      error: image64(rgbToRgba(errorMap(r.rgb, gt, w, h), w, h), w, h),
    });
  }

  /** The running test PSNR (the vis views, no SSIM), now, as an `eval` event. */
  private async evaluateNow(): Promise<void> {
    const src = this.source();
    const ids = visViewIds(src.testCount, src.cfg);
    const { views, positions } = this.views(src, ids);
    const prev = this.state;
    this.setState('evaluating', `evaluating ${ids.length} test views`);
    const r = await evaluateViews(src.model, { mask: src.mask, stepRatio: STEP_RATIO, chunk: src.cfg.chunk }, views, positions, false);
    this.setState(prev, 'evaluated');
    this.send({ type: 'event', event: { type: 'eval', iteration: src.iteration, testPSNR: r.psnr, testSSIM: NaN, views: r.scores.length, final: false } });
  }

  private async openRun(path: string): Promise<void> {
    this.confine(path, 'openRun.path');
    const ckpt = join(path, CHECKPOINT_FILE);
    if (!existsSync(ckpt)) throw new HostError(`${path}: no ${CHECKPOINT_FILE} here; open a run folder written by train:lego or the app`);
    const { model, mask, meta } = loadModel(ckpt);
    await this.backend(meta.config.backend);
    let testCount = 0;
    try {
      this.send({ type: 'scene', scene: sceneInfo(meta.config.data, meta.box) });
      testCount = testViewCount(meta.config);
    } catch (e) {
      this.error(new HostError(`${firstLine(e)}; the model can be viewed, test views cannot`), 'openRun');
      this.send({ type: 'scene', scene: boxOnlyScene(meta.config.data, meta.box) });
    }
    this.loadedViews.clear();
    this.viewing = { model, mask, cfg: meta.config, iteration: meta.iteration, test: null, testCount };
    this.send({ type: 'history', points: readHistory(join(path, 'metrics.jsonl')), run: path });
    this.setState('viewing', `run ${path}, iteration ${meta.iteration}, decoder ${meta.config.decoder}`);
  }

  private async backend(name: TrainConfig['backend']): Promise<BackendInfo> {
    let b = this.backends.get(name);
    if (!b) {
      b = await initBackend(name);
      this.backends.set(name, b);
    }
    return b;
  }

  /** Throws when `p` lies outside every allowed root (no `..` escapes, no absolute paths elsewhere). */
  private confine(p: string, field: string): void {
    const roots = this.opts.allowedRoots;
    if (!roots) return;
    const abs = resolve(p);
    const inside = roots.some((r) => {
      const rel = relative(resolve(r), abs);
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    });
    if (!inside) throw new HostError(`${field}: ${p} is outside the folders this server may open (${roots.join(', ')}); start the server with --allow DIR to add one`);
  }

  private setState(state: SessionState, detail: string): void {
    this.state = state;
    this.send({ type: 'state', state, detail });
  }

  private error(e: unknown, request?: string): void {
    this.send({ type: 'error', message: firstLine(e), ...(request ? { request } : {}) });
  }
}

/** Side of the probe render that measures the cost per ray before each frame. */
const PROBE_SIDE = 16;
const MIN_FRAME_SIDE = 16;

/**
 * The size to render a requested frame at so that it takes about `seconds` at the measured cost
 * per ray (same aspect; at least 16 px a side; never larger than asked). The viewport stretches
 * whatever arrives over its quad, so a smaller frame is a blurrier, not a wrong, picture.
 */
export function frameSize(width: number, height: number, secondsPerRay: number, seconds: number): [number, number] {
  const budget = seconds / Math.max(secondsPerRay, 1e-9);
  if (width * height <= budget) return [width, height];
  const s = Math.sqrt(budget / (width * height));
  return [Math.max(MIN_FRAME_SIDE, Math.min(width, Math.round(width * s))), Math.max(MIN_FRAME_SIDE, Math.min(height, Math.round(height * s)))];
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function boxOnlyScene(path: string, box: Box) {
  return { path, cameraAngleX: 0.6911112070083618, aspect: 1, box: { min: [...box.min] as [number, number, number], max: [...box.max] as [number, number, number] }, trainPoses: [], testPoses: [] };
}

/** Train PSNR (every recorded step) and test PSNR (every evaluation) from a run's metrics.jsonl. */
export function readHistory(path: string): HistoryPoint[] {
  if (!existsSync(path)) return [];
  const points: HistoryPoint[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line);
    } catch {
      continue; // a line cut by a crash
    }
    if (r.type === 'step' && typeof r.iteration === 'number' && typeof r.trainPSNR === 'number') points.push({ iteration: r.iteration, trainPSNR: r.trainPSNR });
    if (r.type === 'eval' && typeof r.iteration === 'number' && typeof r.testPSNR === 'number') points.push({ iteration: r.iteration, testPSNR: r.testPSNR });
  }
  return points;
}
