/**
 * vmSampleWebgpu: TensoRF's VM factor sampling (vmSampleTf in render/ops-tf.ts, same signature and
 * numbers) as fused WebGPU programs run through tfjs-backend-webgpu, so inputs and outputs stay
 * tfjs tensors on the device and tf.memory() counts them. This file is the glue: shape checks,
 * program objects, uniforms and the tf.customGrad; the WGSL is in wgsl/vm-sample.ts.
 *
 * Forward: one program per call; each output is computed directly from coords, the planes and the
 * lines (no [4, S, C] gathers). The three lines go in as one flat concatenation (small: 3 L C
 * floats), because WebGPU devices get 8 storage buffers per shader stage by default and tfjs
 * requests no more (lavapipe's adapter offers 16; tfjs's requestDevice does not ask for it): the
 * result plus plane0..2, lines, coords and valid make 7.
 *
 * Backward (gradients w.r.t. planes and lines; coords and valid get none): per pair, one program
 * scatters dy * bilinear weight * line value into the plane's gradient and one scatters
 * dy * linear weight * plane value into the line's, each binding only the other factor of its pair
 * (result, dy, coords, valid, other, bounds: 6 buffers); one program per factor then reads the
 * fixed-point sums back into float32. The scatter adds 64-bit fixed-point integers (low and high i32
 * words, the high word only when the low word's carry does not cancel it: mostly one atomicAdd per
 * contribution; header of wgsl/vm-sample.ts). Its power-of-two scale is taken on the device, with
 * no read-back, from max|dy * valid| times the max |factor| of the other kind (one-pass max-|x|
 * reductions into an i32 [3] buffer), so no sum can overflow, and each contribution is off by at
 * most M 2^-32 for that bound M. Why: WGSL has no float atomics, and tfjs's emulation is a
 * compare-and-swap loop that retries under contention (many samples hit one texel) and sums in an
 * order that changes from run to run; integer sums are exact, so these gradients are deterministic.
 * Plain 32-bit fixed point would need headroom for S contributions, a resolution of S M 2^-31
 * (2e-5 M at S = 50,000, worse at the millions of slots of a training step); the 64-bit sum takes S
 * out of the resolution. Alternatives measured on lavapipe (S = 50,000, 64^3): a scale with 2^60
 * of headroom (always two atomics) made the backward 2x slower; merging in registers the
 * contributions of consecutive samples that hit the same texels (a thread per 4 samples), 2x
 * slower for random samples and mixed for ray-ordered ones. A segmented reduction (bucket each
 * pair's 4S taps by texel, then one thread per texel-channel sums its bucket) would trade the
 * 6 S C atomics per pair for about 12 S, plus a count, a scan and a fill pass per factor: the next
 * step if a GPU profile shows the scatter dominating (on lavapipe an atomic costs 15-20 ns, and
 * the backward is 3-4x slower than the hand-written JS kernels of the cpu path). Per-factor
 * accumulators (not one for all three planes) keep each binding small: lavapipe's
 * maxStorageBufferBindingSize is 128 MiB, and an accumulator takes 8 bytes per value.
 *
 * Requires the webgpu backend to be active and every tensor to live on it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MAT_MODE, VEC_MODE } from '../field/geometry';
import {
  fixedDecodeSource,
  maxAbsSource,
  vmForwardSource,
  vmGradSource,
  WORKGROUP_SIZE,
  type KernelSource,
  type VMSampleMode,
} from './wgsl/vm-sample';

interface UniformValue {
  type: 'int32';
  data: number[];
}

/** The part of tfjs-backend-webgpu's WebGPUBackend used here. */
interface WebgpuBackendLike {
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms: UniformValue[],
    output?: tf.TensorInfo,
  ): tf.TensorInfo;
}

/** A tfjs-backend-webgpu program (the fields its runWebGPUProgram and makeShader read). */
class VMProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  /** tfjs replaces this with the full cache key (plus ranks, dtypes, names) when it runs. */
  shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];
  readonly uniforms: string;
  readonly atomic: boolean;
  readonly size = false;

  constructor(
    private readonly source: KernelSource,
    key: string,
    variableNames: string[],
    outputShape: number[],
    threads: number,
    atomic: boolean,
  ) {
    this.variableNames = variableNames;
    this.outputShape = outputShape;
    this.shaderKey = key;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    // tfjs spreads a dispatch over y (and z) when x exceeds maxComputeWorkgroupsPerDimension.
    this.dispatch = [Math.ceil(threads / WORKGROUP_SIZE), 1, 1];
    this.uniforms = source.uniformNames.map((n) => `${n} : i32, `).join('');
    this.atomic = atomic;
  }

  getUserCode(): string {
    return this.source.code;
  }
}

const sources = new Map<string, KernelSource>();
function sourceFor(key: string, build: () => KernelSource): KernelSource {
  let s = sources.get(key);
  if (!s) {
    s = build();
    sources.set(key, s);
  }
  return s;
}

