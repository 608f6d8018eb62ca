/**
 * Rendering a batch of rays on the device (DESIGN.md sections 3 and 4), for backends whose
 * tensors live there: density at every slot of the rays (device-slots.ts) -> sigma ->
 * compositing weights; the slots whose weight exceeds the threshold are compacted on the device
 * (prefix sums; only their count comes back); the appearance features and the decoder run on
 * those alone, and their colours are scattered back into the slots and composited on white.
 * The kernels come from a FieldOps (plain tf ops, or a backend's fused kernels).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Decoder } from '../decoders/types';
import type { ParamGroups } from '../params';
import type { DeviceSlots } from '../kernels/device-kernels';
import { deviceRange } from './device-slots';
import type { FieldOps } from './field-ops';
import type { RenderConstants } from './render-batch';

/** Compositing weights [R, n] at the slots (differentiable w.r.t. the density factors). */
export function slotWeights(ops: FieldOps, p: ParamGroups<tf.Tensor>, s: DeviceSlots, k: RenderConstants): tf.Tensor2D {
  return tf.tidy(() => {
    const feat = ops.vmSample(p.densityPlanes, p.densityLines, s.coords, 'sum', s.valid);
    const sigma = tf.mul(tf.softplus(tf.add(feat, k.densityShift)), s.valid);
    return ops.compositeWeights(tf.reshape(sigma, [s.nRays, s.n]) as tf.Tensor2D, s.delta, k.distanceScale);
  });
}

/** The selected slots: flat indices (int32 [A], in slot order) of the slots whose weight exceeds the threshold. */
export interface SlotSelection {
  count: number;
  idx: tf.Tensor1D;
}

/** Spreads the writes of unselected slots over this many dump entries, so no single address takes them all. */
const DUMP = 1024;

/**
 * Compacts the slots with w > threshold on the device: exclusive positions by a prefix sum, then
 * a scatter of slot ids to those positions (unselected slots go to dump entries past the end).
 * Reads back one number, the count.
 */
export async function selectSlots(w: tf.Tensor2D, threshold: number): Promise<SlotSelection> {
  const sel = tf.tidy(() => tf.cast(tf.greater(tf.reshape(w, [-1]), threshold), 'int32') as tf.Tensor1D);
  const countT = tf.sum(sel);
  const count = (await countT.data())[0];
  countT.dispose();
  if (count === 0) {
    sel.dispose();
    return { count, idx: tf.tensor1d([], 'int32') };
  }
  const idx = tf.tidy(() => {
    const total = sel.shape[0];
    const ids = tf.cast(deviceRange(total), 'int32'); // exact: a batch has far fewer than 2^24 slots
    const int = (v: number) => tf.scalar(v, 'int32');
    const pos = tf.sub(tf.cumsum(sel), int(1));
    const dump = tf.add(tf.mod(ids, int(DUMP)), int(count));
    const target = tf.where(tf.cast(sel, 'bool'), pos, dump);
    const scattered = tf.scatterND(tf.expandDims(target, 1), ids, [count + DUMP]);
    return tf.slice(scattered, [0], [count]) as tf.Tensor1D;
  });
  sel.dispose();
  return { count, idx };
}

/** Widest row of the colour path in floats, before the decoder's width: appearance products (144) and decoder input (150). */
const COLOUR_ROW_FLOATS = 256;

/**
 * Selected samples decoded together: every [rows, width] tensor of the colour path (appearance
 * products, decoder input and hidden layers) must fit in one device buffer (FieldOps.maxBufferBytes;
 * 128 MiB on lavapipe: 131,072 rows), or the device silently skips the program (kernels/webgpu-binding-guard.ts).
 */
export function decodeChunkRows(ops: FieldOps, decoder: Decoder): number {
  const rowBytes = 4 * Math.max(COLOUR_ROW_FLOATS, decoder.width);
  return Math.max(1, Math.floor(ops.maxBufferBytes() / rowBytes));
}

/**
 * Differentiable: rgb [R, 3] on white, clamped, from the weights `w` [R, n] (computed in the same
 * differentiated function) with only the selected slots decoded. `dirs` [R, 3] unit directions.
 */
export function slotColours(
  ops: FieldOps,
  decoder: Decoder,
  p: ParamGroups<tf.Tensor>,
  s: DeviceSlots,
  w: tf.Tensor2D,
  sel: SlotSelection,
  dirs: tf.Tensor2D,
): tf.Tensor2D {
  if (sel.count === 0) {
    const background = tf.sub(1, tf.sum(w, 1, true));
    // Nothing to decode: keep the appearance and decoder parameters in the graph with a zero
    // contribution, so that tfjs returns (zero) gradients for them. A chain of adds, not addN:
    // WebGPU allows only 8 storage buffers per shader stage.
    const rest = [...p.appPlanes, ...p.appLines, p.basis, ...p.decoder];
    const zero = tf.mul(
      rest.map((x) => tf.sum(x)).reduce((a, b) => tf.add(a, b)),
      0,
    );
    return tf.clipByValue(tf.add(tf.add(tf.zeros([s.nRays, 3]), background), zero), 0, 1) as tf.Tensor2D;
  }
  const slotsPerRay = tf.scalar(s.n, 'int32');
  const decode = (idx: tf.Tensor1D) => {
    const coords = tf.gather(s.coords, idx) as tf.Tensor2D;
    const rays = tf.floorDiv(idx, slotsPerRay);
    const app = ops.vmSample(p.appPlanes, p.appLines, coords, 'products') as tf.Tensor2D;
    const feat = tf.matMul(app, p.basis) as tf.Tensor2D;
    return decoder.apply(p.decoder, feat, tf.gather(dirs, rays) as tf.Tensor2D);
  };
  const rows = decodeChunkRows(ops, decoder);
  const rgb =
    sel.count <= rows
      ? decode(sel.idx)
      : tf.concat(
          Array.from({ length: Math.ceil(sel.count / rows) }, (_, c) =>
            decode(tf.slice(sel.idx, [c * rows], [Math.min(rows, sel.count - c * rows)])),
          ),
          0,
        );
  // The unselected slots' colours are 0 and every selected slot is valid, so the slots' own
  // validity as the mask composites exactly the decoded ones (no mask made per step).
  const slotsRgb = tf.reshape(scatterRows(sel.idx, rgb, s.nRays * s.n), [s.nRays, s.n, 3]) as tf.Tensor3D;
  const valid = tf.reshape(s.valid, [s.nRays, s.n]) as tf.Tensor2D;
  return tf.clipByValue(ops.accumulate(w, slotsRgb, valid), 0, 1) as tf.Tensor2D;
}

/**
 * Rows [A, k] written to the distinct rows `idx` of a zero [total, k] tensor, differentiable w.r.t.
 * the rows (tfjs registers no gradient for ScatterNd): the gradient is the rows of dy at idx.
 */
export function scatterRows(idx: tf.Tensor1D, rows: tf.Tensor2D, total: number): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor2D;
    return {
      value: tf.scatterND(tf.expandDims(idx, 1), x, [total, x.shape[1]]) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor) => tf.gather(dy, idx),
    };
  });
  return f(rows) as tf.Tensor2D;
}
