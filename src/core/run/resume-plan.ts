/**
 * `train:lego --resume DIR`: what to continue. The settings come from DIR/config.json and the
 * state from DIR/checkpoint.trf; only --backend, --iterations (to extend the run) and --threads may be given
 * besides. A run killed before its first checkpoint is trained again from the start (`restart`);
 * one stopped during its final evaluation is only evaluated (`evaluateOnly`). Every problem is one
 * line naming the file or flag (exit 2 through runMain).
 */
import { RunFolderError } from '../errors';
import { CheckpointError } from '../errors';
import { ConfigError } from '../errors';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OPTIONS, resolveConfig, type TrainConfig } from '../config';
import { readTrainerCheckpoint, resumeConflicts, type TrainerCheckpoint } from '../train/trainer-checkpoint';
import { CHECKPOINT_FILE, restartable } from '../io/run-folder';

/** Training options that may be given with --resume. */
export const RESUME_FLAGS: readonly (keyof TrainConfig)[] = ['backend', 'iterations', 'threads'];

export interface ResumePlan {
  dir: string;
  /** The config to continue with: config.json's, with --backend / --iterations applied and out = dir. */
  cfg: TrainConfig;
  /** The checkpoint to continue from; null when the run ended before writing one (`restart`). */
  ckpt: TrainerCheckpoint | null;
  /**
   * No checkpoint and no summary: the run was killed before its first checkpoint, so it is
   * trained again from the start in place (RunFolder.restart).
   */
  restart: boolean;
  /** summary.json says complete and the checkpoint has reached cfg.iterations: nothing to train. */
  complete: boolean;
  /**
   * The checkpoint has reached cfg.iterations but the run is not complete (stopped during its
   * final evaluation): resuming only evaluates.
   */
  evaluateOnly: boolean;
  /** The complete run's test PSNR (from summary.json), when complete. */
  testPSNR: number | null;
  /** config.json as saved. */
  saved: TrainConfig;
  /** --iterations changed the total: config.json should be rewritten. */
  extended: boolean;
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new RunFolderError(`${path}: no ${what} there; is this a run folder written by train:lego?`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

export function planResume(dir: string, partial: Record<string, unknown>): ResumePlan {
  const extra = Object.keys(partial).filter((k) => !(RESUME_FLAGS as string[]).includes(k));
  if (extra.length > 0) {
    const flag = OPTIONS[extra[0] as keyof TrainConfig]?.flag ?? extra[0];
    throw new ConfigError(
      `--${flag}: not with --resume (the run's settings come from ${join(dir, 'config.json')}; only --backend, --iterations and --threads may be given)`,
    );
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RunFolderError(`--resume ${dir}: no such run folder`);
  const cfgPath = join(dir, 'config.json');
  const saved = resolveConfig(readJson(cfgPath, 'config.json') as Record<string, unknown>, `${cfgPath}: `);
  const ckptPath = join(dir, CHECKPOINT_FILE);
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath)
    ? (readJson(summaryPath, 'summary.json') as { complete?: unknown; testPSNR?: unknown; error?: unknown })
    : null;
  const given = partial.iterations as number | undefined;
  const backend = (partial.backend as TrainConfig['backend']) ?? saved.backend;
  const threads = (partial.threads as number | undefined) ?? saved.threads;
  if (!existsSync(ckptPath)) {
    if (summary?.complete === true)
      throw new CheckpointError(
        `${ckptPath}: no checkpoint, though ${summaryPath} says the run is complete (was ${CHECKPOINT_FILE} moved or deleted?); nothing to continue`,
      );
    if (summary !== null) {
      const why = typeof summary.error === 'string' ? `: ${summary.error.split('\n')[0]}` : '';
      throw new CheckpointError(
        `${ckptPath}: no checkpoint; the run ended before writing one (${summaryPath}${why}), so there is nothing to continue; start a new run with another --out`,
      );
    }
    if (!restartable(dir))
      throw new CheckpointError(`${ckptPath}: no checkpoint, and ${dir} holds files a run does not write; not starting it again there`);
    const cfg: TrainConfig = { ...saved, iterations: given ?? saved.iterations, backend, threads, out: dir };
    return {
      dir,
      cfg,
      saved,
      ckpt: null,
      restart: true,
      complete: false,
      evaluateOnly: false,
      testPSNR: null,
      extended: cfg.iterations !== saved.iterations,
    };
  }
  const ckpt = readTrainerCheckpoint(ckptPath);
  const conflicts = resumeConflicts(ckpt.config, saved);
  if (conflicts.length > 0) {
    const k = conflicts[0];
    throw new CheckpointError(
      `${ckptPath}: saved with ${OPTIONS[k].flag} ${JSON.stringify(ckpt.config[k])}, but ${cfgPath} says ${JSON.stringify(saved[k])}`,
    );
  }
  const at = ckpt.meta.iteration;
  const iterations = given ?? saved.iterations;
  if (iterations < at) {
    if (given !== undefined) throw new ConfigError(`--iterations ${iterations}: the checkpoint is at iteration ${at} already`);
    throw new ConfigError(
      `${cfgPath}: iterations ${iterations} is below the iteration of ${ckptPath} (${at}); was config.json edited? Put back its iterations, or give --iterations N with N >= ${at}`,
    );
  }
  const cfg: TrainConfig = { ...saved, iterations, backend, threads, out: dir };
  const complete = summary?.complete === true && at >= cfg.iterations;
  return {
    dir,
    cfg,
    saved,
    ckpt,
    restart: false,
    complete,
    evaluateOnly: !complete && at >= cfg.iterations,
    testPSNR: complete && typeof summary?.testPSNR === 'number' ? summary.testPSNR : null,
    extended: iterations !== saved.iterations,
  };
}

/** The first line a resume prints: what it continues, or that the run is complete (train:lego --resume and the app). */
export function resumeLine(plan: ResumePlan): string {
  const { dir, cfg } = plan;
  const at = plan.ckpt?.meta.iteration ?? 0;
  const what = `preset ${cfg.preset}, seed ${cfg.seed}`;
  if (plan.complete)
    return `run ${dir} is complete (iteration ${at} of ${cfg.iterations}${plan.testPSNR === null ? '' : `, test PSNR ${plan.testPSNR.toFixed(2)} dB`}); nothing to do (--iterations N trains further)`;
  if (plan.restart)
    return `${dir}: no checkpoint (the run ended before writing one); starting it again from iteration 0 of ${cfg.iterations} in place (${what})`;
  if (plan.evaluateOnly)
    return `${dir}: trained to iteration ${at} of ${cfg.iterations}, its final evaluation was stopped; evaluating (${what})`;
  return `resuming ${dir} at iteration ${at} of ${cfg.iterations} (${what})`;
}