interface Launch {
  key: string;
  source: KernelSource;
  inputs: [string, tf.Tensor][];
  outputShape: number[];
  dtype: tf.DataType;
  threads: number;
  uniforms: Record<string, number>;
  /** Accumulate into this tensor (atomic program) instead of a new output. */
  into?: tf.Tensor;
}

function launch(l: Launch): tf.Tensor {
  const backend = tf.backend() as unknown as WebgpuBackendLike;
  const program = new VMProgram(
    l.source,
    l.key,
    l.inputs.map(([n]) => n),
    l.outputShape,
    l.threads,
    l.into !== undefined,
  );
  const uniforms = l.source.uniformNames.map((n): UniformValue => {
    const v = l.uniforms[n];
    if (!Number.isInteger(v)) throw new Error(`vmSampleWebgpu: uniform ${n} of ${l.key} is ${v}`);
    return { type: 'int32', data: [v] };
  });
  const info = backend.runWebGPUProgram(
    program,
    l.inputs.map(([, t]) => t),
    l.dtype,
    uniforms,
    l.into,
  );
  return l.into ?? (tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor);
}

function forward(
  planes: tf.Tensor[],
  linesFlat: tf.Tensor,
  lines: tf.Tensor[],
  coords: tf.Tensor2D,
  mode: VMSampleMode,
  valid?: tf.Tensor1D,
): tf.Tensor {
  const S = coords.shape[0];
  const C = planes[0].shape[2] as number;
  const hasValid = valid !== undefined;
  const key = `tensorfVmForward_${mode}_${hasValid}`;
  return launch({
    key,
    source: sourceFor(key, () => vmForwardSource(mode, hasValid)),
    inputs: [
      ['plane0', planes[0]],
      ['plane1', planes[1]],
      ['plane2', planes[2]],
      ['lines', linesFlat],
      ['coords', coords],
      ...(hasValid ? ([['valid', valid]] as [string, tf.Tensor][]) : []),
    ],
    outputShape: mode === 'sum' ? [S] : [S, 3 * C],
    dtype: 'float32',
    threads: mode === 'sum' ? S : 3 * S,
    uniforms: {
      threads: mode === 'sum' ? S : 3 * S,
      lineLen0: lines[0].shape[0],
      lineLen1: lines[1].shape[0],
      lineLen2: lines[2].shape[0],
    },
  });
}

/** Workgroups of the max-|x| reductions: enough to fill a GPU, few atomics. */
const MAX_ABS_WORKGROUPS = 256;

/**
 * The contribution bounds of the fixed-point scatter (wgsl/vm-sample.ts FIXED): i32 [3] holding
 * the float bits of max|dy * valid|, max|line|, max|plane|, each a one-pass reduction on the device.
 */
function scatterBounds(dy: tf.Tensor, linesFlat: tf.Tensor, planes: tf.Tensor[], valid?: tf.Tensor1D): tf.Tensor {
  const bounds = tf.fill([3], 0, 'int32');
  const fold = (x: tf.Tensor, slot: number, v?: tf.Tensor1D) => {
    if (x.size === 0) return;
    const hasValid = v !== undefined;
    const key = `tensorfVmMaxAbs_${hasValid}`;
    const threads = WORKGROUP_SIZE * Math.min(MAX_ABS_WORKGROUPS, Math.ceil(x.size / WORKGROUP_SIZE));
    launch({
      key,
      source: sourceFor(key, () => maxAbsSource(hasValid)),
      inputs: [['x', tf.reshape(x, [-1])], ...(hasValid ? ([['valid', v]] as [string, tf.Tensor][]) : [])],
      outputShape: [3],
      dtype: 'int32',
      threads,
      uniforms: { threads, n: x.size, cols: hasValid ? x.size / v.shape[0] : 1, slot },
      into: bounds,
    });
  };
  fold(dy, 0, valid);
  fold(linesFlat, 1);
  for (const p of planes) fold(p, 2);
  return bounds;
}

