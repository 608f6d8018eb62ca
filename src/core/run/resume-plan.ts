/**
 * `train:lego --resume DIR`: what to continue. The settings come from DIR/config.json and the
 * state from DIR/checkpoint.trf; only --backend and --iterations (to extend the run) may be given
 * besides. Every problem is one line naming the file or flag (exit 2 through runMain).
 */
import { RunFolderError } from '../errors';
import { CheckpointError } from '../errors';
import { ConfigError } from '../errors';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OPTIONS, resolveConfig, type TrainConfig } from '../config';
import { readTrainerCheckpoint, resumeConflicts, type TrainerCheckpoint } from '../train/trainer-checkpoint';
import { CHECKPOINT_FILE } from '../io/run-folder';

/** Training options that may be given with --resume. */
export const RESUME_FLAGS: readonly (keyof TrainConfig)[] = ['backend', 'iterations'];

export interface ResumePlan {
  dir: string;
  /** The config to continue with: config.json's, with --backend / --iterations applied and out = dir. */
  cfg: TrainConfig;
  ckpt: TrainerCheckpoint;
  /** summary.json says complete and the checkpoint has reached cfg.iterations: nothing to train. */
  complete: boolean;
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
    throw new ConfigError(`--${flag}: not with --resume (the run's settings come from ${join(dir, 'config.json')}; only --backend and --iterations may be given)`);
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RunFolderError(`--resume ${dir}: no such run folder`);
  const cfgPath = join(dir, 'config.json');
  const saved = resolveConfig(readJson(cfgPath, 'config.json') as Record<string, unknown>, `${cfgPath}: `);
  const ckptPath = join(dir, CHECKPOINT_FILE);
  if (!existsSync(ckptPath)) throw new CheckpointError(`${ckptPath}: no checkpoint; the run stopped before writing one, so start it again`);
  const ckpt = readTrainerCheckpoint(ckptPath);
  const conflicts = resumeConflicts(ckpt.config, saved);
  if (conflicts.length > 0) {
    const k = conflicts[0];
    throw new CheckpointError(`${ckptPath}: saved with ${OPTIONS[k].flag} ${JSON.stringify(ckpt.config[k])}, but ${cfgPath} says ${JSON.stringify(saved[k])}`);
  }
  const at = ckpt.meta.iteration;
  const iterations = (partial.iterations as number | undefined) ?? saved.iterations;
  if (iterations < at) throw new ConfigError(`--iterations ${iterations}: the checkpoint is at iteration ${at} already`);
  const cfg: TrainConfig = { ...saved, iterations, backend: (partial.backend as TrainConfig['backend']) ?? saved.backend, out: dir };
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath) ? (readJson(summaryPath, 'summary.json') as { complete?: unknown; testPSNR?: unknown }) : null;
  const complete = summary?.complete === true && at >= cfg.iterations;
  return { dir, cfg, saved, ckpt, complete, testPSNR: complete && typeof summary?.testPSNR === 'number' ? summary.testPSNR : null, extended: iterations !== saved.iterations };
}
