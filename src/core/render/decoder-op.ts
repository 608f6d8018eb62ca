/**
 * The fused CPU decoder as a differentiable tfjs op: it drops in for `Decoder.apply` on the cpu
 * backend (render-batch.ts); the rows are cut between the compute threads (parallel/decoder.ts).
 * The view directions get no gradient (they are data).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FusedSpec } from '../decoders/fused-cpu';
import { decoderForwardThreads } from '../parallel/decoder';

const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;

/** rgb [N, 3] = decoder(features [N, F], dirs [N, 3]) with params [w1, b1, w2, b2, w3, b3]. */
export function fusedDecoder(spec: FusedSpec, p: tf.Tensor[], features: tf.Tensor2D, dirs: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ts = args.slice(0, 8) as tf.Tensor[];
    const [fT, dT, ...wT] = ts;
    const [n, F] = fT.shape as [number, number];
    const pass = decoderForwardThreads(
      spec,
      wT.map(f32),
      wT.map((t) => t.shape),
      f32(fT),
      f32(dT),
      n,
      F,
    );
    const gradFunc = (dy: tf.Tensor) => {
      const { df, dw } = pass.backward(f32(dy));
      return [tf.tensor2d(df, [n, F]), tf.zerosLike(dT), ...dw.map((a, i) => tf.tensor(a, wT[i].shape))];
    };
    return { value: tf.tensor2d(pass.out, [n, 3]), gradFunc };
  });
  return op(features, dirs, ...p) as tf.Tensor2D;
}

/**
 * rgb [N, 3] = decoder(appFeat [N, P] basis [P, F], dirs [N, 3]): the basis matrix and the
 * decoder as one op, so each thread runs both on its rows (the features never leave its memory).
 * The same values and gradients as tf.matMul followed by fusedDecoder (a test holds them).
 */
export function appearanceDecoder(spec: FusedSpec, basis: tf.Tensor, p: tf.Tensor[], appFeat: tf.Tensor2D, dirs: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ts = args.slice(0, 9) as tf.Tensor[];
    const [aT, dT, bT, ...wT] = ts;
    const [n, P] = aT.shape as [number, number];
    const F = bT.shape[1] as number;
    const pass = decoderForwardThreads(
      spec,
      wT.map(f32),
      wT.map((t) => t.shape),
      new Float32Array(0),
      f32(dT),
      n,
      F,
      { a: f32(aT), basis: f32(bT), P },
    );
    const gradFunc = (dy: tf.Tensor) => {
      const { df, dw, dBasis } = pass.backward(f32(dy));
      return [tf.tensor2d(df, [n, P]), tf.zerosLike(dT), tf.tensor(dBasis!, bT.shape), ...dw.map((a, i) => tf.tensor(a, wT[i].shape))];
    };
    return { value: tf.tensor2d(pass.out, [n, 3]), gradFunc };
  });
  return op(appFeat, dirs, basis, ...p) as tf.Tensor2D;
}
