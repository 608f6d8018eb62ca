/**
 * The scalars of one Adam update (PyTorch semantics, as train/adam.ts), shared by the plain-ops
 * update (train/adam-tf.ts) and the fused WebGPU one (kernels/webgpu-adam.ts), so that both use
 * the same constants, computed in double precision as the host update does:
 *   m' = beta1 m + (1 - beta1) g
 *   v' = beta2 v + (1 - beta2) g g
 *   p' = p - stepSize m' / (sqrt(v') / bc2 + eps),  stepSize = lr / (1 - beta1^t),  bc2 = sqrt(1 - beta2^t)
 */

export interface AdamUpdateOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** t, the 1-based number of this update (train/adam.ts increments its step before updating). */
  step: number;
}

export interface AdamScalars {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  stepSize: number;
  bc2: number;
  eps: number;
}

export function adamScalars(caller: string, o: AdamUpdateOptions): AdamScalars {
  if (!(Number.isInteger(o.step) && o.step >= 1))
    throw new Error(`${caller}: step must be an integer >= 1 (the update's 1-based count), got ${o.step}`);
  for (const k of ['lr', 'beta1', 'beta2', 'eps'] as const) {
    if (!Number.isFinite(o[k])) throw new Error(`${caller}: ${k} must be finite, got ${o[k]}`);
  }
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
    throw new Error(`${caller}: betas must be in [0, 1), got ${o.beta1}, ${o.beta2}`);
  return {
    beta1: o.beta1,
    oneMinusBeta1: 1 - o.beta1,
    beta2: o.beta2,
    oneMinusBeta2: 1 - o.beta2,
    stepSize: o.lr / (1 - o.beta1 ** o.step),
    bc2: Math.sqrt(1 - o.beta2 ** o.step),
    eps: o.eps,
  };
}

/** Throws unless param, m, v and grad have one shape and are float32. */
export function checkAdamInputs(
  caller: string,
  param: { shape: number[]; dtype: string },
  ...others: { shape: number[]; dtype: string }[]
): void {
  const names = ['m', 'v', 'grad'];
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (param.dtype !== 'float32') throw new Error(`${caller}: param must be float32, got ${param.dtype}`);
  others.forEach((t, i) => {
    if (!same(t.shape, param.shape)) throw new Error(`${caller}: ${names[i]} [${t.shape}] must have param's shape [${param.shape}]`);
    if (t.dtype !== 'float32') throw new Error(`${caller}: ${names[i]} must be float32, got ${t.dtype}`);
  });
}
