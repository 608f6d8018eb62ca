/**
 * "Save checkpoint now" (the app's button): trainer.control.checkpointRequested makes the trainer
 * call the run driver's checkpoint hook after the current step, at the point a periodic
 * checkpoint is written (after that step's schedule actions), once; the driver writes the file
 * atomically and clears the request. A run resumed from such a checkpoint ends exactly as the
 * uninterrupted run (cpu, same seed): same parameters, bit for bit.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import type { TrainConfig } from '../../../src/core/config';
import { CHECKPOINT_FILE, createRunFolder, RunFolder } from '../../../src/core/io/run-folder';
import type { RunData } from '../../../src/core/run/scene-data';
import { trainRun } from '../../../src/core/run/train-run';
import type { TrainEvent } from '../../../src/core/train/events';
import type { Trainer } from '../../../src/core/train/trainer';
import { readTrainerCheckpoint } from '../../../src/core/train/trainer-checkpoint';
import { checkpointDue } from '../../../src/core/train/trainer-types';
import { tempDir } from '../data/scene-fixture';
import { randomPool, randomViews, tinyConfig } from '../train/synthetic';

const tmp = tempDir('train-run-save-now');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});
const BACKEND = { name: 'cpu', reason: 'test' };
const DATA: RunData = { train: randomPool(256, 2), test: randomViews(4), testCount: 4, evalIds: [0, 1] };
// an upsampling after step 3 (iteration index 2): a checkpoint requested at step 3 must come after it
const config = (name: string): TrainConfig =>
  tinyConfig({ iterations: 8, checkpointEvery: 0, chunk: 64, gridEnd: 10, upsampleAt: [2], out: join(tmp, name) });

async function train(cfg: TrainConfig, run: RunFolder, onEvent: (e: TrainEvent, t: Trainer) => void, resumeFrom?: string) {
  const events: TrainEvent[] = [];
  const resume = resumeFrom ? readTrainerCheckpoint(resumeFrom) : undefined;
  const outcome = await trainRun(cfg, run, DATA, BACKEND, {
    resume,
    onEvent: (e, t) => {
      events.push(e);
      onEvent(e, t);
    },
  });
  return { outcome, events };
}

describe('checkpointDue', () => {
  it('every checkpointEvery iterations or on request, never at the last iteration', () => {
    const cfg = { checkpointEvery: 4, iterations: 8 };
    const due = (control: { stopRequested: boolean; checkpointRequested?: boolean }) =>
      [1, 2, 3, 4, 5, 6, 7, 8].filter((i) => checkpointDue(cfg, i, control));
    expect(due({ stopRequested: false })).toEqual([4]);
    expect(due({ stopRequested: false, checkpointRequested: true })).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect([1, 2, 8].filter((i) => checkpointDue({ checkpointEvery: 0, iterations: 8 }, i, { stopRequested: false }))).toEqual([]);
  });
});

describe('save checkpoint now', () => {
  it('a request during step 3 writes the checkpoint after step 3 (after its upsampling), once, and clears the request', async () => {
    const { run, cfg } = createRunFolder(config('once'));
    const onDisk: number[] = [];
    const { outcome, events } = await train(cfg, run, (e, t) => {
      if (e.type === 'step' && e.iteration === 3) t.control.checkpointRequested = true;
      if (e.type === 'checkpoint') {
        onDisk.push(readTrainerCheckpoint(e.path).meta.iteration);
        expect(t.control.checkpointRequested).toBe(false);
      }
    });
    expect(outcome).toBe('complete');
    const kinds = events.map((e) => (e.type === 'step' ? `step${e.iteration}` : e.type === 'checkpoint' ? `ckpt${e.iteration}` : e.type));
    const i = kinds.indexOf('ckpt3');
    expect(i).toBeGreaterThan(kinds.indexOf('step3'));
    expect(kinds.slice(kinds.indexOf('step3'), i).filter((k) => k === 'schedule')).toHaveLength(1); // the upsampling came first
    expect(kinds[i + 1]).toBe('step4');
    expect(kinds.filter((k) => k.startsWith('ckpt'))).toEqual(['ckpt3', 'ckpt8']); // the requested one and the final one
    expect(onDisk).toEqual([3, 8]);
  });

  it('resumed from the requested checkpoint, the run ends with the uninterrupted run’s parameters, bit for bit', async () => {
    const whole = createRunFolder(config('whole'));
    await train(whole.cfg, whole.run, () => {});
    const saved = join(tmp, 'at5.trf');
    const cut = createRunFolder(config('cut'));
    await train(cut.cfg, cut.run, (e, t) => {
      if (e.type === 'step' && e.iteration === 5) t.control.checkpointRequested = true;
      if (e.type === 'checkpoint' && e.iteration === 5) copyFileSync(e.path, saved);
    });
    expect(readTrainerCheckpoint(saved).meta.iteration).toBe(5);
    const dir = join(tmp, 'resumed');
    mkdirSync(dir);
    const cfg = { ...config('resumed'), out: dir };
    const again = await train(cfg, RunFolder.create(dir, 'test'), () => {}, saved);
    expect(again.outcome).toBe('complete');
    const a = readTrainerCheckpoint(join(whole.run.dir, CHECKPOINT_FILE)).state;
    const b = readTrainerCheckpoint(join(dir, CHECKPOINT_FILE)).state;
    expect(b.iteration).toBe(8);
    expect(b.params.map((p) => p.name)).toEqual(a.params.map((p) => p.name));
    b.params.forEach((p, k) => expect(Buffer.from(p.data.buffer).equals(Buffer.from(a.params[k].data.buffer)), p.name).toBe(true));
  });
});
