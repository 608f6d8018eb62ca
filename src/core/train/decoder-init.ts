/** The decoder's data-dependent init (SplitNet LSUV), run once by the trainer before the first step. */
import * as tf from '@tensorflow/tfjs-core';
import { gatherRays, type RayPool } from '../data/ray-pool';
import { NEAR_FAR } from '../field/geometry';
import { appFactors } from '../field/vm';
import { vmForward } from '../field/vm-kernels';
import { gemm } from '../kernels/gemm';
import type { Model } from '../model';
import { planSamples } from '../render/samples';

/**
 * Data-dependent decoder init on the features the decoder sees at the start: the appearance
 * features of the in-box samples (u = 0) of 1024 evenly spaced training rays, at most 8192
 * samples. Runs on the cpu backend (the init reads tensors synchronously). Returns a one-line
 * description.
 */
export async function decoderDataInit(model: Model, pool: RayPool, step: number, nSamples: number): Promise<string> {
  const f = model.field;
  const nRays = Math.min(1024, pool.count);
  const rays = gatherRays(
    pool,
    Array.from({ length: nRays }, (_, i) => Math.floor((i * pool.count) / nRays)),
  );
  const plan = planSamples(rays.origins, rays.dirs, rays.count, {
    box: f.box,
    step,
    nSamples,
    near: NEAR_FAR[0],
    far: NEAR_FAR[1],
    jitter: null,
    mask: null,
  });
  const n = Math.min(8192, plan.count);
  const coords = new Float32Array(3 * n);
  const dirs = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const s = Math.floor((i * plan.count) / n);
    const r = plan.rayOf[s];
    for (let c = 0; c < 3; c++) {
      coords[3 * i + c] = plan.coords[3 * s + c];
      dirs[3 * i + c] = rays.dirs[3 * r + c];
    }
  }
  const products = vmForward(appFactors(f), coords, n, 'products');
  const feats = gemm(products, f.basis.data, n, 3 * f.appComps, f.appDim);
  const previous = tf.getBackend();
  if (previous !== 'cpu') await tf.setBackend('cpu');
  try {
    tf.tidy(() => model.decoder.dataInit!(tf.tensor2d(feats, [n, f.appDim]), tf.tensor2d(dirs, [n, 3])));
  } finally {
    if (previous !== 'cpu') await tf.setBackend(previous);
  }
  return `${model.decoder.name} data-dependent init on ${n} samples of ${nRays} rays`;
}
