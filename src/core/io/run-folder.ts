/** The run folder: config.json, metrics.jsonl, checkpoint.trf, renders/, summary.json. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config';
import { appendFile, removeStaleTemps, writeFileAtomic } from './atomic';

export const CHECKPOINT_FILE = 'checkpoint.trf';

export class RunFolderError extends Error {
  override name = 'RunFolderError';
}

/** An output could not be written (full disk, I/O error, ...); the message is one line. */
export class OutputWriteError extends Error {
  override name = 'OutputWriteError';
}

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

/** Cuts an unfinished last line (a write cut short by a kill or a full disk) off a JSON-lines file. */
function dropPartialLine(path: string): void {
  if (!existsSync(path)) return;
  const bytes = readFileSync(path);
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
  truncateSync(path, bytes.lastIndexOf(0x0a) + 1);
}