/** Gradients w.r.t. plane0..2, line0..2. */
function backward(
  dy: tf.Tensor,
  planes: tf.Tensor[],
  lines: tf.Tensor[],
  linesFlat: tf.Tensor,
  coords: tf.Tensor2D,
  mode: VMSampleMode,
  valid?: tf.Tensor1D,
): tf.Tensor[] {
  return tf.tidy(() => {
    const S = coords.shape[0];
    const C = planes[0].shape[2] as number;
    const hasValid = valid !== undefined;
    const bounds = scatterBounds(dy, linesFlat, planes, valid);
    const grad = (p: number, target: 'plane' | 'line'): tf.Tensor => {
      const [H, W] = planes[p].shape as [number, number, number];
      const L = lines[p].shape[0];
      const shape = target === 'plane' ? [H, W, C] : [L, C];
      const n = shape.reduce((a, b) => a * b, 1);
      const acc = tf.fill([2 * n], 0, 'int32');
      const key = `tensorfVmGrad_${target}_${mode}_${hasValid}`;
      if (S > 0) {
        launch({
          key,
          source: sourceFor(key, () => vmGradSource(mode, hasValid, target)),
          inputs: [
            ['dy', dy],
            ['coords', coords],
            ...(hasValid ? ([['valid', valid]] as [string, tf.Tensor][]) : []),
            ['other', target === 'plane' ? lines[p] : planes[p]],
            ['bounds', bounds],
          ],
          outputShape: [2 * n],
          dtype: 'int32',
          threads: S,
          uniforms: {
            threads: S,
            pair: p,
            channels: C,
            height: H,
            width: W,
            lineLen: L,
            axisX: MAT_MODE[p][0],
            axisY: MAT_MODE[p][1],
            axisL: VEC_MODE[p],
          },
          into: acc,
        });
      }
      const decodeKey = 'tensorfVmFixedDecode';
      return launch({
        key: decodeKey,
        source: sourceFor(decodeKey, fixedDecodeSource),
        inputs: [
          ['acc', acc],
          ['bounds', bounds],
        ],
        outputShape: shape,
        dtype: 'float32',
        threads: n,
        uniforms: { threads: n, which: target === 'plane' ? 0 : 1 },
      });
    };
    return [0, 1, 2].map((p) => grad(p, 'plane')).concat([0, 1, 2].map((p) => grad(p, 'line')));
  });
}

function check(planes: tf.Tensor[], lines: tf.Tensor[], coords: tf.Tensor2D, mode: VMSampleMode, valid?: tf.Tensor1D): void {
  const fail = (msg: string): never => {
    throw new Error(`vmSampleWebgpu: ${msg}`);
  };
  if (tf.getBackend() !== 'webgpu') fail(`needs the webgpu backend, the active one is ${tf.getBackend()}`);
  if (planes.length !== MAT_MODE.length || lines.length !== VEC_MODE.length)
    fail(`expected 3 planes and 3 lines, got ${planes.length} and ${lines.length}`);
  if (mode !== 'sum' && mode !== 'products') fail(`unknown mode ${String(mode)}`);
  if (coords.rank !== 2 || coords.shape[1] !== 3) fail(`coords must be [S, 3], got [${coords.shape}]`);
  const S = coords.shape[0];
  const C = planes[0].shape[2] as number;
  for (let p = 0; p < 3; p++) {
    if (planes[p].rank !== 3 || planes[p].shape[2] !== C) fail(`plane ${p} must be [H, W, ${C}], got [${planes[p].shape}]`);
    if (lines[p].rank !== 2 || lines[p].shape[1] !== C) fail(`line ${p} must be [L, ${C}], got [${lines[p].shape}]`);
    if (Math.min(planes[p].shape[0], planes[p].shape[1] as number, lines[p].shape[0]) < 2)
      fail(`every factor axis needs at least 2 texels (pair ${p})`);
  }
  if (valid && (valid.rank !== 1 || valid.shape[0] !== S)) fail(`valid must be [${S}], got [${valid.shape}]`);
  for (const t of [...planes, ...lines, coords, ...(valid ? [valid] : [])])
    if (t.dtype !== 'float32') fail(`every input must be float32, got ${t.dtype}`);
  // Flat indices are i32 and every thread index must fit.
  if (3 * S * C >= 2 ** 31 || planes.some((p) => 2 * p.size >= 2 ** 31)) fail('too many samples or texels for 32-bit indices');
}

/**
 * VM factor sampling on WebGPU, with vmSampleTf's contract:
 *   planes 3 x [H, W, C] (W along MAT_MODE[p][0], H along MAT_MODE[p][1]), lines 3 x [L, C]
 *   (along VEC_MODE[p]), coords [S, 3] in [-1, 1] (clamped), aligned corners;
 *   mode 'sum' -> [S] = sum_p sum_c plane * line, 'products' -> [S, 3C], column p * C + c;
 *   valid [S] (optional, usually 1/0): the output is multiplied by it, and samples where it is 0
 *   cost nothing and scatter nothing back.
 * Differentiable w.r.t. planes and lines (tf.customGrad); coords and valid are constants.
 */
export function vmSampleWebgpu(
  planes: tf.Tensor[],
  lines: tf.Tensor[],
  coords: tf.Tensor2D,
  mode: VMSampleMode,
  valid?: tf.Tensor1D,
): tf.Tensor {
  check(planes, lines, coords, mode, valid);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ps = args.slice(0, 3) as tf.Tensor[];
    const ls = args.slice(3, 6) as tf.Tensor[];
    const save = args[6] as tf.GradSaveFunc;
    const linesFlat = tf.concat(ls.map((l) => tf.reshape(l, [-1])));
    const value = forward(ps, linesFlat, ls, coords, mode, valid);
    // Kept (as clones) until the backward pass, even if the caller disposes its own handles.
    save([coords, linesFlat, ...ps, ...ls, ...(valid ? [valid] : [])]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [c, lf, p0, p1, p2, l0, l1, l2, v] = saved;
        return backward(dy, [p0, p1, p2], [l0, l1, l2], lf, c as tf.Tensor2D, mode, v as tf.Tensor1D | undefined);
      },
    };
  });
  return op(...planes, ...lines);
}
