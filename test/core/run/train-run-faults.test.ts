/**
 * Faults during a run driven by trainRun (src/core/run/train-run.ts), in process on synthetic rays
 * with periodic checkpoints:
 * - an absurd learning rate set mid-run makes the parameters Inf: the run stops at the next
 *   checkpoint point with one line naming the iteration and the learning rates, and the last good
 *   checkpoint stays byte-identical (no Inf/NaN weights are written over it);
 * - a NaN density weight makes the loss NaN: the same, naming the loss;
 * - ENOSPC half way through a periodic checkpoint: an OutputWriteError of one line naming the file,
 *   the previous checkpoint intact, no temporary file, metrics.jsonl whole lines;
 * - EIO writing summary.json at the end of a resumed run: the summary of the stopped run is
 *   still there, the final checkpoint was written, and metrics.jsonl was appended to.
 */
import type { RunData } from '../../../src/core/run/scene-data';
import { OutputWriteError } from '../../../src/core/errors';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { trainRun, type RunOptions } from '../../../src/core/run/train-run';
import { initBackend } from '../../../src/core/backend';
import type { TrainConfig } from '../../../src/core/config';
import { fileIo } from '../../../src/core/io/atomic';
import { readTrainerCheckpoint } from '../../../src/core/train/trainer-checkpoint';
import { CHECKPOINT_FILE, RunFolder } from '../../../src/core/io/run-folder';
import type { TrainEvent } from '../../../src/core/train/events';
import type { Trainer } from '../../../src/core/train/trainer';
import { tempDir } from '../data/scene-fixture';
import { NO_VIEWS, randomPool, tinyConfig } from '../train/synthetic';

const tmp = tempDir('faults');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});
const realWrite = fileIo.write;
afterEach(() => {
  fileIo.write = realWrite;
});

const BACKEND = { name: 'cpu', reason: 'test' };
const DATA: RunData = { train: randomPool(256, 2), test: NO_VIEWS, testCount: 0, evalIds: [] };

function config(name: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return tinyConfig({ checkpointEvery: 1, out: join(tmp, name), ...over });
}

/** A fresh run folder with config.json, as train:lego makes it. */
function newRun(cfg: TrainConfig): RunFolder {
  const run = RunFolder.create(cfg.out);
  run.writeJson('config.json', cfg);
  return run;
}

async function train(cfg: TrainConfig, run: RunFolder, onEvent: (e: TrainEvent, t: Trainer) => void, extra: Partial<RunOptions> = {}) {
  const said: string[] = [];
  const outcome = await trainRun(cfg, run, DATA, BACKEND, {
    onEvent: async (e, t) => {
      if (e.type === 'error') said.push(`error: ${e.message}`);
      onEvent(e, t);
    },
    ...extra,
  });
  return { outcome, said };
}

const jsonLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const tempFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

describe('non-finite values never replace the last good checkpoint', () => {
  it('an absurd learning rate after iteration 2: Inf weights are caught at iteration 3, checkpoint 2 kept', async () => {
    const cfg = config('lr');
    const run = newRun(cfg);
    let good: Buffer | null = null;
    const { outcome, said } = await train(cfg, run, (e, t) => {
      if (e.type === 'checkpoint' && e.iteration === 2) {
        good = readFileSync(e.path);
        t.adam.lr.factors = 1e39; // beyond float32: the next Adam step writes Inf into the factors
        t.adam.lr.network = 1e39;
      }
    });
    expect(outcome).toBe('failed');
    const errors = said.filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^error: iteration 3: field\.\w+ is no longer finite \(Inf or NaN\) although the loss was; the learning rates \(--lr-factors [\d.]+e\+3[89], --lr-network [\d.]+e\+3[89]\) are the likely cause; kept the last good checkpoint .*checkpoint\.trf \(iteration 2\)$/,
    );
    const file = run.path(CHECKPOINT_FILE);
    expect(good).not.toBeNull();
    expect(readFileSync(file).equals(good!)).toBe(true);
    const ckpt = readTrainerCheckpoint(file);
    expect(ckpt.meta.iteration).toBe(2);
    for (const p of ckpt.state.params) expect(p.data.every(Number.isFinite), p.name).toBe(true);
    const summary = JSON.parse(readFileSync(run.path('summary.json'), 'utf8'));
    expect(summary).toMatchObject({ complete: false, checkpointIteration: 2, iterations: 3 });
    expect(summary.error).toMatch(/^iteration 3: /);
  });

  it('a NaN density weight after iteration 4: the loss of step 5 is NaN, checkpoint 4 kept', async () => {
    const cfg = config('nan');
    const run = newRun(cfg);
    let good: Buffer | null = null;
    const { outcome, said } = await train(cfg, run, (e, t) => {
      if (e.type === 'checkpoint' && e.iteration === 4) {
        good = readFileSync(e.path);
        t.model.field.densityPlanes[0].data.fill(NaN); // NaN density: NaN colour and loss
      }
    });
    expect(outcome).toBe('failed');
    expect(said.filter((l) => l.startsWith('error:'))).toEqual([
      expect.stringMatching(
        /^error: iteration 5: loss is NaN; the learning rates \(.*\) are the likely cause; kept the last good checkpoint .*\(iteration 4\)$/,
      ),
    ]);
    expect(readFileSync(run.path(CHECKPOINT_FILE)).equals(good!)).toBe(true);
  });
});

