/**
 * The Node side of the app, inside the training process: takes client messages, runs a training
 * (or a comparison: one training per decoder entry) through the same run driver and comparison
 * runner as the CLI, forwards their events, and serves render requests between steps.
 *
 * One state (SessionState) says what the host is doing: idle-like states (idle, done, stopped,
 * failed, viewing) accept a new job; a job moves through loading, training and evaluating; pause
 * and stop move it to paused or stopping, which the job's own progress does not override.
 */
import { dirname, join } from 'node:path';
import { parseDecoderSpecs } from '../core/compare/decoder-spec';
import { newPlan, writePlan } from '../core/compare/plan';
import { ComparisonRunner } from '../core/compare/run';
import { resolveConfig, resolveForBackend, type TrainConfig } from '../core/config';
import { checkScene } from '../core/data/nerf-synthetic';
import { LEGO_BOX } from '../core/field/geometry';
import { runStamp } from '../core/io/run-folder';
import { loadRunData } from '../core/run/scene-data';
import { trainRun } from '../core/run/train-run';
import type { TrainEvent } from '../core/train/events';
import type { Trainer } from '../core/train/trainer';
import { type ClientMessage, isIdleState, type ServerMessage, type SessionState } from '../protocol/messages';
import { parseClientMessage } from '../protocol/schema';
import type { BackendAvailability } from '../core/backend-probe';
import { Backends } from './backends';
import { CompareTable } from './compare-table';
import { openRunFolder } from './open-run';
import { PathPolicy } from './path-policy';
import { RenderQueue } from './render-queue';
import { sceneInfo } from './scene-info';
import { HostError, trainerSource, type ViewSource } from './views';
import { JobState } from './job-state';
import { EntryModels } from './entry-models';
import { ModelFeed } from './model-feed';
import { type DriveArgs, resumeArgs, resumedHistory, type StartContext, startArgs } from './run-start';
import { requestCheckpoint } from './save-checkpoint';

export { HostError } from './views';

export interface HostOptions {
  /** When set, every path a message names (scene, run folder, output folder) must lie inside one of these. */
  allowedRoots?: string[];
  /** Where new runs and comparisons go (default 'runs'). */
  runsDir?: string;
  /** Minimum milliseconds between forwarded step events (the last step is always sent). Default 100. */
  stepEventMs?: number;
  /** Largest share of wall time that viewport renders may take while a training runs. Default 0.3. */
  renderShare?: number;
  /** Which backends can start here (default: backend-probe.ts, which offers webgpu only with a GPU device node). */
  probeBackends?: () => Promise<BackendAvailability[]>;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export class TrainerHost {
  private readonly job = new JobState((state, detail) => {
    this.send({ type: 'state', state, detail });
    this.feed.state(state);
  });
  /** Model snapshots for pages that show the shader view. */
  private readonly feed = new ModelFeed(
    (m) => this.send(m),
    () => this.mainSource(),
  );
  private trainer: Trainer | null = null;
  /** The comparison entry being trained (the label of `trainer`), if any. */
  private trainerLabel: string | null = null;
  private comparison: ComparisonRunner | null = null;
  private compare: CompareTable | null = null;
  private viewing: ViewSource | null = null;
  /** Finished comparison entries' models, by label. */
  private readonly entryModels = new EntryModels();
  private readonly renders: RenderQueue;
  private readonly backends: Backends;
  private wakeUp: (() => void) | null = null;
  private lastStepSent = 0;
  private readonly starter: StartContext;
  private toCheckpoint = false; // asked for while paused: the trainer runs on to the step boundary that writes it
  private finished: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (m: ServerMessage) => void,
    private readonly opts: HostOptions = {},
  ) {
    this.backends = new Backends(opts.probeBackends);
    this.starter = {
      confine: (p, field, scene) => this.confine(p, field, scene),
      backends: this.backends,
      loading: (detail) => this.progress('loading', detail),
      send: (m) => this.send(m),
      runsDir: () => this.opts.runsDir,
    };
    this.renders = new RenderQueue(
      {
        source: (model) => this.source(model),
        running: () => this.state !== 'paused' && this.trainer !== null,
        send: (m) => this.send(m),
        error: (e, request) => this.error(e, request),
      },
      { renderShare: opts.renderShare },
    );
  }

  /** Tells the parent the process is up (it holds messages until then). */
  ready(): void {
    this.setState('idle', 'trainer process ready');
    void this.backends.available().then((backends) => this.send({ type: 'backends', backends }));
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
    if (!isIdleState(this.state)) this.requestStop();
    await this.finished;
  }

  private get busy(): boolean {
    return !isIdleState(this.state);
  }

