/** The run folder: config.json, metrics.jsonl, checkpoint.trf, renders/, summary.json. */
import { RunFolderError } from '../errors';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TrainConfig } from '../config';
import { appendFile, removeStaleTemps, writeFileAtomic } from './atomic';
import { LOCK_FILE, lockedMessage, lockFolder, lockHolder, type RunLock } from './run-lock';
import { RENDERS_INDEX, renderFileView } from './render-files';

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
  constructor(
    readonly dir: string,
    private lock: RunLock | null = null,
  ) {}

  /**
   * Creates the folder and takes its lock (run-lock.ts) for `what`; refuses a non-empty existing
   * one so nothing saved is overwritten.
   */
  static create(dir: string, what = 'train'): RunFolder {
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new RunFolderError(`--out ${dir}: folder exists and is not empty; choose another --out (nothing was overwritten)`);
    }
    try {
      mkdirSync(join(dir, 'renders'), { recursive: true });
    } catch (e) {
      throw new RunFolderError(`--out ${dir}: ${describeFsError(e, 'creating')}; choose another --out`);
    }
    return new RunFolder(dir, lockFolder(dir, what));
  }

  /**
   * An existing run folder, to continue (resume) it: takes its lock for `what`, then removes
   * temporary files that a killed process left there.
   */
  static open(dir: string, what = 'resume'): RunFolder {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RunFolderError(`--resume ${dir}: no such run folder`);
    const lock = lockFolder(dir, what);
    try {
      removeStaleTemps(dir);
      dropPartialLine(join(dir, 'metrics.jsonl'));
      mkdirSync(join(dir, 'renders'), { recursive: true });
      removeStaleTemps(join(dir, 'renders'));
    } catch (e) {
      lock.release();
      throw e;
    }
    return new RunFolder(dir, lock);
  }

  /**
   * A run folder left by a run that ended before its first checkpoint (see `restartable`), to
   * train it again from the start in place: takes its lock, then removes its metrics.jsonl,
   * renders and temporary files (config.json stays until the caller writes the new one).
   */
  static restart(dir: string, what = 'train'): RunFolder {
    const lock = lockFolder(dir, what);
    try {
      if (!restartable(dir)) throw new RunFolderError(`${dir}: not a run folder stopped before its first checkpoint; nothing was changed`);
      for (const name of readdirSync(dir))
        if (name !== 'config.json' && name !== LOCK_FILE) rmSync(join(dir, name), { recursive: true, force: true });
      mkdirSync(join(dir, 'renders'), { recursive: true });
    } catch (e) {
      lock.release();
      throw e;
    }
    return new RunFolder(dir, lock);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.path(name), [`${JSON.stringify(value, null, 2)}\n`]);
  }

  appendMetric(record: unknown): void {
    appendFile(this.path('metrics.jsonl'), `${JSON.stringify(record)}\n`);
  }

  /** Releases the folder's lock (idempotent); the run driver does this when a run ends. */
  close(): void {
    this.lock?.release();
    this.lock = null;
  }
}

/** What a run writes in its folder (besides temporary files). */
const RUN_FILES = new Set(['config.json', 'metrics.jsonl', 'renders', CHECKPOINT_FILE, 'summary.json', LOCK_FILE]);
const isTemp = (name: string) => /\.\d+\.tmp$/.test(name);

/**
 * A run folder whose run ended before its first checkpoint (killed, or its process crashed): a
 * config.json, no checkpoint.trf and no summary.json, and nothing a run does not write. It holds
 * nothing worth keeping, so it may be started again in place.
 */
export function restartable(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  if (!names.includes('config.json') || names.includes(CHECKPOINT_FILE) || names.includes('summary.json')) return false;
  if (!names.every((n) => RUN_FILES.has(n) || isTemp(n))) return false;
  if (!names.includes('renders')) return true;
  try {
    return readdirSync(join(dir, 'renders')).every((n) => renderFileView(n) !== null || n === RENDERS_INDEX || isTemp(n));
  } catch {
    return false;
  }
}

