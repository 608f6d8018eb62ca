/**
 * Exact resume (Trainer.state / restore through checkpoint.trf): a run saved at iteration k,
 * read back into a fresh Trainer (a fresh load of the scene) and continued to N ends in the same
 * state as the run left uninterrupted, bit for bit on the cpu backend: every parameter, the Adam
 * moments, step and learning rates, the RNG and batch-sampler state, the alpha mask, the box and
 * the ray pool, and so the same test PSNR. k = 10 lies before every schedule point; k = 31 comes
 * right after the second alpha-mask update that filters the training rays (and after the shrink
 * and an upsampling). Real Lego pixels, 25x25 (skipped without the scene unless
 * TENSORF_REQUIRE_DATA=1). On synthetic rays: a checkpoint taken after SplitNet's data-dependent
 * init but before the first step does not run the init again; a changed scene is refused.
 */
import { CheckpointError } from '../../../src/core/errors';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { resolveConfig, type TrainConfig } from '../../../src/core/config';
import { evenlySpaced } from '../../../src/core/data/nerf-synthetic';
import { loadTestViews, loadTrainPool, testViewCount } from '../../../src/core/run/scene-data';
import { readTrainerCheckpoint, restoreTrainer, saveTrainer } from '../../../src/core/train/trainer-checkpoint';
import { Trainer, type TrainData } from '../../../src/core/train/trainer';
import { tempDir } from '../data/scene-fixture';
import { NO_VIEWS, randomPool, tinyConfig } from './synthetic';

const DATA = 'datasets/nerf_synthetic/lego';
const skip = !existsSync(`${DATA}/transforms_train.json`) && process.env.TENSORF_REQUIRE_DATA !== '1';
const dir = tempDir('resume');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});
const BACKEND = { name: 'cpu', reason: 'test' };

/** The whole state as bytes and plain values, for exact comparison. */
function snapshot(t: Trainer) {
  const s = t.state();
  const bytes = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return {
    iteration: s.iteration,
    box: s.box,
    reso: s.reso,
    params: s.params.map((p) => ({ name: p.name, shape: p.shape, data: bytes(p.data) })),
    adam: { step: s.adam.step, lr: s.adam.lr, m: s.adam.m.map(bytes), v: s.adam.v.map(bytes) },
    mask: s.mask && { box: s.mask.box, reso: s.mask.reso, data: bytes(s.mask.data) },
    rng: s.rng,
    sampler: s.sampler,
    pool: { count: s.pool.count, keep: bytes(s.pool.keep), poolRays: bytes(t.pool.origins) + bytes(t.pool.rgbs) },
    nSamples: s.nSamples,
    resoMask: s.resoMask,
    decoderInitDone: s.decoderInitDone,
  };
}

async function drain(t: Trainer, hooks: Parameters<Trainer['run']>[0] = {}): Promise<void> {
  for await (const e of t.run(hooks)) if (e.type === 'error') throw new Error(e.message);
}

describe.skipIf(skip)('resume on real Lego pixels (cpu): bit-identical to the uninterrupted run', () => {
  const cfg: TrainConfig = resolveConfig({
    preset: 'smoke',
    data: DATA,
    backend: 'cpu',
    downscale: 32,
    trainViews: 20,
    batchSize: 256,
    iterations: 40,
    gridStart: 24,
    gridEnd: 32,
    alphaMaskAt: [20, 30],
    upsampleAt: [25, 35],
    lrDecayRatio: 0.3,
    visEvery: 0,
    evalViews: 5,
    seed: 1,
    checkpointEvery: 1,
  });
  const nTest = testViewCount(cfg);
  const ids = evenlySpaced(nTest, 5);
  const freshData = (): TrainData => ({ train: loadTrainPool(cfg).pool, test: loadTestViews(cfg, ids), testCount: nTest });
  const STOPS = [10, 31];
  let reference: { snap: ReturnType<typeof snapshot>; psnr: number; events: string[] };

  beforeAll(async () => {
    const t = new Trainer(cfg, freshData(), BACKEND);
    const events: string[] = [];
    // the periodic-checkpoint hook is called at every iteration; keep the files at the stop points
    const keep = (tr: Trainer) => {
      if (!STOPS.includes(tr.iteration)) return 'skipped';
      saveTrainer(join(dir, `k${tr.iteration}.trf`), tr);
      return 'saved';
    };
    for await (const e of t.run({ checkpoint: keep })) {
      if (e.type === 'error') throw new Error(e.message);
      if (e.type === 'schedule') events.push(`${e.iteration}:${e.action}`);
    }
    const res = await t.evaluate(
      ids.map((_, i) => i),
      false,
    );
    reference = { snap: snapshot(t), psnr: res.psnr, events };
  }, 300_000);

  it('the reference run crossed the schedule points the stops are placed around', () => {
    expect(reference.events).toEqual(['21:alpha-mask', '21:shrink', '26:upsample', '31:alpha-mask', '31:filter-rays', '36:upsample']);
    expect(reference.snap.pool.count).toBeLessThan(20 * 25 * 25); // filter-rays dropped rays
  });

  for (const k of STOPS) {
    it(`saved at iteration ${k}, restored into a fresh trainer, continued to 40: the same state and test PSNR`, async () => {
      const ckpt = readTrainerCheckpoint(join(dir, `k${k}.trf`));
      expect(ckpt.meta.iteration).toBe(k);
      const t = new Trainer(cfg, freshData(), BACKEND);
      restoreTrainer(t, ckpt);
      expect(t.iteration).toBe(k);
      await drain(t);
      const snap = snapshot(t);
      expect(snap.iteration).toBe(40);
      // field by field first (a readable failure), then everything at once
      expect(snap.reso).toEqual(reference.snap.reso);
      expect(snap.pool.count).toBe(reference.snap.pool.count);
      expect(snap.rng).toEqual(reference.snap.rng);
      expect(snap.sampler).toEqual(reference.snap.sampler);
      snap.params.forEach((p, i) => expect(p.data === reference.snap.params[i].data, `${p.name} bit-identical`).toBe(true));
      expect(snap).toEqual(reference.snap);
      const res = await t.evaluate(
        ids.map((_, i) => i),
        false,
      );
      console.log(`resume at ${k}: test PSNR ${res.psnr.toFixed(6)} dB, uninterrupted ${reference.psnr.toFixed(6)} dB`);
      expect(Math.abs(res.psnr - reference.psnr)).toBeLessThan(0.05);
      expect(res.psnr).toBe(reference.psnr);
    }, 300_000);
  }
});

