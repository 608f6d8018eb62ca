/** Test views as the evaluation uses them: images and cameras of a split, by frame id. */
import type { TrainConfig } from '../config';
import type { SceneSplit } from './nerf-synthetic';

/** Test views as flat HWC RGB images with their cameras. */
export interface ViewSet {
  width: number;
  height: number;
  focal: number;
  poses: Float32Array[];
  images: Float32Array[];
  names: string[];
  /** Frame index of each view in its split's transforms file. */
  ids: number[];
}

/** The views of a loaded split; `ids` are the frame indices that were loaded. */
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

/** Positions in `views` of the given frame ids (throws if one was not loaded). */
export function positionsOf(views: ViewSet, ids: number[]): number[] {
  return ids.map((id) => {
    const k = views.ids.indexOf(id);
    if (k < 0) throw new Error(`test view ${id} was not loaded`);
    return k;
  });
}

/** Indices 0, n/k, 2n/k, ... (TensoRF's N_vis selection: stride max(n / k, 1)). */
export function strideViews(n: number, k: number): number[] {
  const stride = Math.max(Math.floor(n / k), 1);
  const out: number[] = [];
  for (let i = 0; i < n && out.length < k; i += stride) out.push(i);
  return out;
}

/** The test views of the running test PSNR (cfg.visViews of them, TensoRF's N_vis stride). */
export function visViewIds(testCount: number, cfg: Pick<TrainConfig, 'visViews'>): number[] {
  return strideViews(testCount, cfg.visViews);
}
