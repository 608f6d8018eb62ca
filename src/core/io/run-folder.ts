/** The run folder: config.json, metrics.jsonl, checkpoint.trf, renders/, summary.json. */
import { RunFolderError } from '../errors';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config';
import { appendFile, removeStaleTemps, writeFileAtomic } from './atomic';

export const CHECKPOINT_FILE = 'checkpoint.trf';

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EFBIG: 'file too large',
};

/**
 * "no space left on device (ENOSPC) writing runs/x/checkpoint.trf" for a file-system error
 * (an Error with an errno code), null for anything else.
 */
export function describeWriteError(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const err = e as NodeJS.ErrnoException;
  if (typeof err.code !== 'string' || !/^E[A-Z]+$/.test(err.code)) return null;
  const what = ERRNO_TEXT[err.code] ?? err.message.split('\n')[0];
  return `${what} (${err.code}) writing ${err.path ?? 'an output file'}`;
}

/** UTC time as YYYYMMDD-HHMMSS, for folder names. */
export function runStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function defaultRunName(cfg: TrainConfig, now = new Date()): string {
  return `${cfg.decoder}-${cfg.preset}-${runStamp(now)}`;
}

export class RunFolder {
  constructor(readonly dir: string) {}

  /** Creates the folder; refuses a non-empty existing one so nothing saved is overwritten. */
  static create(dir: string): RunFolder {
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new RunFolderError(`--out ${dir}: folder exists and is not empty; choose another --out (nothing was overwritten)`);
    }
    mkdirSync(join(dir, 'renders'), { recursive: true });
    return new RunFolder(dir);
  }

  /**
   * An existing run folder, to continue (resume) it: removes temporary files that a killed
   * process left there.
   */
  static open(dir: string): RunFolder {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RunFolderError(`--resume ${dir}: no such run folder`);
    removeStaleTemps(dir);
    dropPartialLine(join(dir, 'metrics.jsonl'));
    mkdirSync(join(dir, 'renders'), { recursive: true });
    removeStaleTemps(join(dir, 'renders'));
    return new RunFolder(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.path(name), [JSON.stringify(value, null, 2) + '\n']);
  }

  appendMetric(record: unknown): void {
    appendFile(this.path('metrics.jsonl'), JSON.stringify(record) + '\n');
  }
}

/** Where createRunFolder puts a run: its name and folder. */
export function runFolderName(cfg: TrainConfig, runsDir = 'runs'): { name: string; dir: string } {
  const name = cfg.name || defaultRunName(cfg);
  return { name, dir: cfg.out || join(runsDir, name) };
}

/**
 * A new run's folder: `cfg.out`, or `<runsDir>/<cfg.name or the default name>`, created (refused
 * when not empty) with the resolved config written to config.json. Returns the config as saved
 * (name and out filled in), which is the one to train with.
 */
export function createRunFolder(cfg: TrainConfig, runsDir = 'runs'): { run: RunFolder; cfg: TrainConfig } {
  const { name, dir } = runFolderName(cfg, runsDir);
  const run = RunFolder.create(dir);
  const saved: TrainConfig = { ...cfg, name, out: run.dir };
  run.writeJson('config.json', saved);
  return { run, cfg: saved };
}

/** One point of a run's curves: train PSNR per recorded step, test PSNR per evaluation. */
export interface HistoryPoint {
  iteration: number;
  trainPSNR?: number;
  testPSNR?: number;
}

/** The curves of a run folder, read from its metrics.jsonl (lines cut by a crash are skipped). */
export function readHistory(dir: string): HistoryPoint[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const points: HistoryPoint[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    if (r.type === 'step' && typeof r.iteration === 'number' && typeof r.trainPSNR === 'number') points.push({ iteration: r.iteration, trainPSNR: r.trainPSNR });
    if (r.type === 'eval' && typeof r.iteration === 'number' && typeof r.testPSNR === 'number') points.push({ iteration: r.iteration, testPSNR: r.testPSNR });
  }
  return points;
}

/** Cuts an unfinished last line (a write cut short by a kill or a full disk) off a JSON-lines file. */
function dropPartialLine(path: string): void {
  if (!existsSync(path)) return;
  const bytes = readFileSync(path);
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
  truncateSync(path, bytes.lastIndexOf(0x0a) + 1);
}
