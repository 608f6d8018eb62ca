/**
 * SplitNet decoder: split(150 -> w), split(w -> w), linear w -> 3, sigmoid, where
 *   split(n -> k, m)(x) = m * tanh(a) * sigmoid(b) * sin(c) * cos(e),
 * and [a, b, c, e] are the four k-wide column slices (in that order) of ONE linear map n -> 4k
 * with bias (weight stored [n, 4k]). Init: framework default U(+-1/sqrt(fan_in)) for every weight
 * and bias. m is not trained.
 *
 * LSUV (`splitnetInit: 'lsuv'`, applied by `dataInit` once before training on a batch of real
 * features/dirs): for each split layer in order (layer 1, then layer 2 fed by the already
 * rescaled layer 1), compute its pre-activation P = x W + b on the batch; for each branch
 * j in {a, b, c, e}, take the population variance v_j of all N*k entries of that branch's
 * column block, and multiply that block's weight columns AND bias entries by 1/sqrt(v_j).
 * Since P is linear in (W, b), the branch pre-activation then has variance exactly 1 on the
 * batch (its mean is scaled too, not removed). One pass, no iteration; a branch with
 * v_j < 1e-12 is left alone. The final linear layer keeps its default init.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Param } from '../params';
import type { Rng } from '../random';
import { DECODER_DEFAULT_WIDTH } from './defaults';
import type { Decoder, DecoderOptions } from './types';
import { decoderInput, decoderInputDim, FEA_PE, VIEW_PE } from './encoding';
import { checkParams, defaultBound, linear, linearParams } from './layers';

export const SPLITNET_BRANCHES = 4;

/** m * tanh(a) * sigmoid(b) * sin(c) * cos(e) of a pre-activation [N, 4k]. */
export function splitActivation(pre: tf.Tensor2D, m: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [a, b, c, e] = tf.split(pre, SPLITNET_BRANCHES, 1);
    return tf.mul(tf.mul(tf.mul(tf.tanh(a), tf.sigmoid(b)), tf.mul(tf.sin(c), tf.cos(e))), m) as tf.Tensor2D;
  });
}

/** Population variance of each of the 4 column blocks of a row-major [rows, 4k] array. */
export function branchVariances(pre: Float32Array, rows: number, k: number): number[] {
  const cols = SPLITNET_BRANCHES * k;
  const out: number[] = [];
  for (let j = 0; j < SPLITNET_BRANCHES; j++) {
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < rows; r++) {
      const base = r * cols + j * k;
      for (let c = 0; c < k; c++) {
        const v = pre[base + c];
        s += v;
        s2 += v * v;
      }
    }
    const n = rows * k;
    const mean = s / n;
    out.push(Math.max(0, s2 / n - mean * mean));
  }
  return out;
}

/** Multiplies branch j's weight columns and bias entries by scale[j], in place. */
function scaleBranches(w: Param, b: Param, k: number, scale: number[]): void {
  const [fanIn, cols] = w.shape;
  for (let r = 0; r < fanIn; r++) {
    for (let c = 0; c < cols; c++) w.data[r * cols + c] *= scale[Math.floor(c / k)];
  }
  for (let c = 0; c < cols; c++) b.data[c] *= scale[Math.floor(c / k)];
}

export function createSplitnet(opts: DecoderOptions, rng: Rng): Decoder {
  const width = opts.width > 0 ? opts.width : DECODER_DEFAULT_WIDTH.splitnet;
  const m = opts.splitnetM;
  const inDim = decoderInputDim(opts.inFeatures);
  const wide = SPLITNET_BRANCHES * width;
  const params = [
    ...linearParams('decoder.l1', inDim, wide, rng, defaultBound(inDim), defaultBound(inDim)),
    ...linearParams('decoder.l2', width, wide, rng, defaultBound(width), defaultBound(width)),
    ...linearParams('decoder.l3', width, 3, rng, defaultBound(width), defaultBound(width)),
  ];

  const decoder: Decoder = {
    name: 'splitnet',
    width,
    params,
    fused: { act: { kind: 'split', m }, fePe: FEA_PE, viewPe: VIEW_PE },
    apply(p, features, dirs) {
      checkParams('splitnet', params, p);
      return tf.tidy(() => {
        const x = decoderInput(features, dirs);
        const h1 = splitActivation(linear(x, p[0], p[1]), m);
        const h2 = splitActivation(linear(h1, p[2], p[3]), m);
        return tf.sigmoid(linear(h2, p[4], p[5]));
      });
    },
  };

  if (opts.splitnetInit === 'lsuv') {
    decoder.dataInit = (features, dirs) => {
      let x = decoderInput(features, dirs);
      for (let layer = 0; layer < 2; layer++) {
        const w = params[2 * layer];
        const b = params[2 * layer + 1];
        const pre = tf.tidy(() => linear(x, tf.tensor(w.data, w.shape), tf.tensor(b.data, b.shape)));
        const vars = branchVariances(pre.dataSync() as Float32Array, x.shape[0], width);
        pre.dispose();
        scaleBranches(
          w,
          b,
          width,
          vars.map((v) => (v < 1e-12 ? 1 : 1 / Math.sqrt(v))),
        );
        const next = tf.tidy(() => splitActivation(linear(x, tf.tensor(w.data, w.shape), tf.tensor(b.data, b.shape)), m));
        x.dispose();
        x = next;
      }
      x.dispose();
    };
  }
  return decoder;
}
