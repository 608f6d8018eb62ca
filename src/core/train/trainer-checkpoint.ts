/**
 * What a checkpoint holds, and how it is written from and read back into a trainer or a model.
 *
 * Version 1 (still read, for rendering): the resolved config, iteration, box and grid, every
 * parameter, the alpha mask, the Adam moments, step and learning rates, the sampler/jitter RNG
 * state, samples per ray, the mask grid and the training time.
 * Version 2 adds what an exact resume needs: the ray-filter flags over the loaded training rays
 * (bit-packed, with a fingerprint of those rays), the batch sampler's state (the RNG state its
 * current permutation was drawn from, and its position) and whether the decoder's data-dependent
 * init has run. The schedule position is the iteration; the learning rates are saved as decayed.
 */
import { toSharedF32 } from '../shared-memory';
import { NonFiniteStateError } from '../errors';
import { CheckpointError } from '../errors';
import { resolveConfig, type TrainConfig } from '../config';
import type { SamplerState } from '../data/ray-pool';
import type { AlphaMask } from '../field/alpha-mask';
import type { Box, Vec3 } from '../field/geometry';
import { createModel, modelParams, type Model } from '../model';
import { Rng } from '../random';
import { packFlags, unpackFlags } from './ray-filter';
import type { Trainer } from './trainer';
import type { TrainerState } from './trainer-types';
import { type ArrayData, readCheckpoint, writeCheckpoint } from '../io/checkpoint';

export interface CheckpointMeta {
  config: TrainConfig;
  iteration: number;
  box: Box;
  reso: Vec3;
  shapes: Record<string, number[]>;
  mask: { box: Box; reso: Vec3 } | null;
  adam: { step: number; lr: { factors: number; network: number } };
  rng: { state: number; spare: number | null };
  nSamples: number;
  resoMask: Vec3;
  trainSeconds: number;
  /** Horizontal field of view of the test cameras (radians), for viewing a run whose scene is gone; absent in older checkpoints. */
  cameraAngleX?: number;
}

/** Version 2: the resume state besides the arrays 'pool.keep' (packed flags). */
export interface CheckpointMetaV2 extends CheckpointMeta {
  sampler: SamplerState;
  pool: { source: number; fingerprint: string; count: number };
  decoderInitDone: boolean;
}

/**
 * Config fields a resumed run may differ in from the saved one: where things go, how often it
 * checkpoints and previews, how it renders, and the total iterations (to extend a run). Every
 * other field shapes the training state and must match.
 */
export const RESUME_FREE_FIELDS: readonly (keyof TrainConfig)[] = [
  'backend',
  'iterations',
  'out',
  'name',
  'data',
  'checkpointEvery',
  'visEvery',
  'visViews',
  'evalViews',
  'chunk',
];

function cameraAngleOf(views: { width: number; focal: number }): { cameraAngleX?: number } {
  return views.width > 0 && views.focal > 0 ? { cameraAngleX: 2 * Math.atan((0.5 * views.width) / views.focal) } : {};
}

/**
 * Writes the trainer's full state to `path` (atomically: an existing file is replaced only by a
 * complete new one). Refuses, writing nothing, when a parameter or moment is not finite.
 */
export function saveTrainer(path: string, t: Trainer): void {
  const bad = t.nonFinite();
  if (bad) throw new NonFiniteStateError(`iteration ${t.iteration}: ${bad} holds Inf or NaN; not written over ${path}`);
  const s = t.state();
  const arrays: Record<string, ArrayData> = {};
  const shapes: Record<string, number[]> = {};
  s.params.forEach((p, i) => {
    arrays[p.name] = p.data;
    shapes[p.name] = p.shape;
    arrays[`adam.m.${p.name}`] = s.adam.m[i];
    arrays[`adam.v.${p.name}`] = s.adam.v[i];
  });
  if (s.mask) arrays.mask = s.mask.data;
  arrays['pool.keep'] = packFlags(s.pool.keep);
  const meta: CheckpointMetaV2 = {
    config: t.cfg,
    iteration: s.iteration,
    box: s.box,
    reso: s.reso,
    shapes,
    mask: s.mask ? { box: s.mask.box, reso: s.mask.reso } : null,
    adam: { step: s.adam.step, lr: { ...s.adam.lr } },
    rng: s.rng,
    nSamples: s.nSamples,
    resoMask: s.resoMask,
    trainSeconds: s.trainSeconds,
    sampler: s.sampler,
    pool: { source: s.pool.source, fingerprint: s.pool.fingerprint, count: s.pool.count },
    decoderInitDone: s.decoderInitDone,
    ...cameraAngleOf(t.data.test),
  };
  writeCheckpoint(path, meta, arrays);
}