/** "permission denied (EACCES) creating runs/x" for a file-system error. */
function describeFsError(e: unknown, doing: string): string {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : null;
  if (!code) return (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return `${ERRNO_TEXT[code] ?? ERRNO_TEXT_MORE[code] ?? code.toLowerCase()} (${code}) ${doing} ${err.path ?? 'it'}`;
}

const ERRNO_TEXT_MORE: Record<string, string> = {
  ENOTDIR: 'not a folder',
  EEXIST: 'already exists',
  ENOENT: 'no such file or folder',
  ENAMETOOLONG: 'name too long',
};

/**
 * Checks a new run's folder (`--out`, or the default under runs/) before anything is loaded, so a
 * bad one stops at once with one line (RunFolderError, exit 2) and nothing is written:
 * - a file, or a path through a file: refused;
 * - a folder that another process trains in (its lock): refused, naming the process;
 * - a folder that is not empty: refused, saying what it holds (a finished run, a run `--resume`
 *   continues, a comparison); except, with `allowRestart`, a run that ended before its first
 *   checkpoint (`restartable`), which is started again in place: returns 'restart';
 * - a folder that cannot be created or written (read-only, permissions): refused, found by creating
 *   and removing a folder in the nearest existing parent.
 * `flag` names the option in messages.
 */
export function checkRunTarget(dir: string, opts: { allowRestart?: boolean; flag?: string } = {}): 'new' | 'restart' {
  const label = `${opts.flag ?? '--out'} ${dir}`;
  const another = `choose another ${opts.flag ?? '--out'} (nothing was overwritten)`;
  let restart = false;
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new RunFolderError(`${label}: a file, not a folder; ${another}`);
    const names = readdirSync(dir);
    if (names.length > 0) {
      const holder = lockHolder(dir);
      if (holder) throw new RunFolderError(lockedMessage(dir, holder));
      if (names.includes('compare.json'))
        throw new RunFolderError(`${label}: already holds a comparison; use --resume ${dir} or another ${opts.flag ?? '--out'}`);
      if (names.includes('summary.json')) {
        const summary = readJsonOrNull(join(dir, 'summary.json')) as { complete?: unknown; stoppedAt?: unknown } | null;
        if (summary?.complete === true) throw new RunFolderError(`${label}: holds a finished run (summary.json says complete); ${another}`);
        if (names.includes(CHECKPOINT_FILE)) {
          const at = typeof summary?.stoppedAt === 'number' ? ` at iteration ${summary.stoppedAt}` : '';
          throw new RunFolderError(
            `${label}: holds a run that stopped${at} with a checkpoint; continue it with --resume ${dir}, or ${another}`,
          );
        }
        if (summary !== null)
          throw new RunFolderError(`${label}: holds a run that failed before writing a checkpoint (summary.json); ${another}`);
      } else if (names.includes(CHECKPOINT_FILE)) {
        throw new RunFolderError(`${label}: holds an interrupted run with a checkpoint; continue it with --resume ${dir}, or ${another}`);
      }
      if (!(opts.allowRestart && restartable(dir))) throw new RunFolderError(`${label}: folder exists and is not empty; ${another}`);
      restart = true;
    }
    probeWritable(dir, label);
    return restart ? 'restart' : 'new';
  }
  let parent = dirname(dir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (!statSync(parent).isDirectory()) throw new RunFolderError(`${label}: ${parent} is a file, not a folder; ${another}`);
  probeWritable(parent, label);
  return 'new';
}

/** Creates and removes a folder in `dir`: the one check of writability that holds for root and read-only mounts too. */
function probeWritable(dir: string, label: string): void {
  const probe = join(dir, `.tensorf-probe-${process.pid}`);
  try {
    mkdirSync(probe);
  } catch (e) {
    const code = String((e as NodeJS.ErrnoException).code ?? 'error');
    throw new RunFolderError(
      `${label}: cannot create folders in ${dir} (${ERRNO_TEXT[code] ?? ERRNO_TEXT_MORE[code] ?? code}, ${code}); choose another --out`,
    );
  }
  rmSync(probe, { recursive: true, force: true });
}

function readJsonOrNull(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Where createRunFolder puts a run: its name and folder. */
export function runFolderName(cfg: TrainConfig, runsDir = 'runs'): { name: string; dir: string } {
  const name = cfg.name || defaultRunName(cfg);
  return { name, dir: cfg.out || join(runsDir, name) };
}

/**
 * A new run's folder: `cfg.out`, or `<runsDir>/<cfg.name or the default name>`, created (refused
 * when not empty, see checkRunTarget) and locked, with the resolved config written to config.json;
 * a run folder whose run ended before its first checkpoint is started again in place
 * (`restarted`). Returns the config as saved (name and out filled in), which is the one to train with.
 */
export function createRunFolder(
  cfg: TrainConfig,
  runsDir = 'runs',
  what = 'train',
): { run: RunFolder; cfg: TrainConfig; restarted: boolean } {
  const { name, dir } = runFolderName(cfg, runsDir);
  const restarted = checkRunTarget(dir, { allowRestart: true }) === 'restart';
  const run = restarted ? RunFolder.restart(dir, what) : RunFolder.create(dir, what);
  const saved: TrainConfig = { ...cfg, name, out: run.dir };
  try {
    run.writeJson('config.json', saved);
  } catch (e) {
    run.close();
    throw e;
  }
  return { run, cfg: saved, restarted };
}

/** The line a front end says when createRunFolder started a run again in place. */
export function restartNote(dir: string): string {
  return `${dir}: its run ended before writing a checkpoint (no ${CHECKPOINT_FILE}, no summary.json); starting it again in place`;
}

/** One point of a run's curves: train PSNR per recorded step, test PSNR per evaluation. */
export interface HistoryPoint {
  iteration: number;
  /** A step's. */
  trainPSNR?: number;
  loss?: number;
  /** An evaluation's: the test PSNR, whether it was the final one (all views) or a running one, and on how many views. */
  testPSNR?: number;
  final?: boolean;
  views?: number;
}

/**
 * The curves of a run folder, read from its metrics.jsonl (lines cut by a crash are skipped). A
 * record logged twice for one iteration (a folder resumed from an older checkpoint before resuming
 * cut metrics.jsonl back to it) counts once: the later one.
 */
export function readHistory(dir: string): HistoryPoint[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const train = new Map<number, HistoryPoint>();
  const test = new Map<string, HistoryPoint>(); // by iteration and kind: a running and the final evaluation may share one
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof r.iteration !== 'number') continue;
    if (r.type === 'step' && typeof r.trainPSNR === 'number')
      train.set(r.iteration, { iteration: r.iteration, trainPSNR: r.trainPSNR, ...(typeof r.loss === 'number' ? { loss: r.loss } : {}) });
    if (r.type === 'eval' && typeof r.testPSNR === 'number') {
      const p: HistoryPoint = { iteration: r.iteration, testPSNR: r.testPSNR };
      if (typeof r.final === 'boolean') p.final = r.final;
      if (typeof r.views === 'number') p.views = r.views;
      test.set(`${r.iteration}:${p.final}`, p);
    }
  }
  const points: HistoryPoint[] = [...train.values(), ...test.values()];
  return points.sort((a, b) => a.iteration - b.iteration); // stable: a step before the evaluation of its iteration
}

/** Cuts an unfinished last line (a write cut short by a kill or a full disk) off a JSON-lines file. */
function dropPartialLine(path: string): void {
  if (!existsSync(path)) return;
  const bytes = readFileSync(path);
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
  truncateSync(path, bytes.lastIndexOf(0x0a) + 1);
}