describe('resume on synthetic rays', () => {
  const tiny = (over: Record<string, unknown> = {}) => tinyConfig({ iterations: 4, ...over });
  const data = (seed = 2, count = 256): TrainData => ({ train: randomPool(count, seed), test: NO_VIEWS, testCount: 0 });

  it('a checkpoint after the decoder-init event and before the first step: the init does not run again', async () => {
    const cfg = tiny({ decoder: 'splitnet', splitnetInit: 'lsuv' });
    const whole = new Trainer(cfg, data(), BACKEND);
    await drain(whole);

    const first = new Trainer(cfg, data(), BACKEND);
    for await (const e of first.run()) {
      if (e.type === 'schedule' && e.action === 'decoder-init') first.control.stopRequested = true;
      expect(e.type).not.toBe('step');
    }
    expect(first.iteration).toBe(0);
    const file = join(dir, 'init.trf');
    saveTrainer(file, first);
    const ckpt = readTrainerCheckpoint(file);
    expect(ckpt.meta.decoderInitDone).toBe(true);

    const resumed = new Trainer(cfg, data(), BACKEND);
    restoreTrainer(resumed, ckpt);
    const types: string[] = [];
    for await (const e of resumed.run()) types.push(e.type === 'schedule' ? e.action : e.type);
    expect(types).toEqual(['started', 'step', 'step', 'step', 'step']);
    expect(snapshot(resumed)).toEqual(snapshot(whole));

    // the flag is what decides: a state that says the init has not run runs it a second time
    // (LSUV happens to leave an already normalised layer as it is, so only the event shows it)
    const again = new Trainer(cfg, data(), BACKEND);
    again.restore({ ...readTrainerCheckpoint(file).state, decoderInitDone: false });
    const againTypes: string[] = [];
    for await (const e of again.run()) againTypes.push(e.type === 'schedule' ? e.action : e.type);
    expect(againTypes).toEqual(['started', 'decoder-init', 'step', 'step', 'step', 'step']);
  });

  it('other training rays (another scene or --train-views) are refused with a CheckpointError naming the file', () => {
    const cfg = tiny();
    const file = join(dir, 'rays.trf');
    saveTrainer(file, new Trainer(cfg, data(2, 256), BACKEND));
    const ckpt = readTrainerCheckpoint(file);
    for (const other of [data(3, 256), data(2, 200)]) {
      const t = new Trainer(cfg, other, BACKEND);
      expect(() => restoreTrainer(t, ckpt)).toThrow(CheckpointError);
      expect(() => restoreTrainer(t, ckpt)).toThrow(new RegExp(`${file}: the training rays differ`));
    }
    // and a config that shapes the state differently
    const t = new Trainer(tiny({ appComps: 4 }), data(), BACKEND);
    expect(() => restoreTrainer(t, ckpt)).toThrow(/saved with appComps = 3, resuming with 4/);
    // the free fields may differ
    restoreTrainer(new Trainer(tiny({ iterations: 9, checkpointEvery: 3, chunk: 7 }), data(), BACKEND), ckpt);
  });
});
