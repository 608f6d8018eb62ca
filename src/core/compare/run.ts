/**
 * The comparison runner shared by `npm run compare` and the app's Compare tab: trains each planned
 * run (decoder entry x seed) in turn through the run driver into `<dir>/<label>/`, skipping runs
 * that are complete, then writes the reports. An unfinished run folder from an interrupted
 * comparison continues from its checkpoint when that can be resumed exactly (same settings and
 * training rays); otherwise that entry starts over. `stop()` stops the entry in progress after
 * its current iteration (its checkpoint is saved) and runs no further entries. The comparison
 * folder is locked while it runs, and each entry's run folder while that entry trains.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config';
import { ConfigError } from '../errors';
import { CHECKPOINT_FILE, createRunFolder, RunFolder } from '../io/run-folder';
import { checkUnlocked, lockFolder } from '../io/run-lock';
import { planResume } from '../run/resume-plan';
import type { RunData } from '../run/scene-data';
import { trainRun, type Outcome } from '../run/train-run';
import type { TrainEvent } from '../train/events';
import type { Trainer } from '../train/trainer';
import { resumeConflicts, type TrainerCheckpoint } from '../train/trainer-checkpoint';
import { entryConfig } from './decoder-spec';
import { writeReports } from './plan';
import { PLAN_FILE, runComplete, type ComparePlan, type PlannedRun } from './records';

export interface CompareHooks {
  /** Before a run starts: its position among the runs still to do. */
  onRunStart?: (r: PlannedRun, index: number, todo: number) => void | Promise<void>;
  /** Every event of the run in progress (awaited, as the run driver's onEvent). */
  onEvent?: (r: PlannedRun, e: TrainEvent, t: Trainer) => void | Promise<void>;
  /** After a run ends, with the trainer that ran it. */
  onRunEnd?: (r: PlannedRun, outcome: Outcome, t: Trainer | null) => void | Promise<void>;
  /** Notes on what the runner decides (continuing or restarting an entry). */
  say?: (line: string) => void;
}

export interface CompareResult {
  failed: number;
  stopped: boolean;
  /** report.md's text. */
  markdown: string;
}

export class ComparisonRunner {
  private current: Trainer | null = null;
  private stopRequested = false;

  constructor(
    readonly dir: string,
    readonly plan: ComparePlan,
    private readonly data: RunData,
    private readonly backend: { name: string; reason: string },
    private readonly hooks: CompareHooks = {},
  ) {}

  /** The runs that are not complete yet. */
  todo(): PlannedRun[] {
    return this.plan.runs.filter((r) => !runComplete(join(this.dir, r.label)));
  }

  stop(): void {
    this.stopRequested = true;
    if (this.current) this.current.control.stopRequested = true;
  }

  /** Runs what is left, holding the comparison folder's lock (run-lock.ts) throughout. */
  async run(): Promise<CompareResult> {
    const lock = lockFolder(this.dir, 'compare');
    try {
      return await this.runLocked();
    } finally {
      lock.release();
    }
  }

  private async runLocked(): Promise<CompareResult> {
    const todo = this.todo();
    let failed = 0;
    for (const [i, r] of todo.entries()) {
      if (this.stopRequested) break;
      const entry = this.plan.entries.find((e) => e.label === r.entry);
      if (!entry) throw new ConfigError(`${join(this.dir, PLAN_FILE)}: run ${r.label} names no entry '${r.entry}'`);
      const cfg = entryConfig(this.plan.config, { ...entry, decoder: entry.decoder as TrainConfig['decoder'] }, r.seed);
      await this.hooks.onRunStart?.(r, i, todo.length);
      let trainer: Trainer | null = null;
      const outcome = await this.trainEntry({ ...cfg, name: r.label }, join(this.dir, r.label), r, (t) => (trainer = t));
      this.current = null;
      await this.hooks.onRunEnd?.(r, outcome, trainer);
      if (outcome === 'failed') failed++;
      if (outcome === 'stopped') break;
    }
    return { failed, stopped: this.stopRequested, markdown: writeReports(this.dir, this.plan) };
  }

  private async trainEntry(cfg: TrainConfig, dir: string, r: PlannedRun, got: (t: Trainer) => void): Promise<Outcome> {
    const say = this.hooks.say ?? (() => {});
    if (existsSync(dir)) checkUnlocked(dir); // an entry trained by another process (train:lego --resume) is not touched
    let resume: TrainerCheckpoint | undefined;
    if (existsSync(join(dir, CHECKPOINT_FILE))) {
      try {
        const plan = planResume(dir, {});
        if (resumeConflicts(plan.cfg, { ...cfg, out: dir }).length === 0) resume = plan.ckpt ?? undefined;
        else say(`${dir}: its settings differ from the comparison's; starting this entry over`);
      } catch (e) {
        say(`${dir}: cannot continue (${(e as Error).message.split('\n')[0]}); starting this entry over`);
      }
    }
    let finalCfg: TrainConfig = { ...cfg, out: dir };
    let run: RunFolder;
    if (resume) {
      run = RunFolder.open(dir, 'compare');
      say(`${dir}: continuing from iteration ${resume.meta.iteration}`);
    } else {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // incomplete and not resumable
      ({ run, cfg: finalCfg } = createRunFolder(finalCfg, undefined, 'compare'));
    }
    return trainRun(finalCfg, run, this.data, this.backend, {
      resume,
      onTrainer: (t) => {
        this.current = t;
        got(t);
        if (this.stopRequested) t.control.stopRequested = true;
      },
      onEvent: (e, t) => this.hooks.onEvent?.(r, e, t),
    });
  }
}
