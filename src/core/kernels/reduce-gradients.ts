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

/** dy broadcast back to x's shape over the reduced axes, and how many entries each output reduced. */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: number | number[] | undefined): { g: tf.Tensor; count: number } {
  const axes = tf.util.parseAxisParam(axis as number[], x.shape);
  const shape = x.shape.slice();
  for (const a of axes) shape[a] = 1;
  return { g: tf.broadcastTo(tf.reshape(dy, shape), x.shape), count: axes.reduce((n, a) => n * x.shape[a], 1) };
}

/** Sum: dy at every entry; Mean: dy / count. */
const reduceGradient = (kernelName: string, mean: boolean): tf.GradConfig => ({
  kernelName,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { axis } = attrs as unknown as { axis: number | number[] };
    return {
      x: () => {
        const { g, count } = broadcastBack(dy as tf.Tensor, x, axis);
        return mean ? tf.div(g, count) : g;
      },
    };
  },
});

export function registerDeviceReduceGradients(): void {
  if (registered) return;
  tf.registerGradient(reduceGradient(tf.Sum, false));
  tf.registerGradient(reduceGradient(tf.Mean, true));
  registered = true;
}
