/**
 * Everything a compute thread can run: a name, its arguments, and a function of a range lo..hi-1
 * (the calling thread runs part 0, workers the others; pool.ts). The functions are the plain
 * kernels on a sub-range; what each range means (points, components, rows, elements) is the
 * task's.
 */
import { type DecoderRows, type DecoderWeights, decoderBackwardRows, decoderForwardRows, type FusedSpec } from '../decoders/fused-cpu';
import { type BasisHead, wasmDecoderAvailable, wasmDecoderBackward, wasmDecoderForward } from '../decoders/fused-wasm';
import type { Vec3 } from '../field/geometry';
import { computeTaps, type Taps, type VMMode, vmBackwardTaps, vmForward } from '../field/vm-kernels';
import { adamRange } from '../kernels/adam-range';
import { wasmVmAvailable, wasmVmBackward, wasmVmForward } from '../kernels/vm-wasm';
import type { AdamScalars } from '../kernels/adam-scalars';

export interface VMArgs {
  planes: Float32Array[];
  lines: Float32Array[];
  comps: number;
  reso: Vec3;
  coords: Float32Array;
  n: number;
  mode: VMMode;
  /** With the SIMD kernels: nonzero keeps the factors in each thread's memory for the next forward of this key (kernels/vm-wasm.ts). */
  key?: number;
  /** With the SIMD kernels: the points' tap records, written by a forward, read by a backward of the same points (kernels/vm-wasm.ts). */
  records?: Int32Array;
}

export interface Tasks {
  /** Does nothing (start-up check); throws in part `throwInPart` (how a failing worker is tested). */
  ping: { throwInPart?: number };
  /** Range: points. */
  vmForward: VMArgs & { out: Float32Array };
  /** Range: points; fills every pair's taps of those points (the plain kernels' backward reads them). */
  vmTaps: VMArgs & { taps: Taps[] };
  /**
   * Range: units of (pair, block of COMPONENT_BLOCK components), pair-major; each gradient entry
   * belongs to one unit.
   */
  vmBackward: VMArgs & { taps: Taps[]; dOut: Float32Array; gPlanes: Float32Array[]; gLines: Float32Array[] };
  /**
   * Range: rows. With WebAssembly SIMD each thread keeps its rows' layers in its own memory for
   * the backward of the same `id` (decoders/fused-wasm.ts); without, they go to `b`'s buffers.
   */
  decoderForward: { spec: FusedSpec; w: DecoderWeights; b: DecoderRows; id: number; head?: BasisHead };
  /** Range: rows; part p writes its weight-gradient sums at p * total of `partials`. */
  decoderBackward: {
    spec: FusedSpec;
    w: DecoderWeights;
    b: DecoderRows;
    id: number;
    g: Float32Array;
    df: Float32Array;
    partials: Float32Array;
    total: number;
  };
  /** Range: elements of one parameter. */
  adam: { p: Float32Array; g: Float32Array; m: Float32Array; v: Float32Array; k: AdamScalars };
}

export type TaskName = keyof Tasks;
export type TaskArgs<K extends TaskName> = Tasks[K];

/**
 * Components per unit of the VM backward: 8 floats, half a cache line of a texel, so that the
 * density's 3 x 16 components make 6 units (3 and 3 on two threads; with 16 they made 3, cut 1:2)
 * and the appearance's 3 x 48 make 18 (9 and 9, against 4 and 5). Two threads share a line only
 * where one's last unit meets the next one's first: the first works on it at the end of its
 * range, the second at the start of its own, so not at the same time.
 */
export const COMPONENT_BLOCK = 8;

/** Entries c0..c1-1 of every texel of a channels-last array with `comps` channels set to 0. */
function zeroComponents(a: Float32Array, comps: number, c0: number, c1: number): void {
  for (let o = 0; o < a.length; o += comps) a.fill(0, o + c0, o + c1);
}

const factors = (a: VMArgs) => ({ planes: a.planes, lines: a.lines, comps: a.comps, reso: a.reso });

const TASKS: { [K in TaskName]: (args: Tasks[K], lo: number, hi: number, part: number, parts: number) => void } = {
  ping: (a, _lo, _hi, part) => {
    if (a.throwInPart === part) throw new Error(`ping failed in part ${part} as asked`);
  },
  vmForward: (a, lo, hi) => {
    if (wasmVmAvailable(a.comps))
      wasmVmForward(factors(a), a.coords, a.mode, a.out, lo, hi, a.key ?? 0, a.records && { words: a.records, n: a.n });
    else vmForward(factors(a), a.coords, a.n, a.mode, a.out, lo, hi);
  },
  vmTaps: (a, lo, hi) => {
    for (let p = 0; p < a.taps.length; p++) computeTaps(a.reso, p, a.comps, a.coords, lo, hi, a.taps[p], 0);
  },
  vmBackward: (a, lo, hi) => {
    if (wasmVmAvailable(a.comps)) {
      wasmVmBackward(factors(a), a.coords, a.n, a.mode, a.dOut, a.gPlanes, a.gLines, lo, hi, COMPONENT_BLOCK, a.records);
      return;
    }
    const blocks = Math.ceil(a.comps / COMPONENT_BLOCK);
    for (let u = lo; u < hi; u++) {
      const p = Math.floor(u / blocks);
      const c0 = (u % blocks) * COMPONENT_BLOCK;
      const c1 = Math.min(a.comps, c0 + COMPONENT_BLOCK);
      zeroComponents(a.gPlanes[p], a.comps, c0, c1);
      zeroComponents(a.gLines[p], a.comps, c0, c1);
      vmBackwardTaps(factors(a), a.taps, a.n, a.mode, a.dOut, { planes: a.gPlanes, lines: a.gLines }, c0, c1, p, p + 1);
    }
  },
  decoderForward: (a, lo, hi) => {
    if (wasmDecoderAvailable()) wasmDecoderForward(a.spec, a.w, a.b.f, a.b.d, a.b.out, lo, hi, a.id, a.head);
    else decoderForwardRows(a.spec, a.w, a.b, lo, hi);
  },
  decoderBackward: (a, lo, hi, part) => {
    const partial = a.partials.subarray(part * a.total, (part + 1) * a.total);
    if (wasmDecoderAvailable()) wasmDecoderBackward(a.spec, a.w, a.b.out, a.g, a.df, partial, lo, hi, a.id);
    else decoderBackwardRows(a.spec, a.w, a.b, a.g, a.df, partial, lo, hi);
  },
  adam: (a, lo, hi) => adamRange(a.p, a.g, a.m, a.v, a.k, lo, hi),
};

export function runTask<K extends TaskName>(task: K, args: Tasks[K], lo: number, hi: number, part: number, parts: number): void {
  const f = TASKS[task] as (args: Tasks[K], lo: number, hi: number, part: number, parts: number) => void;
  if (!f) throw new Error(`unknown thread pool task ${String(task)}`);
  f(args, lo, hi, part, parts);
}
