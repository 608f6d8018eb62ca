/**
 * The benchmark's cases and what one bench invocation measures (bench.ts runs it): per case the
 * run's config (a preset, or a checkpoint's own config), where the run starts (iteration 0 or a
 * checkpoint) and which steps are measured.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OPTIONS, resolveConfig, type TrainConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { CHECKPOINT_FILE } from '../core/io/run-folder';
import type { TrainerCheckpoint } from '../core/train/trainer-checkpoint';

export interface BenchCase {
  /** The preset and loading options of the run (before the bench's training flags). */
  config: Record<string, unknown>;
  /** Default --from-iteration when the run starts from iteration 0. */
  from: number;
  /** Starts from --checkpoint when one is given. */
  late: boolean;
  about: string;
}

/** Steps trained after a checkpoint before measuring: the restored state goes up, shaders compile. */
export const AFTER_CHECKPOINT = 5;

export const CASES: Record<string, BenchCase> = {
  'thesis-early': {
    config: { preset: 'thesis', trainViews: 10 },
    from: 30,
    late: false,
    about: 'the thesis step shape before the first mask: 4096 rays, 128^3, 800x800 rays (10 training views loaded to keep loading short)',
  },
  quick: { config: { preset: 'quick' }, from: 30, late: false, about: "the quick preset's early steps (100x100, batch 1024, 64^3)" },
  'thesis-late': {
    config: { preset: 'thesis', trainViews: 10 },
    from: 5600,
    late: true,
    about: 'thesis steps after the last upsample before the end (5500) and both masks',
  },
  'quick-late': { config: { preset: 'quick' }, from: 1000, late: true, about: 'quick steps after the last upsample (900) and both masks' },
};

/** The config fields the bench itself sets on every case's run. */
const BENCH_FIELDS = { visEvery: 0, checkpointEvery: 0 } as const;

/** Training options that may be given with --checkpoint (the run's other settings are the checkpoint's). */
const WITH_CHECKPOINT: readonly (keyof TrainConfig)[] = ['data'];

export interface PlannedCase {
  name: string;
  cfg: TrainConfig;
  checkpoint: TrainerCheckpoint | null;
  /** Steps from+1 .. from+iters are measured. */
  from: number;
  iters: number;
}

export interface PlanInput {
  /** The --cases list, or undefined for the default. */
  cases?: string[];
  fromIteration?: number;
  iters: number;
  /** Training flags applied to every case (flagsToPartial), backend excluded. */
  overrides: Record<string, unknown>;
  checkpoint: TrainerCheckpoint | null;
}

/** `--checkpoint PATH`: a checkpoint file, or a run folder holding one. */
export function checkpointFile(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, CHECKPOINT_FILE) : path;
}

function positiveInt(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${flag}: expected an integer >= ${min}, got '${v}'`);
  return n;
}

export function parseCounts(flags: Record<string, string>): { fromIteration?: number; iters: number } {
  if ('warmup' in flags) throw new ConfigError('--warmup: replaced by --from-iteration A (measures steps A+1..A+N of a real run)');
  return { fromIteration: positiveInt('from-iteration', flags['from-iteration'], 0), iters: positiveInt('iters', flags.iters, 1) ?? 5 };
}

/** --threads LIST: the thread counts each cpu case runs with (default 1 and the machine's cores). */
export function parseThreadList(raw: string | undefined, cores: number): number[] {
  if (raw === undefined) return [...new Set([1, cores])];
  const max = OPTIONS.threads.max as number; // the train option's bound, declared once in config.ts
  return raw.split(',').map((t) => {
    const n = Number(t);
    if (!(Number.isInteger(n) && n >= 1 && n <= max))
      throw new ConfigError(`--threads: expected a comma-separated list of thread counts 1..${max}, got '${t}'`);
    return n;
  });
}

/** The cases of one bench invocation, for one backend. */
export function planCases(p: PlanInput, backend: string): PlannedCase[] {
  const ck = p.checkpoint;
  if (p.cases?.length === 1 && p.cases[0] === 'none') return [];
  const names = p.cases ?? (ck ? [`${ck.config.preset}-late`] : ['quick', 'thesis-early']);
  for (const c of names) if (!(c in CASES)) throw new ConfigError(`--cases: unknown case '${c}' (known: ${Object.keys(CASES).join(', ')})`);
  if (ck && !names.some((c) => CASES[c].late))
    throw new ConfigError(`--checkpoint: used by the -late cases only (${lateNames()}); none is in --cases`);
  return names.map((name) => {
    const c = CASES[name];
    if (c.late && ck) {
      if (ck.config.preset !== c.config.preset)
        throw new ConfigError(
          `--checkpoint ${ck.path}: a ${ck.config.preset} run; case ${name} needs a ${String(c.config.preset)} run's checkpoint`,
        );
      const extra = Object.keys(p.overrides).filter((k) => !(WITH_CHECKPOINT as string[]).includes(k));
      if (extra.length > 0)
        throw new ConfigError(
          `--${OPTIONS[extra[0] as keyof TrainConfig]?.flag ?? extra[0]}: not with --checkpoint (the run's settings are the checkpoint's; only --data may be given)`,
        );
      const cfg: TrainConfig = { ...ck.config, ...p.overrides, ...BENCH_FIELDS, backend: backend as TrainConfig['backend'] };
      return { name, cfg, checkpoint: ck, from: p.fromIteration ?? ck.meta.iteration + AFTER_CHECKPOINT, iters: p.iters };
    }
    const cfg = resolveConfig({ ...c.config, ...p.overrides, ...BENCH_FIELDS, backend });
    return { name, cfg, checkpoint: null, from: p.fromIteration ?? c.from, iters: p.iters };
  });
}

function lateNames(): string {
  return Object.keys(CASES)
    .filter((c) => CASES[c].late)
    .join(', ');
}
