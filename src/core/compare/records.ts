/** Reading a comparison folder: compare.json (the plan) and each run folder as a RunRecord. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config';
import type { CurvePoint, RunRecord } from './report';
import { renderFileView } from '../io/render-files';

export const PLAN_FILE = 'compare.json';

export interface PlannedRun {
  /** Run folder name inside the comparison folder. */
  label: string;
  /** The decoder entry's label. */
  entry: string;
  seed: number;
}

export interface ComparePlan {
  version: 1;
  created: string;
  /** `--decoders` entries as parsed. */
  entries: { entry: string; label: string; decoder: string; options: Record<string, string>; overrides: Partial<TrainConfig> }[];
  seeds: number[];
  /** The shared config (decoder fields as resolved without an entry's overrides). */
  config: TrainConfig;
  runs: PlannedRun[];
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Whether the run folder holds a summary.json with complete: true. */
export function runComplete(dir: string): boolean {
  const s = readJson(join(dir, 'summary.json')) as { complete?: unknown } | null;
  return s !== null && s.complete === true;
}

/** The 'eval' events of a metrics.jsonl text as a curve (later duplicates of an iteration win). */
export function evalCurve(metricsText: string): CurvePoint[] {
  const byIt = new Map<number, number>();
  for (const line of metricsText.split('\n')) {
    if (!line.trim()) continue;
    let e: { type?: string; iteration?: number; testPSNR?: number };
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (e.type === 'eval' && typeof e.iteration === 'number' && typeof e.testPSNR === 'number' && Number.isFinite(e.testPSNR))
      byIt.set(e.iteration, e.testPSNR);
  }
  return [...byIt.entries()].sort((a, b) => a[0] - b[0]).map(([iteration, testPSNR]) => ({ iteration, testPSNR }));
}

/** Reads one planned run's folder; a missing folder or file gives a record with null/empty parts. */
export function readRunRecord(compareDir: string, run: PlannedRun, plan: ComparePlan): RunRecord {
  const dir = join(compareDir, run.label);
  const entry = plan.entries.find((e) => e.label === run.entry);
  const summary = readJson(join(dir, 'summary.json')) as RunRecord['summary'];
  const metrics = existsSync(join(dir, 'metrics.jsonl')) ? readFileSync(join(dir, 'metrics.jsonl'), 'utf8') : '';
  const rdir = join(dir, 'renders');
  const renders = existsSync(rdir)
    ? readdirSync(rdir)
        .map((f) => ({ view: renderFileView(f), path: join(rdir, f) }))
        .filter((r): r is { view: number; path: string } => r.view !== null)
        .sort((a, b) => a.view - b.view)
    : [];
  return {
    label: run.label,
    entry: run.entry,
    decoder: entry?.decoder ?? summary?.decoder ?? '?',
    options: entry?.options ?? {},
    seed: run.seed,
    summary: summary && typeof summary === 'object' ? summary : null,
    curve: evalCurve(metrics),
    renders,
  };
}