  private dispatch(m: ClientMessage): void {
    switch (m.type) {
      case 'start':
        if (this.busy) throw new HostError('a training is running; stop it before starting another');
        this.runJob('start', async () => this.drive(...(await startArgs(m, this.starter))));
        return;
      case 'compare':
        if (this.busy) throw new HostError('a training is running; stop it before starting a comparison');
        this.runJob('compare', () => this.compareAll(m.decoders, m.config));
        return;
      case 'openRun':
        if (this.busy) throw new HostError('a training is running; stop it before opening a run');
        this.finished = this.openRun(m.path).catch((e) => this.error(e, 'openRun'));
        return;
      case 'pause':
        if (!this.job.pausable) throw new HostError(this.state === 'paused' ? 'already paused' : 'no training to pause');
        this.job.pause(`paused after iteration ${this.trainer?.iteration ?? 0}`);
        return;
      case 'resume':
        if (this.state !== 'paused') throw new HostError('no paused training to resume');
        this.job.resume();
        this.wake();
        return;
      case 'stop':
        if (!this.busy) throw new HostError('no training to stop');
        this.requestStop();
        return;
      case 'evaluate':
        this.renders.evaluate();
        this.kick();
        return;
      case 'render':
        this.renders.render(m);
        this.kick();
        return;
      case 'snapTestView':
        this.renders.snapTestView(m);
        this.kick();
        return;
      case 'watchModel':
        this.feed.setWatching(m.on);
        return;
      case 'openScene':
        this.confine(m.path, 'openScene.path', true);
        this.send({ type: 'scene', scene: sceneInfo(m.path, LEGO_BOX) });
        return;
      case 'resumeRun': // as train:lego --resume; a complete run is said to be so and not retrained
        if (this.busy) throw new HostError('a training is running; stop it before resuming a run');
        this.runJob('resumeRun', async () => {
          const args = await resumeArgs(m.path, this.starter);
          return typeof args === 'string' ? this.setState('done', args) : this.drive(...args);
        });
        return;
      case 'saveCheckpoint':
        this.toCheckpoint = requestCheckpoint(this.trainer, this.state);
        this.wake(); // paused: the trainer runs on to the step boundary, writes it and holds again
        return;
      case 'record':
        this.renders.record(m);
        this.kick();
        return;
    }
  }

  private requestStop(): void {
    this.setState('stopping', 'stopping after this iteration; the checkpoint will be saved');
    if (this.trainer) this.trainer.control.stopRequested = true;
    this.comparison?.stop();
    this.wake();
  }

  /** A job's progress: shown unless the user paused or stopped it (job-state.ts). */
  private progress(state: SessionState, detail: string): void {
    this.job.progress(state, detail);
  }

  /** Runs one training or comparison; failures become an error reply and the 'failed' state. */
  private runJob(request: string, body: () => Promise<void>): void {
    this.viewing = null;
    this.entryModels.clear();
    this.renders.reset();
    this.setState('loading', `${request}: starting`);
    this.finished = (async () => {
      try {
        await body();
      } catch (e) {
        this.error(e, request);
        this.setState('failed', `${request} failed`); // why: the error message (shown once)
      } finally {
        this.trainer = null;
        this.trainerLabel = null;
        this.comparison = null;
        if (this.busy) this.setState('stopped', 'stopped');
        void this.renders.serve();
      }
    })();
  }

  /** Trains `run` (a new folder, or one resumed from `resume`: run-start.ts), forwarding its events; the state follows its outcome. */
  private async drive(...[cfg, run, data, backend, detail, resume]: DriveArgs): Promise<void> {
    let trainer: Trainer | null = null;
    const outcome = await trainRun(cfg, run, data, backend, {
      resume,
      onTrainer: (t) => {
        trainer = this.trainer = t;
        if (this.state === 'stopping') t.control.stopRequested = true;
        this.progress('training', detail); // now, not before: 'training' says there is a model to render
      },
      onEvent: (e) => this.between(e, null),
    });
    const t = trainer as Trainer | null;
    if (t) this.viewing = trainerSource(t);
    this.setState(outcome === 'complete' ? 'done' : outcome, `${outcome} at iteration ${t?.iteration ?? 0}; run folder ${run.dir}`);
  }

