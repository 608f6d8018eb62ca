/**
 * A corrected WebGPU `Cumsum` kernel for @tensorflow/tfjs-backend-webgpu 4.22.
 *
 * Why: 4.22's CumProgram writes the length n of the scanned axis into the shader source when
 * `reverse` is set (`end + pow2 < n` in the scan passes, `end != n - 1` in the exclusive shift)
 * but caches the compiled pipeline under `cum_<op>_<exclusive>_<reverse>` plus ranks and dtypes,
 * without n. After the first reverse cumsum, every later one of the same rank and another n
 * silently runs the first one's program and returns wrong sums. A forward cumsum's gradient is a
 * reverse cumsum, so the gradient of the transmittance in compositeWeightsTf (render/ops-tf.ts) was
 * wrong whenever the dense layout's width changed, i.e. nearly every training step.
 * The forward (reverse = false) programs bake no size and are correct.
 *
 * The fix: a reverse cumsum is computed as reverse(forward cumsum(reverse(x))) along the axis,
 * with the stock forward Cumsum and the stock Reverse kernel (whose shader reads the shape from
 * uniforms). Held by test/core/kernels/webgpu-shapes.test.ts (several lengths in a row against
 * cpu); remove this file when a tfjs release keys CumProgram by the axis length.
 */
import * as tf from '@tensorflow/tfjs-core';

let registered = false;

export function registerWebgpuCumsumFix(): void {
  if (registered) return;
  const stockCumsum = tf.getKernel(tf.Cumsum, 'webgpu');
  const stockReverse = tf.getKernel(tf.Reverse, 'webgpu');
  if (!stockCumsum || !stockReverse) throw new Error('webgpu backend not loaded: import @tensorflow/tfjs-backend-webgpu first');
  const reverse = (x: tf.TensorInfo, axis: number, backend: tf.KernelBackend): tf.TensorInfo =>
    stockReverse.kernelFunc({ inputs: { x }, backend, attrs: { dims: [axis] } }) as tf.TensorInfo;

  tf.unregisterKernel(tf.Cumsum, 'webgpu');
  tf.registerKernel({
    kernelName: tf.Cumsum,
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as tf.CumsumAttrs;
      if (!attrs.reverse) return stockCumsum.kernelFunc(args);
      const x = (args.inputs as tf.CumsumInputs).x as tf.TensorInfo;
      const backend = args.backend as tf.KernelBackend;
      const flipped = reverse(x, attrs.axis, backend);
      const scanned = stockCumsum.kernelFunc({ inputs: { x: flipped }, backend, attrs: { ...attrs, reverse: false } }) as tf.TensorInfo;
      const out = reverse(scanned, attrs.axis, backend);
      backend.disposeData(flipped.dataId);
      backend.disposeData(scanned.dataId);
      return out;
    },
  });
  registered = true;
}
