/**
 * The run driver (src/core/run/train-run.ts) around stops and resumes, in process on synthetic rays
 * and views:
 * - a stop during the final evaluation (it used to be ignored: the evaluation finished, exit 0)
 *   stops after the current view with the checkpoint and a partial summary; resuming it only
 *   evaluates, without training or rewriting the checkpoint;
 * - resuming from an older checkpoint cuts metrics.jsonl back to it, so no step, evaluation or
 *   checkpoint is recorded twice (the app's history showed them twice);
 * - an `iterations` in config.json edited below the checkpoint is blamed on config.json, not on
 *   the --iterations flag;
 * - a run killed before its first checkpoint is started again in place (`--out` again, or
 *   `--resume`), where it used to be a dead end;
 * - the run folder is locked while a run trains in it, and released when the run ends.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import type { TrainConfig } from '../../../src/core/config';
import { ConfigError, RunFolderError } from '../../../src/core/errors';
import { CHECKPOINT_FILE, checkRunTarget, createRunFolder, readHistory, restartable, RunFolder } from '../../../src/core/io/run-folder';
import { LOCK_FILE } from '../../../src/core/io/run-lock';
import { truncateToCheckpoint } from '../../../src/core/run/metrics-log';
import { planResume } from '../../../src/core/run/resume-plan';
import type { RunData } from '../../../src/core/run/scene-data';
import { trainRun, type RunOptions } from '../../../src/core/run/train-run';
import type { TrainEvent } from '../../../src/core/train/events';
import type { Trainer } from '../../../src/core/train/trainer';
import { readTrainerCheckpoint } from '../../../src/core/train/trainer-checkpoint';
import { tempDir } from '../data/scene-fixture';
import { randomPool, randomViews, tinyConfig } from '../train/synthetic';

const tmp = tempDir('train-run-resume');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});

const BACKEND = { name: 'cpu', reason: 'test' };
const DATA: RunData = { train: randomPool(256, 2), test: randomViews(4), testCount: 4, evalIds: [0, 1, 2, 3] };

function config(name: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return tinyConfig({ checkpointEvery: 0, chunk: 64, out: join(tmp, name), ...over });
}

async function train(
  cfg: TrainConfig,
  run: RunFolder,
  onEvent: (e: TrainEvent, t: Trainer) => void = () => {},
  extra: Partial<RunOptions> = {},
) {
  const events: TrainEvent[] = [];
  const outcome = await trainRun(cfg, run, DATA, BACKEND, {
    onEvent: (e, t) => {
      events.push(e);
      onEvent(e, t);
    },
    ...extra,
  });
  return { outcome, events };
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; iteration?: number });

describe('a stop during the final evaluation', () => {
  it('stops after the current view with the checkpoint and a partial summary; --resume then only evaluates', async () => {
    const { run, cfg } = createRunFolder(config('stop-eval'));
    const first = await train(cfg, run, (e, t) => {
      if (e.type === 'view' && e.done === 1) t.control.stopRequested = true; // Ctrl-C, SIGTERM or the app's Stop
    });
    expect(first.outcome).toBe('stopped');
    expect(first.events.filter((e) => e.type === 'view')).toHaveLength(1);
    expect(first.events.at(-1)).toEqual({ type: 'stopped', iteration: 6, checkpoint: run.path(CHECKPOINT_FILE), phase: 'evaluation' });
    expect(first.events.some((e) => e.type === 'done')).toBe(false);
    expect(json(run.path('summary.json'))).toMatchObject({
      complete: false,
      stoppedAt: 6,
      stoppedDuring: 'evaluation',
      viewsEvaluated: 1,
      viewsToEvaluate: 4,
    });
    // renders/index.json says which views the stopped evaluation scored
    const firstView = first.events.find((e) => e.type === 'view') as Extract<TrainEvent, { type: 'view' }>;
    expect(json(run.path('renders/index.json'))).toMatchObject({
      iteration: 6,
      complete: false,
      views: [{ view: firstView.view, psnr: firstView.psnr }],
    });
    const ckpt = run.path(CHECKPOINT_FILE);
    expect(readTrainerCheckpoint(ckpt).meta.iteration).toBe(6);
    expect(existsSync(join(run.dir, LOCK_FILE))).toBe(false); // released when the run ended
    const bytes = readFileSync(ckpt);
    const mtime = statSync(ckpt).mtimeMs;

    const plan = planResume(run.dir, {});
    expect(plan).toMatchObject({ complete: false, evaluateOnly: true, restart: false });
    const again = await train(plan.cfg, RunFolder.open(run.dir), () => {}, { resume: plan.ckpt! });
    expect(again.outcome).toBe('complete');
    expect(again.events.map((e) => e.type)).toEqual(['resumed', 'evaluating', 'view', 'view', 'view', 'view', 'eval', 'done']);
    expect(readFileSync(ckpt).equals(bytes)).toBe(true);
    expect(statSync(ckpt).mtimeMs).toBe(mtime); // not rewritten
    expect(json(run.path('summary.json'))).toMatchObject({ complete: true, iterations: 6, evalViews: 4 });
    const index = json(run.path('renders/index.json'));
    expect(index).toMatchObject({ iteration: 6, complete: true, meanPSNR: expect.closeTo(json(run.path('summary.json')).testPSNR, 9) });
    expect(index.views).toHaveLength(4);
    expect(readdirSync(run.path('renders')).sort()).toEqual(['index.json', ...index.views.map((v: { file: string }) => v.file)].sort());
    // the partial evaluation and its stop were cut from the record: one evaluation, four views
    const m = metrics(run.dir);
    expect(m.map((r) => r.type)).toEqual([
      'started',
      'step',
      'checkpoint',
      'resumed',
      'evaluating',
      'view',
      'view',
      'view',
      'view',
      'eval',
      'done',
    ]);
  });

  it('a stop that arrives with the last view finishes the run', async () => {
    const { run, cfg } = createRunFolder(config('stop-last'));
    const r = await train(cfg, run, (e, t) => {
      if (e.type === 'view' && e.done === 4) t.control.stopRequested = true;
    });
    expect(r.outcome).toBe('complete');
    expect(json(run.path('summary.json')).complete).toBe(true);
  });
});

describe('resuming from an older checkpoint', () => {
  it('cuts metrics.jsonl back to that checkpoint: every step, evaluation and checkpoint is recorded once', async () => {
    const { run, cfg } = createRunFolder(config('older', { iterations: 30, checkpointEvery: 10, visEvery: 10, visViews: 2 }));
    const older = join(tmp, 'checkpoint-10.trf');
    await train(cfg, run, (e, t) => {
      if (e.type === 'checkpoint' && e.iteration === 10) copyFileSync(e.path, older);
      if (e.type === 'step' && e.iteration === 25) t.control.stopRequested = true;
    });
    expect(
      metrics(run.dir)
        .filter((r) => r.type === 'step')
        .map((r) => r.iteration),
    ).toEqual([10, 20]);
    copyFileSync(older, run.path(CHECKPOINT_FILE)); // e.g. the newer checkpoint was lost; resume from 10
    const plan = planResume(run.dir, {});
    expect(plan.ckpt!.meta.iteration).toBe(10);
    const r = await train(plan.cfg, RunFolder.open(run.dir), () => {}, { resume: plan.ckpt! });
    expect(r.outcome).toBe('complete');
    const m = metrics(run.dir);
    const its = (type: string) => m.filter((x) => x.type === type).map((x) => x.iteration);
    expect(its('step')).toEqual([10, 20, 30]);
    expect(its('eval')).toEqual([10, 20, 30]); // two running, then the final one
    expect(its('checkpoint')).toEqual([10, 20, 30]);
    expect(its('resumed')).toEqual([10]);
    expect(m.filter((x) => x.type === 'stopped')).toEqual([]);
    const history = readHistory(run.dir);
    expect(history.map((p) => `${p.iteration}${p.trainPSNR === undefined ? 'e' : 's'}`)).toEqual([
      '10s',
      '10e',
      '20s',
      '20e',
      '30s',
      '30e',
    ]);
  });

  it('truncateToCheckpoint: after the last record of the checkpoint, else before the first later record', () => {
    const file = join(tmp, 'metrics-cut.jsonl');
    const rec = (type: string, iteration?: number) => JSON.stringify(iteration === undefined ? { type } : { type, iteration });
    const write = (...l: string[]) => writeFileSync(file, l.map((x) => `${x}\n`).join(''));
    const read = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);
    write(rec('started'), rec('step', 10), rec('checkpoint', 10), rec('step', 20), rec('checkpoint', 20), rec('step', 30), rec('error'));
    expect(truncateToCheckpoint(file, 20)).toBe(2);
    expect(read()).toEqual([rec('started'), rec('step', 10), rec('checkpoint', 10), rec('step', 20), rec('checkpoint', 20)]);
    // killed between writing checkpoint 30 and logging it: nothing after it to cut
    expect(truncateToCheckpoint(file, 30)).toBe(0);
    // no record of checkpoint 15 (never logged): cut before the first record after 15
    expect(truncateToCheckpoint(file, 15)).toBe(2);
    expect(read()).toEqual([rec('started'), rec('step', 10), rec('checkpoint', 10)]);
    expect(truncateToCheckpoint(join(tmp, 'none.jsonl'), 3)).toBe(0);
  });

  it('readHistory counts a record logged twice for one iteration once (folders written before the cut)', () => {
    const dir = join(tmp, 'history-dup');
    mkdirSync(dir, { recursive: true });
    const l = [
      { type: 'step', iteration: 10, trainPSNR: 11 },
      { type: 'step', iteration: 20, trainPSNR: 12 },
      { type: 'eval', iteration: 20, testPSNR: 13 },
      { type: 'resumed', iteration: 10 },
      { type: 'step', iteration: 20, trainPSNR: 12.5 },
      { type: 'eval', iteration: 20, testPSNR: 13.5 },
    ];
    writeFileSync(join(dir, 'metrics.jsonl'), l.map((x) => `${JSON.stringify(x)}\n`).join(''));
    expect(readHistory(dir)).toEqual([
      { iteration: 10, trainPSNR: 11 },
      { iteration: 20, trainPSNR: 12.5 },
      { iteration: 20, testPSNR: 13.5 },
    ]);
  });
});

describe('resume plans', () => {
  it('a hand-edited iterations in config.json below the checkpoint names config.json, not --iterations', async () => {
    const { run, cfg } = createRunFolder(config('edited'));
    await train(cfg, run, (e, t) => {
      if (e.type === 'step' && e.iteration === 4) t.control.stopRequested = true;
    });
    const cfgPath = run.path('config.json');
    writeFileSync(cfgPath, JSON.stringify({ ...json(cfgPath), iterations: 2 }));
    expect(() => planResume(run.dir, {})).toThrow(ConfigError);
    expect(() => planResume(run.dir, {})).toThrow(
      `${cfgPath}: iterations 2 is below the iteration of ${run.path(CHECKPOINT_FILE)} (4); was config.json edited? Put back its iterations, or give --iterations N with N >= 4`,
    );
    expect(() => planResume(run.dir, { iterations: 3 })).toThrow('--iterations 3: the checkpoint is at iteration 4 already');
    expect(planResume(run.dir, { iterations: 8 }).cfg.iterations).toBe(8);
  });
});

describe('a run killed before its first checkpoint', () => {
  /** What such a kill leaves: config.json, a few metrics lines, a render, a temporary file; no checkpoint, no summary. */
  function killedEarly(name: string): TrainConfig {
    const cfg = config(name);
    mkdirSync(join(cfg.out, 'renders'), { recursive: true });
    writeFileSync(join(cfg.out, 'config.json'), JSON.stringify({ ...cfg, name }));
    writeFileSync(join(cfg.out, 'metrics.jsonl'), '{"type":"started"}\n{"type":"step","iteration":10}\n');
    writeFileSync(join(cfg.out, 'renders', 'test_000.png'), 'x');
    writeFileSync(join(cfg.out, 'checkpoint.trf.999999.tmp'), 'partial');
    return { ...cfg, name };
  }

  it('is restartable: --out names it again and it trains from the start in place', async () => {
    const cfg = killedEarly('killed-out');
    expect(restartable(cfg.out)).toBe(true);
    expect(checkRunTarget(cfg.out, { allowRestart: true })).toBe('restart');
    expect(() => checkRunTarget(cfg.out)).toThrow('folder exists and is not empty'); // without allowRestart (compare's --out)
    const made = createRunFolder(cfg);
    expect(made.restarted).toBe(true);
    expect(readdirSync(cfg.out).sort()).toEqual([LOCK_FILE, 'config.json', 'renders'].sort());
    expect(readdirSync(join(cfg.out, 'renders'))).toEqual([]);
    const r = await train(made.cfg, made.run);
    expect(r.outcome).toBe('complete');
    expect(metrics(cfg.out).filter((m) => m.type === 'started')).toHaveLength(1);
  });

  it('--resume restarts it from iteration 0 with its config.json', async () => {
    const cfg = killedEarly('killed-resume');
    const plan = planResume(cfg.out, { iterations: 5 });
    expect(plan).toMatchObject({ restart: true, ckpt: null, complete: false, evaluateOnly: false, extended: true });
    expect(plan.cfg.iterations).toBe(5);
    const r = await train(plan.cfg, RunFolder.restart(cfg.out));
    expect(r.outcome).toBe('complete');
    expect(r.events[0].type).toBe('started');
    expect(json(join(cfg.out, 'summary.json'))).toMatchObject({ complete: true, iterations: 5 });
  });

  it('is not restartable with files a run does not write, with a summary, or without config.json', () => {
    const a = killedEarly('killed-foreign');
    writeFileSync(join(a.out, 'notes.txt'), 'mine');
    expect(restartable(a.out)).toBe(false);
    expect(() => checkRunTarget(a.out, { allowRestart: true })).toThrow(
      `--out ${a.out}: folder exists and is not empty; choose another --out (nothing was overwritten)`,
    );
    expect(() => planResume(a.out, {})).toThrow('holds files a run does not write');
    expect(() => RunFolder.restart(a.out)).toThrow(RunFolderError);
    expect(readFileSync(join(a.out, 'notes.txt'), 'utf8')).toBe('mine');
    const b = killedEarly('killed-failed');
    writeFileSync(join(b.out, 'summary.json'), JSON.stringify({ complete: false, error: 'iteration 3: loss is NaN' }));
    expect(restartable(b.out)).toBe(false);
    expect(() => planResume(b.out, {})).toThrow(
      /no checkpoint; the run ended before writing one \(.*summary\.json: iteration 3: loss is NaN\)/,
    );
    expect(() => checkRunTarget(b.out, { allowRestart: true })).toThrow('holds a run that failed before writing a checkpoint');
  });
});

describe('the run folder lock', () => {
  it('is held from RunFolder.create until the run ends; a second open meanwhile is refused naming the process', async () => {
    const cfg = config('locked');
    const { run } = createRunFolder(cfg);
    const lock = json(join(run.dir, LOCK_FILE));
    expect(lock).toMatchObject({ pid: process.pid, what: 'train' });
    expect(() => RunFolder.open(run.dir)).toThrow(RunFolderError);
    expect(() => RunFolder.open(run.dir)).toThrow(
      `${run.dir}: in use by process ${process.pid} (train, since ${lock.since}, this process)`,
    );
    expect(() => checkRunTarget(run.dir)).toThrow(`in use by process ${process.pid}`);
    let during = false;
    await train(cfg, run, (e) => {
      if (e.type === 'step') during = existsSync(join(run.dir, LOCK_FILE));
    });
    expect(during).toBe(true);
    expect(existsSync(join(run.dir, LOCK_FILE))).toBe(false);
    RunFolder.open(run.dir).close(); // free again
  });
});
