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
 * cpu); remove that part when a tfjs release keys CumProgram by the axis length.
 *
 * Also faster: an inclusive forward cumsum of a 1-D int32 or float32 tensor (the slot compaction
 * of render/device-render.ts and deviceRange in render/device-slots.ts, over every slot of a
 * batch or a test view) is a blocked scan (wgsl/scan.ts: block sums, their scan, a rescan; three
 * passes over the data) instead of tfjs's log2(n) passes: 38 programs and 118 ms of a 50x50 test
 * view's 680 ms on lavapipe. Held by test/core/kernels/webgpu-scan.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { blockSumsSource, rescanSource, SCAN_BLOCK } from './wgsl/scan';
import { MAIN, WgslProgram } from './webgpu-program';

class ScanBlockSumsProgram extends WgslProgram {}
class ScanProgram extends WgslProgram {}

/** Inclusive prefix sum of a 1-D int32 or float32 tensor, by blocks (recursive over the block sums). */
function blockedScan(backend: WebGPUBackend, x: tf.TensorInfo): tf.TensorInfo {
  const n = x.shape[0];
  const t = x.dtype === 'int32' ? 'i32' : 'f32';
  const blocks = Math.ceil(n / SCAN_BLOCK);
  const uniforms = [n, blocks].map((v) => ({ type: 'int32' as const, data: [v] }));
  const spec = { threads: blocks, uniforms: 'n : i32, blocks : i32,' };
  if (blocks === 1) {
    const one = new ScanProgram({
      ...spec,
      shaderKey: `tensorf_scan_${t}`,
      outputShape: [n],
      variableNames: ['x'],
      code: rescanSource(MAIN, t, false),
    });
    return backend.runWebGPUProgram(one, [x], x.dtype, uniforms);
  }
  const sumsProgram = new ScanBlockSumsProgram({
    ...spec,
    shaderKey: `tensorf_scan_sums_${t}`,
    outputShape: [blocks],
    variableNames: ['x'],
    code: blockSumsSource(MAIN, t),
  });
  const sums = backend.runWebGPUProgram(sumsProgram, [x], x.dtype, uniforms);
  const offsets = blockedScan(backend, sums);
  backend.disposeData(sums.dataId);
  const rescan = new ScanProgram({
    ...spec,
    shaderKey: `tensorf_scan_offsets_${t}`,
    outputShape: [n],
    variableNames: ['x', 'offsets'],
    code: rescanSource(MAIN, t, true),
  });
  const out = backend.runWebGPUProgram(rescan, [x, offsets], x.dtype, uniforms);
  backend.disposeData(offsets.dataId);
  return out;
}

/** Whether the blocked scan takes this cumsum: 1-D, forward, inclusive, int32 or float32, not empty. */
export function blockedScanApplies(x: tf.TensorInfo, attrs: tf.CumsumAttrs): boolean {
  return x.shape.length === 1 && x.shape[0] > 0 && !attrs.exclusive && !attrs.reverse && (x.dtype === 'int32' || x.dtype === 'float32');
}

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
      const x = (args.inputs as tf.CumsumInputs).x as tf.TensorInfo;
      if (blockedScanApplies(x, attrs)) return blockedScan(args.backend as unknown as WebGPUBackend, x);
      if (!attrs.reverse) return stockCumsum.kernelFunc(args);
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
