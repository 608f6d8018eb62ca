/**
 * The Node side of the app, inside the training process: takes client messages, runs a training
 * (or a comparison: one training per decoder entry) through the same driver as `train:lego`
 * (src/cli/run-training.ts), forwards the trainer's events, and renders views of the models
 * between steps. Render requests are latest-value: one pending slot per model, a newer request
 * replaces an older one that was not served yet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, type BackendInfo } from '../core/backend';
import { entryConfig, parseDecoderSpecs } from '../core/compare/decoder-spec';
import { newPlan, writePlan, writeReports } from '../core/compare/plan';
import { checkScene } from '../core/data/nerf-synthetic';
import { testViewCount } from '../core/data/scene';
import { resolveConfig, type TrainConfig } from '../core/config';
import { LEGO_BOX, type Box } from '../core/field/geometry';
import { loadModel } from '../core/io/model-checkpoint';
import { CHECKPOINT_FILE, defaultRunName, RunFolder, runStamp } from '../core/io/run-folder';
import type { TrainEvent } from '../core/train/events';
import type { Trainer } from '../core/train/trainer';
import { loadRunData, type Outcome, type RunData, trainRun } from '../cli/run-training';
import type { ClientMessage, HistoryPoint, ServerMessage, SessionState } from '../protocol/messages';
import { parseClientMessage, startConfigOf } from '../protocol/schema';
import { CompareTable } from './compare-table';
import { PathPolicy } from './path-policy';
import { sceneInfo } from './scene-info';
import { evaluateNow, HostError, type RenderRequest, renderFrame, renderTestView, type SnapRequest, TestViews, type ViewSource } from './views';

export { HostError } from './views';

export interface HostOptions {
  /** When set, every path a message names (scene, run folder, output folder) must lie inside one of these. */
  allowedRoots?: string[];
  /** Where new runs and comparisons go (default 'runs'). */
  runsDir?: string;
  /** Minimum milliseconds between forwarded step events (the last step is always sent). Default 100. */
  stepEventMs?: number;
  /**
   * Largest share of wall time that viewport renders may take while a training runs (they share
   * the training's thread); a render request waits until the budget allows it. Default 0.3.
   */
  renderShare?: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export class TrainerHost {
  private trainer: Trainer | null = null;
  /** The comparison entry being trained (the label of `trainer`), if any. */
  private trainerLabel: string | null = null;
  private training = false;
  private paused = false;
  /** A stop asked for before the trainer existed (while loading) or between comparison entries. */
  private stopAsked = false;
  private viewing: ViewSource | null = null;
  /** Finished comparison entries' models, by label. */
  private readonly entryModels = new Map<string, ViewSource>();
  private compare: CompareTable | null = null;
  /** Pending viewport renders, one per model ('' = the current model). */
  private readonly pendingRenders = new Map<string, RenderRequest>();
  private pendingSnap: SnapRequest | null = null;
  private pendingEval = false;
  private serving = false;
  private wakeUp: (() => void) | null = null;
  private lastStepSent = 0;
  /** While training runs, the next viewport render waits until this time (performance.now()). */
  private nextRenderAt = 0;
  private readonly backends = new Map<string, BackendInfo>();
  private readonly testViews = new TestViews();
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
        this.finished = this.exclusive('start', async () => void (await this.trainOne(cfg, null)));
        return;
      }
      case 'compare': {
        if (this.training) throw new HostError('a training is running; stop it before starting a comparison');
        const { decoders, config } = m;
        this.finished = this.exclusive('compare', () => this.compareAll(decoders, config));
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
        this.pendingRenders.delete(m.model ?? '');
        this.pendingRenders.set(m.model ?? '', m);
        return this.kick();
      case 'snapTestView':
        this.pendingSnap = m;
        return this.kick();
      case 'openScene':
        this.confine(m.path, 'openScene.path', true);
        this.send({ type: 'scene', scene: sceneInfo(m.path, LEGO_BOX) });
        return;
      case 'openRun':
        if (this.training) throw new HostError('a training is running; stop it before opening a run');
        this.finished = this.openRun(m.path).catch((e) => this.error(e, 'openRun'));
        return;
    }
  }

  /** Runs one training or comparison with the session marked busy; failures become error + 'failed'. */
  private async exclusive(request: string, body: () => Promise<void>): Promise<void> {
    this.training = true;
    this.paused = false;
    this.stopAsked = false;
    this.viewing = null;
    this.entryModels.clear();
    this.testViews.clear();
    try {
      await body();
    } catch (e) {
      this.error(e, request);
      this.setState('failed', firstLine(e));
    } finally {
      this.training = false;
      this.trainer = null;
      this.trainerLabel = null;
      this.paused = false;
      void this.serveAll();
    }
  }

  /** Loads the scene (unless `data` is given) and trains one run folder; `label` marks a comparison entry. */
  private async trainOne(cfg: TrainConfig, label: string | null, data?: RunData): Promise<Outcome> {
    this.confine(cfg.data, 'start.config.data', true);
    if (cfg.out) this.confine(cfg.out, 'start.config.out');
    checkScene(cfg.data);
    const backend = await this.backend(cfg.backend);
    if (!data) {
      this.setState('loading', `loading ${cfg.data} (downscale ${cfg.downscale})`);
      this.send({ type: 'scene', scene: sceneInfo(cfg.data, LEGO_BOX) });
      await tick();
      data = loadRunData(cfg, () => {});
    }
    const name = cfg.name || defaultRunName(cfg);
    const dir = cfg.out || join(this.opts.runsDir ?? 'runs', name);
    this.confine(dir, 'start.config.out');
    const run = RunFolder.create(dir);
    const finalCfg: TrainConfig = { ...cfg, name, out: run.dir };
    run.writeJson('config.json', finalCfg);
    this.setState('training', `${label ? `comparison entry ${label}: ` : ''}run folder ${run.dir}; backend ${backend.name}`);
    let trainer: Trainer | null = null;
    this.trainerLabel = label;
    const outcome = await trainRun(finalCfg, run, data, backend, {
      json: false,
      progress: false,
      say: (line) => {
        if (line.startsWith('evaluating')) this.setState('evaluating', line);
      },
      onTrainer: (t) => {
        trainer = this.trainer = t;
        if (this.stopAsked) t.control.stopRequested = true;
      },
      onEvent: (e) => this.between(e, label),
    });
    const t = trainer as Trainer | null;
    this.trainer = null;
    this.trainerLabel = null;
    if (t) {
      const src = trainerSource(t); // t.cfg is finalCfg
      if (label) this.entryModels.set(label, src);
      this.viewing = src;
    }
    this.setState(outcome === 'complete' ? 'done' : outcome, `${label ? `comparison entry ${label}: ` : ''}${outcome} at iteration ${t?.iteration ?? 0}; run folder ${run.dir}`);
    return outcome;
  }

  /**
   * Trains each decoder entry in turn into runs/compare-<stamp>/<label>/ with the same data,
   * schedule, views and seed, then writes the reports; the folder is a normal comparison folder
   * (`npm run compare -- --resume DIR` finishes an interrupted one).
   */
  private async compareAll(decoders: string, partial: Partial<TrainConfig>): Promise<void> {
    const specs = parseDecoderSpecs(decoders, partial as Record<string, unknown>);
    const cfg = resolveConfig(partial as Record<string, unknown>, 'compare.config.');
    this.confine(cfg.data, 'compare.config.data', true);
    checkScene(cfg.data);
    const dir = join(this.opts.runsDir ?? 'runs', `compare-${runStamp()}`);
    this.confine(dir, 'compare');
    const plan = newPlan(specs, cfg, 1, dir);
    writePlan(dir, plan);
    const table = (this.compare = new CompareTable(dir, plan));
    this.send(table.message());
    this.setState('loading', `comparison ${dir}: loading ${cfg.data} (downscale ${cfg.downscale})`);
    this.send({ type: 'scene', scene: sceneInfo(cfg.data, LEGO_BOX) });
    await tick();
    const data = loadRunData(cfg, () => {});
    for (const r of plan.runs) {
      if (this.stopAsked) break;
      const entry = plan.entries.find((e) => e.label === r.entry)!;
      const ecfg = entryConfig(plan.config, { ...entry, decoder: entry.decoder as TrainConfig['decoder'] }, r.seed);
      table.setStatus(r.label, 'training');
      this.send(table.message());
      const outcome = await this.trainOne({ ...ecfg, name: r.label, out: join(dir, r.label) }, r.label, data);
      table.setStatus(r.label, outcome === 'complete' ? 'done' : outcome);
      this.send(table.message());
      if (outcome === 'stopped') break;
    }
    writeReports(dir, plan);
    const stopped = this.stopAsked;
    this.setState(stopped ? 'stopped' : 'done', `comparison ${dir}: ${stopped ? 'stopped; `npm run compare -- --resume ' + dir + '` finishes it' : 'done'}; reports in ${dir}/report.html`);
  }

  /** After each trainer event: forward it, let messages in, serve requests, hold while paused. */
  private async between(e: TrainEvent, label: string | null): Promise<void> {
    const now = performance.now();
    const sendIt = e.type !== 'step' || e.iteration === e.total || now - this.lastStepSent >= (this.opts.stepEventMs ?? 100);
    if (sendIt) {
      if (e.type === 'step') this.lastStepSent = now;
      this.send({ type: 'event', event: e });
      if (label && this.compare?.apply(label, e)) this.send(this.compare.message());
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
    if (this.training && !this.paused && this.trainer) return;
    if (this.paused) this.wake();
    else void this.serveAll();
  }

  private async serveAll(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      for (;;) {
        if (this.pendingSnap) {
          const m = this.pendingSnap;
          this.pendingSnap = null;
          await this.guard('snapTestView', async () => this.send(await renderTestView(this.source(), m, this.testViews)));
        } else if (this.pendingEval) {
          this.pendingEval = false;
          await this.guard('evaluate', async () => this.send(await evaluateNow(this.source(), this.testViews)));
        } else if (this.pendingRenders.size > 0) {
          const running = this.training && !this.paused;
          if (running && performance.now() < this.nextRenderAt) break; // over the render budget: after a later step
          const [key, m] = this.pendingRenders.entries().next().value!;
          this.pendingRenders.delete(key);
          const t0 = performance.now();
          await this.guard('render', async () => this.send(await renderFrame(this.source(m.model), m, this.frameSeconds(m.quality))));
          const share = Math.min(Math.max(this.opts.renderShare ?? 0.3, 0.01), 1);
          this.nextRenderAt = performance.now() + ((performance.now() - t0) * (1 - share)) / share;
        } else break;
      }
    } finally {
      this.serving = false;
    }
  }

  /** How long a frame may take: coarse ones keep camera moves fluid, sharp ones wait less while training. */
  private frameSeconds(q: RenderRequest['quality']): number {
    if (q === 'coarse') return 0.25;
    return this.training && !this.paused ? 1 : 3;
  }

  private async guard(request: string, f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.error(e, request);
    }
  }

  /** The model to render: a comparison entry's (by label), else the one training or open. */
  private source(model?: string): ViewSource {
    const t = this.trainer;
    if (model !== undefined && model !== this.trainerLabel) {
      const src = this.entryModels.get(model);
      if (!src) throw new HostError(`no model '${model}' to render yet${this.compare?.rows.some((r) => r.label === model) ? ' (its training has not started)' : ''}`);
      return src;
    }
    if (t) return trainerSource(t);
    if (this.viewing) return this.viewing;
    throw new HostError('nothing to render yet: start a training or open a run folder');
  }

  private async openRun(path: string): Promise<void> {
    this.confine(path, 'openRun.path');
    const ckpt = join(path, CHECKPOINT_FILE);
    this.confine(ckpt, `openRun.path (${CHECKPOINT_FILE})`);
    this.confine(join(path, 'metrics.jsonl'), 'openRun.path (metrics.jsonl)');
    if (!existsSync(ckpt)) throw new HostError(`${path}: no ${CHECKPOINT_FILE} here; open a run folder written by train:lego or the app`);
    const { model, mask, meta } = loadModel(ckpt);
    await this.backend(meta.config.backend);
    let testCount = 0;
    try {
      this.confine(meta.config.data, "openRun: the run's config.data", true);
      this.send({ type: 'scene', scene: sceneInfo(meta.config.data, meta.box) });
      testCount = testViewCount(meta.config);
    } catch (e) {
      this.error(new HostError(`${firstLine(e)}; the model can be viewed, test views cannot`), 'openRun');
      this.send({ type: 'scene', scene: boxOnlyScene(meta.config.data, meta.box) });
    }
    this.testViews.clear();
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

  /** Throws when `p` (a scene folder and its files, with `scene`) leads outside every allowed root: see path-policy.ts. */
  private confine(p: string, field: string, scene = false): void {
    const roots = this.opts.allowedRoots;
    if (!roots) return;
    const policy = new PathPolicy(roots);
    if (scene) policy.checkScene(p, field);
    else policy.check(p, field);
  }

  private setState(state: SessionState, detail: string): void {
    this.send({ type: 'state', state, detail });
  }

  private error(e: unknown, request?: string): void {
    this.send({ type: 'error', message: firstLine(e), ...(request ? { request } : {}) });
  }
}

/** A trainer's current model as a render source (a snapshot of its iteration). */
function trainerSource(t: Trainer): ViewSource {
  return { model: t.model, mask: t.mask, cfg: t.cfg, iteration: t.iteration, test: t.data.test, testCount: t.data.testCount };
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
