/** The run folder: config.json, metrics.jsonl, checkpoint.trf, renders/, summary.json. */
import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config';
import { writeFileAtomic } from './atomic';

export const CHECKPOINT_FILE = 'checkpoint.trf';

export class RunFolderError extends Error {
  override name = 'RunFolderError';
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

  path(name: string): string {
    return join(this.dir, name);
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.path(name), [JSON.stringify(value, null, 2) + '\n']);
  }

  appendMetric(record: unknown): void {
    appendFileSync(this.path('metrics.jsonl'), JSON.stringify(record) + '\n');
  }
}
