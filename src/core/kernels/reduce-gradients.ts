/**
 * Gradients of Sum and Mean that stay on the device. tfjs-core 4.22 differentiates both as
 * dy * ones(x.shape), and `ones` is made on the host and uploaded: every differentiated sum over
 * the samples of a batch moved its full size from host to device each step (measured: about
 * 294 MiB per quick step on webgpu, 95% of all uploads). Broadcasting dy to x's shape computes the
 * same numbers (dy * 1) with the backend's Tile kernel. Registered once for every backend by
 * initBackend; held to the stock gradients by test/core/kernels/reduce-gradients.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

let registered = false;

/** dy reshaped to x's rank (size 1 on the reduced axes). */
function expanded(dy: tf.Tensor, x: tf.Tensor, axis: number | number[] | undefined): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis as number[], x.shape);
  const shape = x.shape.slice();
  for (const a of axes) shape[a] = 1;
  return tf.reshape(dy, shape);
}

export function registerDeviceReduceGradients(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { axis } = attrs as unknown as tf.SumAttrs;
      return { x: () => tf.broadcastTo(expanded(dy as tf.Tensor, x, axis), x.shape) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { axis } = attrs as unknown as tf.MeanAttrs;
      const axes = tf.util.parseAxisParam(axis as number[], x.shape);
      const reduceSize = axes.reduce((n, a) => n * x.shape[a], 1);
      return { x: () => tf.div(tf.broadcastTo(expanded(dy as tf.Tensor, x, axis), x.shape), reduceSize) };
    },
  });
  registered = true;
}
