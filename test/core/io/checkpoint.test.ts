/**
 * Binary checkpoints (src/core/io/checkpoint.ts): arrays of every dtype (views at an offset and
 * lengths that need padding included) and the metadata round-trip exactly; a truncated file, a
 * flipped data byte (checksum), bad magic and a wrong version each throw a CheckpointError that
 * names the file; in version 2 the checksum also covers the metadata; writes are atomic (no
 * temporary file is left behind, and an existing file is replaced only when the new one was
 * written in full). saveTrainer / loadModel restore a model that renders exactly what the trained
 * one rendered; a version-1 file (as written before exact resume) still loads for rendering and
 * is refused for resuming with a message saying why; a trainer with non-finite parameters is
 * never written.
 */
import { STEP_RATIO } from '../../../src/core/field/geometry';
import { NonFiniteStateError } from '../../../src/core/errors';
import { CheckpointError } from '../../../src/core/errors';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { resolveConfig } from '../../../src/core/config';
import { LEGO_BOX } from '../../../src/core/field/geometry';
import {
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  encodeCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  type ArrayData,
} from '../../../src/core/io/checkpoint';
import { loadModel, readTrainerCheckpoint, saveTrainer } from '../../../src/core/train/trainer-checkpoint';
import { modelParams, paramCounts } from '../../../src/core/model';
import { renderRays } from '../../../src/core/render/render-rays';
import { Trainer } from '../../../src/core/train/trainer';
import { tempDir } from '../data/scene-fixture';
import { NO_VIEWS, randomPool } from '../train/synthetic';

const dir = tempDir('ckpt');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const META = { config: { a: 1, list: [1, 2, 3] }, name: 'ünïcode ✓', nested: { x: null, y: [0.5, -2] } };
function sampleArrays(): Record<string, ArrayData> {
  const big = Float32Array.from({ length: 20 }, (_, i) => Math.sin(i) * 1e3);
  return {
    f32: Float32Array.from([0, -1.5, 3.25, Number.MAX_VALUE, -0, Infinity, NaN, 1e-40]),
    view: big.subarray(3, 10), // byteOffset 12
    u8: Uint8Array.from([0, 1, 2, 254, 255]), // 5 bytes: padded to 8
    i32: Int32Array.from([-2147483648, -1, 0, 1, 2147483647]),
    empty: new Float32Array(0),
    u8b: Uint8Array.from([7, 8, 9]),
  };
}

function expectCheckpointError(file: string, pattern: RegExp): void {
  let err: unknown;
  try {
    readCheckpoint(file);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CheckpointError);
  const msg = (err as Error).message;
  expect(msg).toContain(file);
  expect(msg).toMatch(pattern);
  expect(msg).not.toContain('\n');
}

describe('checkpoint encode / read', () => {
  it('round-trips arrays of each dtype and the metadata', () => {
    const file = join(dir, 'round.trf');
    const arrays = sampleArrays();
    writeCheckpoint(file, META, arrays);
    const bytes = readFileSync(file);
    expect(bytes.toString('ascii', 0, 7)).toBe(CHECKPOINT_MAGIC);
    expect(bytes[7]).toBe(CHECKPOINT_VERSION);
    expect(Buffer.compare(bytes, Buffer.concat(encodeCheckpoint(META, arrays)))).toBe(0);
    const { meta, arrays: got } = readCheckpoint(file);
    expect(meta).toEqual(META);
    expect(Object.keys(got)).toEqual(Object.keys(arrays));
    for (const [name, a] of Object.entries(arrays)) {
      expect(got[name].constructor, name).toBe(a.constructor);
      expect(got[name].length, name).toBe(a.length);
      // byte-exact (NaN and -0 included)
      expect(
        Buffer.from(got[name].buffer, got[name].byteOffset, got[name].byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
        name,
      ).toBe(true);
    }
    // each array owns its bytes (not a view into the file buffer) and is aligned
    for (const a of Object.values(got)) expect(a.byteOffset % 4).toBe(0);
  });

  it('a truncated file, a flipped data byte, bad magic and a wrong version throw CheckpointError naming the file', () => {
    const good = Buffer.concat(encodeCheckpoint(META, sampleArrays()));
    const write = (name: string, b: Buffer) => {
      const f = join(dir, name);
      writeFileSync(f, b);
      return f;
    };
    expectCheckpointError(write('short-data.trf', good.subarray(0, good.length - 3)), /truncated/);
    expectCheckpointError(write('short-header.trf', good.subarray(0, 40)), /truncated|corrupt/);
    expectCheckpointError(write('tiny.trf', good.subarray(0, 5)), /bad magic|truncated/);
    expectCheckpointError(write('empty.trf', Buffer.alloc(0)), /bad magic|truncated/);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 10] ^= 0x01;
    expectCheckpointError(write('flipped.trf', flipped), /checksum/);
    const magic = Buffer.from(good);
    magic[0] = 'X'.charCodeAt(0);
    expectCheckpointError(write('magic.trf', magic), /magic/);
    const version = Buffer.from(good);
    version[7] = CHECKPOINT_VERSION + 1;
    expectCheckpointError(write('version.trf', version), new RegExp(`version ${CHECKPOINT_VERSION + 1}`));
    expectCheckpointError(join(dir, 'missing.trf'), /cannot read/);
  });

  it('version 2: a changed metadata value (same length, still valid JSON) fails the checksum', () => {
    const good = Buffer.concat(encodeCheckpoint({ lr: 0.25, name: 'x' }, sampleArrays()));
    const at = good.indexOf('0.25');
    expect(at).toBeGreaterThan(0);
    const changed = Buffer.from(good);
    changed[at + 3] = '6'.charCodeAt(0); // 0.26
    const f = join(dir, 'meta-changed.trf');
    writeFileSync(f, changed);
    expectCheckpointError(f, /checksum/);
    // version 1 files (checksum over the arrays only) still read
    const v1 = join(dir, 'v1.trf');
    writeFileSync(v1, Buffer.concat(encodeCheckpoint(META, sampleArrays(), 1)));
    const r = readCheckpoint(v1);
    expect(r.version).toBe(1);
    expect(r.meta).toEqual(META);
  });
});

