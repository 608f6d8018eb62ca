/**
 * Plain-tf-ops versions of the VM sampling and compositing ops (DESIGN.md section 3): no dataSync,
 * no custom gradients, so they run on any backend (webgpu, tensorflow, cpu) and get their
 * gradients from tfjs autodiff. They compute the same numbers as the hand-written JS kernels in
 * field/vm-kernels.ts and render/composite.ts (held to them by test/core/render/ops-tf.test.ts).
 *
 * Differences in data layout from the JS path: coordinates are a tensor, and the compositing ops
 * work on dense [R, N] ray x sample grids (0 sigma where a ray has no sample) instead of the packed
 * layout, since a dense grid is what the backends handle well.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MAT_MODE, VEC_MODE } from '../field/geometry';
import type { VMMode } from '../field/vm-kernels';
import { T_EPS } from './composite';

interface AxisTap {
  /** Lower texel index, int32 [S], clamped to [0, n - 2]. */
  i0: tf.Tensor1D;
  /** Fraction towards i0 + 1, float32 [S], in [0, 1]. */
  f: tf.Tensor1D;
}

/**
 * Aligned-corner tap along one axis of n texels, as axisTap in vm-kernels.ts:
 * px = clamp((x + 1) / 2 * (n - 1), 0, n - 1), i0 = min(floor(px), n - 2), f = px - i0.
 */
function axisTapTf(x: tf.Tensor1D, n: number): AxisTap {
  if (!(n >= 2)) throw new Error(`vmSampleTf: every factor axis needs at least 2 texels, got ${n}`);
  const px = tf.clipByValue(tf.mul(tf.add(x, 1), 0.5 * (n - 1)), 0, n - 1);
  const i0f = tf.minimum(tf.floor(px), n - 2);
  return { i0: tf.cast(i0f, 'int32') as tf.Tensor1D, f: tf.sub(px, i0f) as tf.Tensor1D };
}

/** [1 - f, f] as [2, S]. */
function linearWeights(f: tf.Tensor1D): tf.Tensor2D {
  return tf.stack([tf.sub(1, f), f]) as tf.Tensor2D;
}

/**
 * Samples the VM factors at normalised coords [S, 3] (in [-1, 1]; clamped like the JS kernels).
 *   planes: 3 x [H, W, C], W along axis MAT_MODE[p][0], H along MAT_MODE[p][1]
 *   lines:  3 x [L, C],    L along axis VEC_MODE[p]
 * mode 'sum' -> [S] = sum_p sum_c plane_p[c] * line_p[c]; 'products' -> [S, 3C], column p*C + c.
 * Bilinear plane taps are one gather of 4S rows from the plane viewed as [H*W, C]; linear line
 * taps one gather of 2S rows. Differentiable w.r.t. planes and lines (gather's gradient); coords
 * are treated as constants. With `valid` [S] (1/0 floats, for the padding slots of a dense layout)
 * the result is multiplied by it (per sample), so padded samples give 0 and get no gradient.
 * kernels/webgpu-vm.ts vmSampleWebgpu is the fused WebGPU version of this function.
 */
export function vmSampleTf(planes: tf.Tensor[], lines: tf.Tensor[], coords: tf.Tensor2D, mode: VMMode, valid?: tf.Tensor1D): tf.Tensor {
  if (planes.length !== MAT_MODE.length || lines.length !== VEC_MODE.length) {
    throw new Error(
      `vmSampleTf: expected ${MAT_MODE.length} planes and ${VEC_MODE.length} lines, got ${planes.length} and ${lines.length}`,
    );
  }
  if (coords.rank !== 2 || coords.shape[1] !== 3) throw new Error(`vmSampleTf: coords must be [S, 3], got [${coords.shape}]`);
  const C = planes[0].shape[2] as number;
  for (let p = 0; p < planes.length; p++) {
    if (planes[p].rank !== 3 || planes[p].shape[2] !== C)
      throw new Error(`vmSampleTf: plane ${p} must be [H, W, ${C}], got [${planes[p].shape}]`);
    if (lines[p].rank !== 2 || lines[p].shape[1] !== C) throw new Error(`vmSampleTf: line ${p} must be [L, ${C}], got [${lines[p].shape}]`);
  }
  if (valid && (valid.rank !== 1 || valid.shape[0] !== coords.shape[0]))
    throw new Error(`vmSampleTf: valid must be [${coords.shape[0]}], got [${valid.shape}]`);
  return tf.tidy(() => {
    const S = coords.shape[0];
    const axes = tf.unstack(coords, 1) as tf.Tensor1D[];
    // Taps depend only on (axis, texel count); planes and lines share axes, so cache them.
    const taps = new Map<string, AxisTap>();
    const tap = (axis: number, n: number): AxisTap => {
      const key = `${axis}:${n}`;
      let t = taps.get(key);
      if (!t) {
        t = axisTapTf(axes[axis], n);
        taps.set(key, t);
      }
      return t;
    };
    const perPair: tf.Tensor2D[] = [];
    for (let p = 0; p < planes.length; p++) {
      const [H, W] = planes[p].shape as [number, number, number];
      const L = lines[p].shape[0];
      const tx = tap(MAT_MODE[p][0], W);
      const ty = tap(MAT_MODE[p][1], H);
      const tl = tap(VEC_MODE[p], L);

      // Plane: rows (y0, x0), (y0, x0+1), (y0+1, x0), (y0+1, x0+1) of the [H*W, C] view.
      const base = tf.add(tf.mul(ty.i0, tf.scalar(W, 'int32')), tx.i0);
      const planeIdx = tf.reshape(tf.add(tf.expandDims(base, 0), tf.tensor2d([0, 1, W, W + 1], [4, 1], 'int32')), [4 * S]);
      const planeRows = tf.reshape(tf.gather(tf.reshape(planes[p], [H * W, C]), planeIdx), [4, S, C]);
      // [wy0*wx0, wy0*wx1, wy1*wx0, wy1*wx1], matching the row order above.
      const wPlane = tf.reshape(tf.mul(tf.expandDims(linearWeights(ty.f), 1), tf.expandDims(linearWeights(tx.f), 0)), [4, S, 1]);
      const planeVal = tf.sum(tf.mul(planeRows, wPlane), 0);

      // Line: rows l0, l0+1.
      const lineIdx = tf.reshape(tf.add(tf.expandDims(tl.i0, 0), tf.tensor2d([0, 1], [2, 1], 'int32')), [2 * S]);
      const lineRows = tf.reshape(tf.gather(lines[p], lineIdx), [2, S, C]);
      const lineVal = tf.sum(tf.mul(lineRows, tf.reshape(linearWeights(tl.f), [2, S, 1])), 0);

      perPair.push(tf.mul(planeVal, lineVal) as tf.Tensor2D);
    }
    const products = tf.concat(perPair, 1) as tf.Tensor2D; // [S, 3C], column p*C + c
    if (mode === 'sum') return valid ? tf.mul(tf.sum(products, 1), valid) : tf.sum(products, 1);
    return valid ? tf.mul(products, tf.expandDims(valid, 1)) : products;
  });
}