  /**
   * Trains each decoder entry in turn into runs/compare-<stamp>/<label>/ with the same data,
   * schedule, views and seed (the comparison runner), then the reports; the folder is a normal
   * comparison folder (`npm run compare -- --resume DIR` finishes an interrupted one).
   */
  private async compareAll(decoders: string, partial: Partial<TrainConfig>): Promise<void> {
    const specs = parseDecoderSpecs(decoders, partial as Record<string, unknown>);
    const early = resolveConfig(partial as Record<string, unknown>, 'compare.config.');
    this.confine(early.data, 'compare.config.data', true);
    checkScene(early.data);
    const dir = join(this.opts.runsDir ?? 'runs', `compare-${runStamp()}`);
    this.confine(dir, 'compare');
    const backend = await this.backends.use(early.backend);
    const { cfg, presetWhy, scheduleNote } = resolveForBackend(partial as Record<string, unknown>, backend.name, 'compare.config.');
    const plan = newPlan(specs, cfg, 1, dir);
    writePlan(dir, plan);
    const table = new CompareTable(dir, plan);
    this.compare = table;
    this.send(table.message());
    const about = `preset ${cfg.preset} (${presetWhy})${scheduleNote ? `; ${scheduleNote}` : ''}`;
    this.progress('loading', `comparison ${dir}: loading ${cfg.data} (downscale ${cfg.downscale}); ${about}`);
    this.send({ type: 'scene', scene: sceneInfo(cfg.data, LEGO_BOX) });
    await tick();
    const data = loadRunData(cfg);
    const runner = new ComparisonRunner(dir, plan, data, backend, {
      onRunStart: (r) => {
        this.trainerLabel = r.label;
        table.setStatus(r.label, 'training');
        this.send(table.message());
        this.progress('training', `comparison entry ${r.label}: run folder ${join(dir, r.label)}; backend ${backend.name}`);
      },
      onEvent: (r, e, t) => {
        this.trainer = t;
        return this.between(e, r.label);
      },
      onRunEnd: (r, outcome, t) => {
        if (t) {
          this.viewing = trainerSource(t);
          this.entryModels.set(r.label, this.viewing);
        }
        this.trainer = null;
        this.trainerLabel = null; // its model is an entry model now
        table.setStatus(r.label, outcome === 'complete' ? 'done' : outcome);
        this.send(table.message());
      },
    });
    this.comparison = runner;
    if (this.state === 'stopping') runner.stop();
    const result = await runner.run();
    this.setState(
      result.stopped ? 'stopped' : 'done',
      `comparison ${dir}: ${result.stopped ? `stopped; \`npm run compare -- --resume ${dir}\` finishes it` : 'done'}; reports in ${dir}/report.html`,
    );
  }

  /** After each run event: forward it, let messages in, serve requests, hold while paused. */
  private async between(e: TrainEvent, label: string | null): Promise<void> {
    if (e.type === 'evaluating') this.progress('evaluating', `evaluating ${e.views} test views`);
    if (e.type === 'checkpoint') this.toCheckpoint = false; // a save asked for while paused is written: hold again
    if (e.type === 'resumed' && !label) this.send(resumedHistory(dirname(e.checkpoint)));
    const now = performance.now();
    const sendIt = e.type !== 'step' || e.iteration === e.total || now - this.lastStepSent >= (this.opts.stepEventMs ?? 100);
    if (sendIt) {
      if (e.type === 'step') this.lastStepSent = now;
      this.send({ type: 'event', event: e, ...(label ? { entry: label } : {}) });
      if (label && this.compare?.apply(label, e)) this.send(this.compare.message());
    }
    await tick();
    await this.renders.serve();
    if (e.type === 'step') this.feed.step();
    while (this.state === 'paused' && !this.toCheckpoint) {
      await new Promise<void>((r) => {
        this.wakeUp = r;
      });
      await this.renders.serve();
    }
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** A new request: served at the next run event while a training steps, at once otherwise. */
  private kick(): void {
    if (this.trainer && this.state !== 'paused') return;
    if (this.state === 'paused') this.wake();
    else void this.renders.serve();
  }

  /** The model to render: a comparison entry's (by label), else the one training or open. */
  private source(model?: string): ViewSource {
    const t = this.trainer;
    if (model !== undefined && model === this.trainerLabel && !t)
      throw new HostError(`no model '${model}' to render yet: its training is starting`); // not the previous entry's
    if (model !== undefined && model !== this.trainerLabel)
      return this.entryModels.get(model, this.compare, this.comparison !== null, (p, field, scene) => this.confine(p, field, scene));
    if (t) return trainerSource(t);
    if (this.viewing) return this.viewing;
    throw new HostError('nothing to render yet: start a training or open a run folder');
  }

  /** The model the main viewport shows (the one training or open), or null. */
  private mainSource(): ViewSource | null {
    if (this.trainer) return trainerSource(this.trainer);
    return this.viewing;
  }

  private async openRun(path: string): Promise<void> {
    this.confine(path, 'openRun.path');
    const opened = openRunFolder(path, (p, field, scene) => this.confine(p, field, scene));
    const backend = await this.backends.use(opened.source.cfg.backend);
    if (opened.sceneError) this.error(new HostError(`${opened.sceneError}; the model can be viewed, test views cannot`), 'openRun');
    this.send({ type: 'scene', scene: opened.scene });
    this.renders.reset();
    this.viewing = opened.source;
    const model = { iteration: opened.source.iteration, total: opened.source.cfg.iterations, backend: backend.name };
    this.send({ type: 'history', points: opened.history, run: path, opened: model });
    this.setState('viewing', `run ${path}, iteration ${opened.source.iteration}, decoder ${opened.source.cfg.decoder}`);
  }

  /** Throws when `p` (a scene folder and its files, with `scene`) leads outside every allowed root: see path-policy.ts. */
  private confine(p: string, field: string, scene = false): void {
    const roots = this.opts.allowedRoots;
    if (!roots) return;
    const policy = new PathPolicy(roots);
    if (scene) policy.checkScene(p, field);
    else policy.check(p, field);
  }

  private get state(): SessionState {
    return this.job.state;
  }

  private setState(state: SessionState, detail: string): void {
    this.job.set(state, detail);
  }

  private error(e: unknown, request?: string): void {
    this.send({ type: 'error', message: firstLine(e), ...(request ? { request } : {}) });
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
