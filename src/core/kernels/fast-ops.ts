/**
 * Faster cpu-backend kernels for the shapes the decoders produce, registered over tfjs's own
 * (which index every element through generic broadcasting and buffer objects). Each handles
 * float32 tensors of the listed shapes and hands anything else to the original kernel:
 *   Add, Sub, Mul: equal shapes, a scalar operand, or [N, C] with [C] / [1, C] (row broadcast)
 *   Sum: rank-2 reduction over axis 0 (bias gradients) without tfjs's transpose
 *   SplitV: rank-2 split along the last axis (the gradient of concat) by row copies
 *   UnsortedSegmentSum: float32 rows with 1-D int32 ids (the gradient of gather) in one pass over
 *     the ids, where tfjs's costs segments x ids (36 s for 5,000 ids into a 4,096-row table);
 *     sums in double per segment and in id order, as tfjs's mask-and-sum does
 */
import type { CpuBackendLike } from './cpu-backend';
import * as tf from '@tensorflow/tfjs-core';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type Args = Parameters<KernelFunc>[0];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function override(name: string, fast: (args: Args, backend: CpuBackendLike) => tf.TensorInfo | tf.TensorInfo[] | null): void {
  const original = tf.getKernel(name, 'cpu');
  if (!original) throw new Error(`cpu kernel ${name} not found`);
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({
    kernelName: name,
    backendName: 'cpu',
    kernelFunc: (args) => fast(args, args.backend as unknown as CpuBackendLike) ?? original.kernelFunc(args),
  });
}

function binary(op: (x: number, y: number) => number) {
  return (args: Args, backend: CpuBackendLike): tf.TensorInfo | null => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const av = backend.data.get(a.dataId).values;
    const bv = backend.data.get(b.dataId).values;
    const na = size(a.shape);
    const nb = size(b.shape);
    const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    if (sameShape) {
      const out = new Float32Array(na);
      for (let i = 0; i < na; i++) out[i] = op(av[i], bv[i]);
      return backend.makeTensorInfo([...a.shape], 'float32', out);
    }
    if (nb === 1 && b.shape.length <= a.shape.length) {
      const y = bv[0];
      const out = new Float32Array(na);
      for (let i = 0; i < na; i++) out[i] = op(av[i], y);
      return backend.makeTensorInfo([...a.shape], 'float32', out);
    }
    if (na === 1 && a.shape.length <= b.shape.length) {
      const x = av[0];
      const out = new Float32Array(nb);
      for (let i = 0; i < nb; i++) out[i] = op(x, bv[i]);
      return backend.makeTensorInfo([...b.shape], 'float32', out);
    }
    const rowVec = (s: number[], c: number) => (s.length === 1 && s[0] === c) || (s.length === 2 && s[0] === 1 && s[1] === c);
    if (a.shape.length === 2 && rowVec(b.shape, a.shape[1])) {
      const [n, c] = a.shape;
      const out = new Float32Array(na);
      for (let r = 0; r < n; r++) for (let j = 0, o = r * c; j < c; j++) out[o + j] = op(av[o + j], bv[j]);
      return backend.makeTensorInfo([n, c], 'float32', out);
    }
    if (b.shape.length === 2 && rowVec(a.shape, b.shape[1])) {
      const [n, c] = b.shape;
      const out = new Float32Array(nb);
      for (let r = 0; r < n; r++) for (let j = 0, o = r * c; j < c; j++) out[o + j] = op(av[j], bv[o + j]);
      return backend.makeTensorInfo([n, c], 'float32', out);
    }
    return null;
  };
}

function sumAxis0(args: Args, backend: CpuBackendLike): tf.TensorInfo | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + x.shape.length : a));
  if (x.dtype !== 'float32' || x.shape.length !== 2 || axes.length !== 1 || axes[0] !== 0) return null;
  const [n, c] = x.shape;
  const v = backend.data.get(x.dataId).values;
  const acc = new Float64Array(c);
  for (let r = 0; r < n; r++) for (let j = 0, o = r * c; j < c; j++) acc[j] += v[o + j];
  return backend.makeTensorInfo(keepDims ? [1, c] : [c], 'float32', Float32Array.from(acc));
}

function splitLastAxis(args: Args, backend: CpuBackendLike): tf.TensorInfo[] | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
  if (x.dtype !== 'float32' || x.shape.length !== 2) return null;
  const ax = axis < 0 ? axis + 2 : axis;
  if (ax !== 1) return null;
  const [n, c] = x.shape;
  let sizes: number[];
  if (Array.isArray(numOrSizeSplits)) {
    sizes = [...numOrSizeSplits];
    const free = sizes.indexOf(-1);
    if (free >= 0) sizes[free] = c - sizes.reduce((s, v, i) => (i === free ? s : s + v), 0);
  } else {
    if (c % numOrSizeSplits !== 0) return null;
    sizes = new Array(numOrSizeSplits).fill(c / numOrSizeSplits);
  }
  if (sizes.reduce((s, v) => s + v, 0) !== c) return null;
  const v = backend.data.get(x.dataId).values as Float32Array;
  if (!(v instanceof Float32Array)) return null;
  let start = 0;
  return sizes.map((w) => {
    const out = new Float32Array(n * w);
    for (let r = 0; r < n; r++) out.set(v.subarray(r * c + start, r * c + start + w), r * w);
    start += w;
    return backend.makeTensorInfo([n, w], 'float32', out);
  });
}

function segmentSum(args: Args, backend: CpuBackendLike): tf.TensorInfo | null {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = args.attrs as unknown as { numSegments: number };
  if (x.dtype !== 'float32' || segmentIds.dtype !== 'int32' || segmentIds.shape.length !== 1 || x.shape[0] !== segmentIds.shape[0])
    return null;
  const xv = backend.data.get(x.dataId).values;
  const ids = backend.data.get(segmentIds.dataId).values;
  const n = segmentIds.shape[0];
  const c = n === 0 ? size(x.shape.slice(1)) : size(x.shape) / n;
  const acc = new Float64Array(numSegments * c);
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < numSegments)) continue;
    for (let j = 0, o = id * c, q = i * c; j < c; j++) acc[o + j] += xv[q + j];
  }
  return backend.makeTensorInfo([numSegments, ...x.shape.slice(1)], 'float32', Float32Array.from(acc));
}

let registered = false;

export function registerFastElementwise(): void {
  if (registered) return;
  override(
    tf.Add,
    binary((x, y) => x + y),
  );
  override(
    tf.Sub,
    binary((x, y) => x - y),
  );
  override(
    tf.Multiply,
    binary((x, y) => x * y),
  );
  override(tf.Sum, sumAxis0);
  override(tf.SplitV, splitLastAxis);
  override(tf.UnsortedSegmentSum, segmentSum);
  registered = true;
}