/**
 * Compositing weights on a dense [R, N] grid (samples in order along each ray; sigma 0 where a
 * ray has no sample, which only multiplies T by 1 + 1e-10, as the packed JS path drops it):
 *   alpha = 1 - exp(-sigma * delta * scale)
 *   T_k   = prod_{j<k} (1 - alpha_j + 1e-10) = exp(exclusive cumsum of log(...))
 *   w     = alpha * T
 * For float32 accuracy alpha is -expm1(-x) and 1 - alpha is exp(-x) (equal in exact arithmetic,
 * without the cancellation of 1 - (1 - exp(-x))).
 * The gradient of the cumsum is a reverse cumsum, which tfjs-backend-webgpu 4.22 gets wrong for
 * a second row length; initBackend registers the corrected kernel (kernels/webgpu-cumsum.ts).
 */
export function compositeWeightsTf(sigma: tf.Tensor2D, delta: tf.Tensor2D, scale: number): tf.Tensor2D {
  if (sigma.rank !== 2 || !tf.util.arraysEqual(sigma.shape, delta.shape)) {
    throw new Error(`compositeWeightsTf: sigma [${sigma.shape}] and delta [${delta.shape}] must both be [R, N]`);
  }
  return tf.tidy(() => {
    const negX = tf.neg(tf.mul(tf.mul(sigma, delta), scale));
    const alpha = tf.neg(tf.expm1(negX));
    const logTrans = tf.log(tf.add(tf.exp(negX), T_EPS));
    const T = tf.exp(tf.cumsum(logTrans, 1, true));
    return tf.mul(alpha, T) as tf.Tensor2D;
  });
}

/**
 * rgb [R, 3] = sum_n w * mask * rgb + (1 - sum_n w) (white background). `mask` (1 where the
 * sample was decoded, i.e. w > threshold) gets no gradient. Build it with `decodeMaskTf` or from
 * values outside the differentiated function: a mask from tf.greater(w, ...) inside it would put
 * Greater, which has no gradient in tfjs, on the backward path.
 */
export function accumulateTf(w: tf.Tensor2D, rgb: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const [R, N] = w.shape;
  if (!tf.util.arraysEqual(mask.shape, [R, N]) || !tf.util.arraysEqual(rgb.shape, [R, N, 3])) {
    throw new Error(`accumulateTf: expected w and mask [${R}, ${N}] and rgb [${R}, ${N}, 3], got mask [${mask.shape}], rgb [${rgb.shape}]`);
  }
  return tf.tidy(() => {
    const colour = tf.sum(tf.mul(tf.expandDims(tf.mul(w, mask), 2), rgb), 1);
    const background = tf.sub(1, tf.sum(w, 1, true));
    return tf.add(colour, background) as tf.Tensor2D;
  });
}

/**
 * mask = 1 where w > threshold, else 0, as float32, with a zero gradient (tf.step), so it can be
 * built inside a differentiated function and passed to accumulateTf.
 */
export function decodeMaskTf(w: tf.Tensor2D, threshold: number): tf.Tensor2D {
  return tf.tidy(() => tf.step(tf.sub(w, threshold)) as tf.Tensor2D);
}
