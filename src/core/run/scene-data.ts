/** Loads what a training run needs from a NeRF-synthetic scene: the training ray pool and test views. */
import { evenlySpaced } from '../data/nerf-synthetic';
import { type ViewSet, viewSet, visViewIds } from '../data/view-set';
import { DatasetError } from '../errors';
import type { TrainConfig } from '../config';
import { SSIM_FILTER_SIZE } from '../eval/metrics';
import { checkScene, framePath, loadSplit, readTransforms, repeatedFrames, type SceneSplit, transformsPath } from '../data/nerf-synthetic';
import { LEGO_BOX, NEAR_FAR } from '../field/geometry';
import { countRaysReachingBox } from '../train/ray-filter';
import type { RayPool } from '../data/ray-pool';
import { splitRays } from '../data/rays';

/**
 * The training rays (the first cfg.trainViews views). Throws a DatasetError when none of them
 * reaches the scene box where samples are placed (cameras too far away or looking elsewhere):
 * such a run would train on nothing.
 */
export function loadTrainPool(cfg: TrainConfig): { pool: RayPool; width: number; height: number } {
  checkScene(cfg.data);
  const n = readTransforms(cfg.data, 'train').frames.length;
  const indices = cfg.trainViews > 0 ? Array.from({ length: Math.min(n, cfg.trainViews) }, (_, i) => i) : undefined;
  const split = loadSplit(cfg.data, 'train', { downscale: cfg.downscale, indices });
  const r = splitRays(split);
  const pool = { count: r.count, origins: r.origins, dirs: r.dirs, rgbs: r.rgbs };
  checkRaysReachBox(pool, split.frames.length, transformsPath(cfg.data, 'train'));
  return { pool, width: split.width, height: split.height };
}

function checkRaysReachBox(pool: RayPool, views: number, file: string): void {
  const [near, far] = NEAR_FAR;
  if (countRaysReachingBox(pool, LEGO_BOX, near, far) > 0) return;
  let nearest = Infinity;
  for (let i = 0; i < pool.count; i++)
    nearest = Math.min(nearest, Math.hypot(pool.origins[3 * i], pool.origins[3 * i + 1], pool.origins[3 * i + 2]));
  const box = `[${LEGO_BOX.min[0]}, ${LEGO_BOX.max[0]}] on each axis`;
  throw new DatasetError(
    `${file}: no training ray hits the scene box (${box}) between near ${near} and far ${far} (${pool.count} rays of ${views} views; the nearest camera is ${nearest.toFixed(2)} from the origin); ` +
      `check the frames' transform_matrix: camera-to-world poses (OpenGL axes, looking along -Z) placing the cameras ${near} to ${far} units from the box and facing it, in the scene's units`,
  );
}

/**
 * Test views: only the listed frame indices are decoded (the rest are never read). They must be
 * at least as large as the SSIM window, or the evaluation at the end of a run would fail.
 */
export function loadTestViews(cfg: TrainConfig, ids: number[]): ViewSet {
  const split = loadSplit(cfg.data, 'test', { downscale: cfg.downscale, indices: ids });
  checkEvalSize(split, cfg.downscale, cfg.data);
  return viewSet(split, ids);
}

/** Throws a DatasetError (naming --downscale when it is the cause) for test images smaller than the SSIM window. */
export function checkEvalSize(split: SceneSplit, n: number, dir: string): void {
  const K = SSIM_FILTER_SIZE;
  if (split.width >= K && split.height >= K) return;
  const file = split.frames.length > 0 ? framePath(dir, split.frames[0].file) : dir;
  const [w, h] = [split.width * n, split.height * n];
  const need = `the evaluation's SSIM window is ${K}x${K}`;
  if (n === 1) throw new DatasetError(`${file}: test images are ${w}x${h}, smaller than ${K}x${K} (${need})`);
  let largest = 0;
  for (let d = 1; d <= 64; d++) if (w % d === 0 && h % d === 0 && w / d >= K && h / d >= K) largest = d;
  const fix = largest > 0 ? `the largest factor that works is ${largest}` : 'the images are too small to evaluate';
  throw new DatasetError(
    `--downscale ${n}: test image size ${w}x${h} of ${file} would leave ${split.width}x${split.height} pixels, fewer than ${K} on a side (${need}); ${fix}`,
  );
}

export function testViewCount(cfg: TrainConfig): number {
  return readTransforms(cfg.data, 'test').frames.length;
}

/** A warning line for each image that the training views or the test split list more than once (they are used as listed). */
export function repeatedFrameWarnings(cfg: TrainConfig): string[] {
  const lines: string[] = [];
  for (const split of ['train', 'test'] as const) {
    let frames = readTransforms(cfg.data, split).frames;
    if (split === 'train' && cfg.trainViews > 0) frames = frames.slice(0, cfg.trainViews);
    for (const r of repeatedFrames(cfg.data, frames))
      lines.push(`warning: ${transformsPath(cfg.data, split)}: ${r}; that image is used as often as it is listed`);
  }
  return lines;
}

export interface RunData {
  train: RayPool;
  test: ViewSet;
  testCount: number;
  evalIds: number[];
}

/** Training rays and the test views the run evaluates (final views and running-PSNR views). */
export function loadRunData(cfg: TrainConfig, say: (line: string) => void = () => {}): RunData {
  say(`loading ${cfg.data} (downscale ${cfg.downscale}) ...`);
  const train = loadTrainPool(cfg);
  for (const line of repeatedFrameWarnings(cfg)) say(line);
  const nTest = testViewCount(cfg);
  const evalIds = cfg.evalViews > 0 ? evenlySpaced(nTest, cfg.evalViews) : Array.from({ length: nTest }, (_, i) => i);
  const visIds = cfg.visEvery > 0 ? visViewIds(nTest, cfg) : [];
  const ids = [...new Set([...evalIds, ...visIds])].sort((a, b) => a - b);
  const test = loadTestViews(cfg, ids);
  say(
    `data: ${train.pool.count} training rays (${train.width}x${train.height}), ${testViewsLoaded(ids.length, evalIds.length, visIds.length)}`,
  );
  return { train: train.pool, test, testCount: nTest, evalIds };
}

/** What the loaded test views are for: the final evaluation's and the running test PSNR's (the two sets may overlap). */
export function testViewsLoaded(loaded: number, evaluated: number, running: number): string {
  const uses = [`${evaluated} for the final evaluation`, ...(running > 0 ? [`${running} for the running test PSNR`] : [])];
  return `${loaded} test views loaded (${uses.join(', ')})`;
}
