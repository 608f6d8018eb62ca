/** Loads what a training run needs from a NeRF-synthetic scene: the training ray pool and test views. */
import type { TrainConfig } from '../config';
import type { ViewSet } from '../eval/evaluate';
import { checkScene, loadSplit, readTransforms, type SceneSplit } from './nerf-synthetic';
import type { RayPool } from './ray-pool';
import { splitRays } from './rays';

export function viewSet(split: SceneSplit, ids: number[]): ViewSet {
  return {
    width: split.width,
    height: split.height,
    focal: split.focal,
    poses: split.frames.map((f) => f.pose),
    images: split.images.map((im) => im.data.subarray(im.offset, im.offset + split.width * split.height * 3)),
    names: split.frames.map((f) => f.file),
    ids,
  };
}

export function loadTrainPool(cfg: TrainConfig): { pool: RayPool; width: number; height: number } {
  checkScene(cfg.data);
  const n = readTransforms(cfg.data, 'train').frames.length;
  const indices = cfg.trainViews > 0 ? Array.from({ length: Math.min(n, cfg.trainViews) }, (_, i) => i) : undefined;
  const split = loadSplit(cfg.data, 'train', { downscale: cfg.downscale, indices });
  const r = splitRays(split);
  return { pool: { count: r.count, origins: r.origins, dirs: r.dirs, rgbs: r.rgbs }, width: split.width, height: split.height };
}

/** Test views: only the listed frame indices are decoded (the rest are never read). */
export function loadTestViews(cfg: TrainConfig, ids: number[]): ViewSet {
  return viewSet(loadSplit(cfg.data, 'test', { downscale: cfg.downscale, indices: ids }), ids);
}

export function testViewCount(cfg: TrainConfig): number {
  return readTransforms(cfg.data, 'test').frames.length;
}