describe('writeCheckpoint is atomic', () => {
  const tmpFiles = (d: string) => readdirSync(d).filter((n) => n.includes('.tmp'));

  it('leaves no temporary file and replaces an existing file', () => {
    const d = join(dir, 'atomic1');
    mkdirSync(d);
    const file = join(d, 'c.trf');
    writeCheckpoint(file, { v: 1 }, { a: Float32Array.from([1]) });
    writeCheckpoint(file, { v: 2 }, { a: Float32Array.from([2, 3]) });
    expect(readdirSync(d)).toEqual(['c.trf']);
    const r = readCheckpoint(file);
    expect(r.meta).toEqual({ v: 2 });
    expect(Array.from(r.arrays.a)).toEqual([2, 3]);
  });

  it('a failing write keeps the existing file and leaves no temporary file', () => {
    const d = join(dir, 'atomic2');
    mkdirSync(d);
    const file = join(d, 'c.trf');
    writeCheckpoint(file, { v: 1 }, { a: Float32Array.from([1]) });
    const before = readFileSync(file);
    // an array whose bytes cannot be read
    const bad = new Float32Array(4);
    Object.defineProperty(bad, 'buffer', {
      get() {
        throw new Error('array unreadable');
      },
    });
    expect(() => writeCheckpoint(file, { v: 2 }, { a: Float32Array.from([5]), bad })).toThrow(/unreadable/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(tmpFiles(d)).toEqual([]);
    // a failing rename (the target is a non-empty folder): the temporary file is removed
    const folder = join(d, 'taken.trf');
    mkdirSync(folder);
    writeFileSync(join(folder, 'x'), 'x');
    expect(() => writeCheckpoint(folder, { v: 3 }, { a: Float32Array.from([1]) })).toThrow();
    expect(tmpFiles(d)).toEqual([]);
    expect(readdirSync(folder)).toEqual(['x']);
  });

  it.skipIf(process.getuid?.() === 0)('a read-only folder: throws, writes nothing (skipped as root)', () => {
    const d = join(dir, 'readonly');
    mkdirSync(d);
    const file = join(d, 'c.trf');
    writeCheckpoint(file, { v: 1 }, { a: Float32Array.from([1]) });
    const before = readFileSync(file);
    chmodSync(d, 0o555);
    try {
      expect(() => writeCheckpoint(file, { v: 2 }, { a: Float32Array.from([2]) })).toThrow();
      expect(readdirSync(d)).toEqual(['c.trf']);
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      chmodSync(d, 0o755);
    }
  });
});

describe('saveTrainer / loadModel', () => {
  it('restores a model (box, grid, mask, parameters) that renders identically', async () => {
    await initBackend('cpu');
    const cfg = resolveConfig({
      preset: 'smoke',
      backend: 'cpu',
      decoder: 'splitnet',
      iterations: 4,
      batchSize: 64,
      gridStart: 8,
      gridEnd: 10,
      alphaMaskAt: [1],
      upsampleAt: [2],
      densityComps: 2,
      appComps: 3,
      visEvery: 0,
      seed: 4,
    });
    const trainer = new Trainer(cfg, { train: randomPool(256, 9), test: NO_VIEWS, testCount: 0 }, { name: 'cpu', reason: 'test' });
    // density only in the middle third of each axis (lines +1.5 there, -5 elsewhere; planes 1.5):
    // the alpha mask at iteration 1 shrinks the box to it
    const f = trainer.model.field;
    for (const p of f.densityPlanes) p.data.fill(1.5);
    for (const p of f.densityLines) {
      const [L, C] = p.shape;
      for (let i = 0; i < L; i++) for (let c = 0; c < C; c++) p.data[i * C + c] = i >= L / 3 && i < (2 * L) / 3 ? 1.5 : -5;
    }
    for await (const e of trainer.run()) if (e.type === 'error') throw new Error(e.message);
    expect(trainer.mask).not.toBeNull();
    expect(trainer.model.field.box.max[0]).toBeLessThan(LEGO_BOX.max[0]); // shrunk
    const rays = randomPool(40, 10);
    const settings = { mask: trainer.mask, stepRatio: STEP_RATIO, chunk: 16 };
    const before = await renderRays(trainer.model, rays.origins, rays.dirs, rays.count, settings);
    expect(before.acc.some((a) => a > 0.05)).toBe(true); // the renders are not empty

    const file = join(dir, 'trainer.trf');
    saveTrainer(file, trainer);
    const { model, mask, meta } = loadModel(file);
    expect(meta.iteration).toBe(4);
    expect(meta.config).toEqual(cfg);
    expect(meta.adam.step).toBe(trainer.adam.step);
    expect(meta.rng).toEqual(trainer.rng.getState());
    expect(model.field.box).toEqual(trainer.model.field.box);
    expect(model.field.reso).toEqual(trainer.model.field.reso);
    expect(mask).toEqual(trainer.mask);
    expect(paramCounts(model)).toEqual(paramCounts(trainer.model));
    const saved = modelParams(trainer.model);
    modelParams(model).forEach((p, i) => {
      expect(p.name).toBe(saved[i].name);
      expect(p.shape).toEqual(saved[i].shape);
      expect(p.data).toEqual(saved[i].data);
    });
    const after = await renderRays(model, rays.origins, rays.dirs, rays.count, { ...settings, mask });
    expect(after.rgb).toEqual(before.rgb);
    expect(after.depth).toEqual(before.depth);
    expect(after.acc).toEqual(before.acc);

    // a version-1 file: the same arrays less the resume state, version byte 1
    const { meta: v2meta, arrays } = readCheckpoint(file);
    const v1meta = { ...(v2meta as Record<string, unknown>) };
    for (const k of ['sampler', 'pool', 'decoderInitDone']) delete v1meta[k];
    delete arrays['pool.keep'];
    const v1 = join(dir, 'trainer-v1.trf');
    writeFileSync(v1, Buffer.concat(encodeCheckpoint(v1meta, arrays, 1)));
    const old = loadModel(v1);
    expect(old.mask).toEqual(trainer.mask);
    const oldRender = await renderRays(old.model, rays.origins, rays.dirs, rays.count, { ...settings, mask: old.mask });
    expect(oldRender.rgb).toEqual(before.rgb);
    let err: unknown;
    try {
      readTrainerCheckpoint(v1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(
      new RegExp(`^${v1}: checkpoint format version 1 has no ray-filter or batch-order state.*cannot be resumed.*npm run render`),
    );
    expect(readTrainerCheckpoint(file).meta.iteration).toBe(4);

    // non-finite parameters are never written over a good file
    const good = readFileSync(file);
    const p = modelParams(trainer.model)[2];
    const keep = p.data[5];
    p.data[5] = NaN;
    expect(() => saveTrainer(file, trainer)).toThrow(NonFiniteStateError);
    expect(() => saveTrainer(file, trainer)).toThrow(new RegExp(`iteration 4: ${p.name} holds Inf or NaN; not written over ${file}`));
    p.data[5] = keep;
    trainer.adam.v[0][0] = Infinity;
    expect(() => saveTrainer(file, trainer)).toThrow(/Adam moment of field.densityPlane0 holds Inf or NaN/);
    expect(readFileSync(file).equals(good)).toBe(true);
  });
});