describe('output write errors', () => {
  it('ENOSPC half way through the checkpoint at iteration 4: one line, checkpoint 2 intact, no temporary file', async () => {
    const cfg = config('enospc', { checkpointEvery: 2 });
    const run = newRun(cfg);
    const file = run.path(CHECKPOINT_FILE);
    let good: Buffer | null = null;
    let sent = 0;
    const failing = train(cfg, run, (e) => {
      if (e.type !== 'checkpoint' || e.iteration !== 2) return;
      good = readFileSync(file);
      fileIo.write = (fd, buf, off, len, target) => {
        if (target !== file) return realWrite(fd, buf, off, len, target);
        if (sent >= 3000) {
          const err = new Error('ENOSPC: no space left on device, write') as NodeJS.ErrnoException;
          err.code = 'ENOSPC';
          throw err;
        }
        const n = realWrite(fd, buf, off, Math.min(len, 3000 - sent), target);
        sent += n;
        return n;
      };
    });
    await expect(failing).rejects.toThrow(OutputWriteError);
    await expect(failing).rejects.toThrow(
      `no space left on device (ENOSPC) writing ${file}; the files written before are intact, checkpoint: checkpoint.trf (iteration 2)`,
    );
    const message = await failing.catch((e: Error) => e.message);
    expect(message).not.toContain('\n');
    expect(sent).toBe(3000); // the new checkpoint was partly written before the disk was full
    expect(readFileSync(file).equals(good!)).toBe(true);
    expect(readTrainerCheckpoint(file).meta.iteration).toBe(2);
    expect(tempFiles(run.dir)).toEqual([]);
    expect(jsonLines(run.path('metrics.jsonl')).map((m) => m.type)).toContain('checkpoint');
    expect(JSON.parse(readFileSync(run.path('config.json'), 'utf8'))).toEqual(cfg);
  });

  it('EIO writing summary.json after a resumed run: the earlier summary stays, the final checkpoint was written', async () => {
    const cfg = config('eio', { checkpointEvery: 0 });
    const run = newRun(cfg);
    const first = await train(cfg, run, (e, t) => {
      if (e.type === 'step' && e.iteration === 3) t.control.stopRequested = true;
    });
    expect(first.outcome).toBe('stopped');
    const stopped = readFileSync(run.path('summary.json'), 'utf8');
    expect(JSON.parse(stopped)).toMatchObject({ complete: false, stoppedAt: 3 });

    const resume = readTrainerCheckpoint(run.path(CHECKPOINT_FILE));
    const again = RunFolder.open(run.dir);
    const summaryPath = again.path('summary.json');
    fileIo.write = (fd, buf, off, len, target) => {
      if (target !== summaryPath) return realWrite(fd, buf, off, len, target);
      const err = new Error('EIO: i/o error, write') as NodeJS.ErrnoException;
      err.code = 'EIO';
      throw err;
    };
    const steps: number[] = [];
    const failing = train(cfg, again, (e) => void (e.type === 'step' && steps.push(e.iteration)), { resume });
    await expect(failing).rejects.toThrow(
      `input/output error (EIO) writing ${summaryPath}; the files written before are intact, checkpoint: checkpoint.trf (iteration 6)`,
    );
    expect(steps).toEqual([4, 5, 6]);
    expect(readFileSync(summaryPath, 'utf8')).toBe(stopped);
    expect(readTrainerCheckpoint(run.path(CHECKPOINT_FILE)).meta.iteration).toBe(6);
    expect(tempFiles(run.dir)).toEqual([]);
    const metrics = jsonLines(run.path('metrics.jsonl'));
    expect(metrics[0].type).toBe('started');
    expect(metrics.filter((m) => m.type === 'resumed')).toEqual([expect.objectContaining({ iteration: 3, total: 6 })]);
    expect(metrics.filter((m) => m.type === 'checkpoint').map((m) => m.iteration)).toEqual([3, 6]);
  });
});
