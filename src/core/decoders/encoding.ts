/**
 * TensoRF's positional encoding and the decoder input [f, d, PE(f), PE(d)] (DESIGN.md section 5).
 */
import * as tf from '@tensorflow/tfjs-core';
import { deviceKernelsFor } from '../kernels/device-kernels';

import { FEA_PE, VIEW_PE } from './input-dim';
export { decoderInputDim, FEA_PE, VIEW_PE } from './input-dim';

/**
 * PE(x) for x [N, D]: [sin(x_0*2^0), sin(x_0*2^1), ..., sin(x_{D-1}*2^{F-1}), then the same cosines],
 * i.e. input by input, frequency fastest (TensoRF's `positional_encoding`). Output [N, 2*D*F].
 */
export function positionalEncoding(x: tf.Tensor2D, freqs: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, d] = x.shape;
    if (freqs <= 0) return tf.zeros([n, 0]) as tf.Tensor2D;
    const bands = tf.tensor1d(Array.from({ length: freqs }, (_, k) => 2 ** k));
    const pts = tf.reshape(tf.mul(tf.expandDims(x, 2), bands), [n, d * freqs]);
    return tf.concat([tf.sin(pts), tf.cos(pts)], 1) as tf.Tensor2D;
  });
}

/**
 * [features, dirs, PE(features), PE(dirs)]: 27 + 3 + 108 + 12 = 150 columns for 27 features; the
 * active backend's fused kernel where it registered one (DeviceKernels.decoderInput: gradients
 * w.r.t. the features only), else decoderInputTf.
 */
export function decoderInput(features: tf.Tensor2D, dirs: tf.Tensor2D, fePe = FEA_PE, viewPe = VIEW_PE): tf.Tensor2D {
  const fused = deviceKernelsFor(tf.getBackend())?.decoderInput;
  return fused ? fused(features, dirs, fePe, viewPe) : decoderInputTf(features, dirs, fePe, viewPe);
}

/** decoderInput in plain tf ops (the reference; differentiable w.r.t. both inputs). */
export function decoderInputTf(features: tf.Tensor2D, dirs: tf.Tensor2D, fePe = FEA_PE, viewPe = VIEW_PE): tf.Tensor2D {
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [features, dirs];
    if (fePe > 0) parts.push(positionalEncoding(features, fePe));
    if (viewPe > 0) parts.push(positionalEncoding(dirs, viewPe));
    return tf.concat(parts, 1) as tf.Tensor2D;
  });
}