function checkedConfig(path: string, meta: CheckpointMeta): TrainConfig {
  try {
    return resolveConfig(meta.config as unknown as Record<string, unknown>, `${path}: config.`);
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
}

function maskOf(path: string, meta: CheckpointMeta, arrays: Record<string, ArrayData>): AlphaMask | null {
  if (!meta.mask) return null;
  const data = arrays.mask;
  if (!(data instanceof Uint8Array)) throw new CheckpointError(`${path}: alpha mask missing`);
  return { box: meta.mask.box, reso: meta.mask.reso, data };
}

function floatArray(path: string, arrays: Record<string, ArrayData>, name: string, what: string): Float32Array {
  const a = arrays[name];
  if (!(a instanceof Float32Array)) throw new CheckpointError(`${path}: ${what} ${name} missing`);
  return toSharedF32(a); // parameters and moments live in shared memory (params.ts)
}

/** Rebuilds the model (and mask) saved at `path`, for rendering; reads versions 1 and 2. */
export function loadModel(path: string): { model: Model; mask: AlphaMask | null; meta: CheckpointMeta } {
  const { meta: raw, arrays } = readCheckpoint(path);
  const meta = raw as CheckpointMeta;
  const config = checkedConfig(path, meta);
  const model = createModel(config, meta.box, new Rng(0));
  model.field.box = meta.box;
  model.field.reso = meta.reso;
  for (const p of modelParams(model)) {
    p.data = floatArray(path, arrays, p.name, 'parameter');
    p.shape = meta.shapes[p.name];
  }
  return { model, mask: maskOf(path, meta, arrays), meta };
}

export interface TrainerCheckpoint {
  path: string;
  config: TrainConfig;
  meta: CheckpointMetaV2;
  state: TrainerState;
}

/**
 * Reads a checkpoint for resuming. A version-1 file (written before exact resume) lacks the
 * ray-filter and sampler state: a CheckpointError says so (it can still be rendered).
 */
export function readTrainerCheckpoint(path: string): TrainerCheckpoint {
  const { version, meta: raw, arrays } = readCheckpoint(path);
  if (version < 2) {
    throw new CheckpointError(
      `${path}: checkpoint format version ${version} has no ray-filter or batch-order state, so the run cannot be resumed exactly (npm run render can still use it)`,
    );
  }
  const meta = raw as CheckpointMetaV2;
  if (!meta.sampler || !meta.pool || typeof meta.decoderInitDone !== 'boolean')
    throw new CheckpointError(`${path}: resume state missing from the metadata`);
  const config = checkedConfig(path, meta);
  const names = Object.keys(meta.shapes);
  const bits = arrays['pool.keep'];
  if (!(bits instanceof Uint8Array) || bits.length !== Math.ceil(meta.pool.source / 8))
    throw new CheckpointError(`${path}: ray-filter flags missing or of the wrong size`);
  const state: TrainerState = {
    iteration: meta.iteration,
    trainSeconds: meta.trainSeconds,
    box: meta.box,
    reso: meta.reso,
    params: names.map((name) => ({ name, shape: meta.shapes[name], data: floatArray(path, arrays, name, 'parameter') })),
    adam: {
      step: meta.adam.step,
      lr: { ...meta.adam.lr },
      m: names.map((n) => floatArray(path, arrays, `adam.m.${n}`, 'Adam moment')),
      v: names.map((n) => floatArray(path, arrays, `adam.v.${n}`, 'Adam moment')),
    },
    mask: maskOf(path, meta, arrays),
    rng: meta.rng,
    sampler: meta.sampler,
    pool: {
      source: meta.pool.source,
      fingerprint: meta.pool.fingerprint,
      count: meta.pool.count,
      keep: unpackFlags(bits, meta.pool.source),
    },
    nSamples: meta.nSamples,
    resoMask: meta.resoMask,
    decoderInitDone: meta.decoderInitDone,
  };
  return { path, config, meta, state };
}

/** The fields (outside RESUME_FREE_FIELDS) in which two configs differ. */
export function resumeConflicts(saved: TrainConfig, now: TrainConfig): (keyof TrainConfig)[] {
  return (Object.keys(saved) as (keyof TrainConfig)[]).filter(
    (k) => !RESUME_FREE_FIELDS.includes(k) && JSON.stringify(saved[k]) !== JSON.stringify(now[k]),
  );
}

/** Puts a checkpoint into a fresh trainer built with a compatible config and the run's training rays. */
export function restoreTrainer(t: Trainer, ckpt: TrainerCheckpoint): void {
  const conflicts = resumeConflicts(ckpt.config, t.cfg);
  if (conflicts.length > 0) {
    const k = conflicts[0];
    throw new CheckpointError(
      `${ckpt.path}: saved with ${k} = ${JSON.stringify(ckpt.config[k])}, resuming with ${JSON.stringify(t.cfg[k])}; a resumed run keeps the saved training settings`,
    );
  }
  t.restore(ckpt.state, ckpt.path);
}
