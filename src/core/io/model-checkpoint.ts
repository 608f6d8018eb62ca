/**
 * What a checkpoint holds: the resolved config, iteration, box and grid, every parameter, the
 * alpha mask, the Adam moments and learning rates, and the RNG state; and how a model is rebuilt
 * from it for rendering.
 */
import { resolveConfig, type TrainConfig } from '../config';
import type { AlphaMask } from '../field/alpha-mask';
import type { Box, Vec3 } from '../field/geometry';
import { createModel, modelParams, type Model } from '../model';
import { Rng } from '../random';
import type { Trainer } from '../train/trainer';
import { type ArrayData, CheckpointError, readCheckpoint, writeCheckpoint } from './checkpoint';

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
}

export function saveTrainer(path: string, t: Trainer): void {
  const params = modelParams(t.model);
  const arrays: Record<string, ArrayData> = {};
  const shapes: Record<string, number[]> = {};
  params.forEach((p, i) => {
    arrays[p.name] = p.data;
    shapes[p.name] = p.shape;
    arrays[`adam.m.${p.name}`] = t.adam.m[i];
    arrays[`adam.v.${p.name}`] = t.adam.v[i];
  });
  if (t.mask) arrays['mask'] = t.mask.data;
  const meta: CheckpointMeta = {
    config: t.cfg,
    iteration: t.iteration,
    box: t.model.field.box,
    reso: t.model.field.reso,
    shapes,
    mask: t.mask ? { box: t.mask.box, reso: t.mask.reso } : null,
    adam: { step: t.adam.step, lr: { ...t.adam.lr } },
    rng: t.rng.getState(),
    nSamples: t.nSamples,
    resoMask: t.resoMask,
    trainSeconds: t.trainSeconds,
  };
  writeCheckpoint(path, meta, arrays);
}

/** Rebuilds the model (and mask) saved at `path`, for rendering. */
export function loadModel(path: string): { model: Model; mask: AlphaMask | null; meta: CheckpointMeta } {
  const { meta: raw, arrays } = readCheckpoint(path);
  const meta = raw as CheckpointMeta;
  let config: TrainConfig;
  try {
    config = resolveConfig(meta.config as unknown as Record<string, unknown>, `${path}: config.`);
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
  const model = createModel(config, meta.box, new Rng(0));
  model.field.box = meta.box;
  model.field.reso = meta.reso;
  for (const p of modelParams(model)) {
    const data = arrays[p.name];
    if (!(data instanceof Float32Array)) throw new CheckpointError(`${path}: parameter ${p.name} missing`);
    p.data = data;
    p.shape = meta.shapes[p.name];
  }
  let mask: AlphaMask | null = null;
  if (meta.mask) {
    const data = arrays['mask'];
    if (!(data instanceof Uint8Array)) throw new CheckpointError(`${path}: alpha mask missing`);
    mask = { box: meta.mask.box, reso: meta.mask.reso, data };
  }
  return { model, mask, meta };
}
