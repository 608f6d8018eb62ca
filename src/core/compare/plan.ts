/**
 * A comparison folder's plan (compare.json) and reports, shared by `npm run compare` and the app's
 * compare view: a comparison started in the app can be finished with `npm run compare -- --resume`.
 */
import { ConfigError } from '../errors';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SEED, resolveConfig, type TrainConfig } from '../config';
import { writeFileAtomic } from '../io/atomic';
import { runLabel, type DecoderSpec } from './decoder-spec';
import { PLAN_FILE, readRunRecord, type ComparePlan } from './records';
import { buildReport, reportHtml, reportMarkdown } from './report';

/** The seeds of `seedsN` runs per entry: seed, seed+1, ...; all of them must be valid seeds. */
export function planSeeds(seed: number, seedsN: number): number[] {
  if (seed + seedsN - 1 > MAX_SEED)
    throw new ConfigError(`--seeds ${seedsN}: seeds ${seed}..${seed + seedsN - 1} go past the largest seed ${MAX_SEED}; lower --seed`);
  return Array.from({ length: seedsN }, (_, i) => seed + i);
}

/** The plan for `specs` x `seedsN` seeds (cfg.seed, cfg.seed+1, ...) in comparison folder `dir`. */
export function newPlan(specs: DecoderSpec[], cfg: TrainConfig, seedsN: number, dir: string): ComparePlan {
  const seeds = planSeeds(cfg.seed, seedsN);
  return {
    version: 1,
    created: new Date().toISOString(),
    entries: specs.map((s) => ({ entry: s.entry, label: s.label, decoder: s.decoder, options: s.options, overrides: s.overrides })),
    seeds,
    config: { ...cfg, out: dir, name: '' },
    runs: specs.flatMap((s) => seeds.map((seed) => ({ label: runLabel(s, seed, seedsN > 1), entry: s.label, seed }))),
  };
}

/** Creates `dir` and writes compare.json into it. */
export function writePlan(dir: string, plan: ComparePlan): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, PLAN_FILE), [`${JSON.stringify(plan, null, 2)}\n`]);
}

/** Reads and validates `dir`/compare.json; errors start with `where` (e.g. '--resume '). */
export function readPlan(dir: string, where = ''): ComparePlan {
  const path = join(dir, PLAN_FILE);
  if (!existsSync(path)) throw new ConfigError(`${where}${dir}: no ${PLAN_FILE} there`);
  let plan: ComparePlan;
  try {
    plan = JSON.parse(readFileSync(path, 'utf8')) as ComparePlan;
  } catch (e) {
    throw new ConfigError(`${where}${dir}: ${PLAN_FILE} is not valid JSON (${(e as Error).message})`);
  }
  if (plan.version !== 1 || !Array.isArray(plan.runs) || !Array.isArray(plan.entries))
    throw new ConfigError(`${where}${dir}: ${PLAN_FILE} is not a comparison plan`);
  plan.config = resolveConfig(plan.config as unknown as Record<string, unknown>, `${path}: config.`);
  return plan;
}

/** Writes report.json, report.md and report.html from the run folders; returns the markdown. */
export function writeReports(dir: string, plan: ComparePlan): string {
  const records = plan.runs.map((r) => readRunRecord(dir, r, plan));
  const report = buildReport(records, plan.config.preset, plan.seeds);
  const md = reportMarkdown(report);
  writeFileAtomic(join(dir, 'report.json'), [`${JSON.stringify(report, null, 2)}\n`]);
  writeFileAtomic(join(dir, 'report.md'), [md]);
  const html = reportHtml(report, records, (p) => (existsSync(p) ? readFileSync(p) : null));
  writeFileAtomic(join(dir, 'report.html'), [html]);
  return md;
}
