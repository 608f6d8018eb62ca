/**
 * The VM sampling kernels (field/vm-kernels.ts) cut between the compute threads: the forward by
 * points, the backward by components (after the points' interpolation taps, computed once, cut by
 * points), in units of one pair's block of 8 components (tasks.ts COMPONENT_BLOCK), so every output entry is computed as on one thread and the
 * result has the same bits for any thread count. Where WebAssembly SIMD runs them
 * (kernels/vm-wasm.ts, components a multiple of 4) every thread count uses those kernels, one
 * thread included; elsewhere the plain ones. Factors that are not in shared memory yet are
 * copied there (the trainer's parameters already are: params.ts).
 */
import type { VMFactors, VMGradients, VMMode } from '../field/vm-kernels';
import { tapArrays, vmBackward, vmForward, vmGradientArrays, vmOutputLength } from '../field/vm-kernels';
import { wasmVmAvailable, wasmVmBackward, wasmVmForward } from '../kernels/vm-wasm';
import { Scratch, sharedF32 } from '../shared-memory';
import { COMPONENT_BLOCK } from './tasks';
import { pool } from './threads';

const scratch = new Scratch();

function sharedArgs(f: VMFactors, coords: Float32Array, n: number, mode: VMMode) {
  return {
    planes: f.planes.map((a, i) => scratch.sharedCopy(`plane${i}`, a)),
    lines: f.lines.map((a, i) => scratch.sharedCopy(`line${i}`, a)),
    comps: f.comps,
    reso: f.reso,
    coords: scratch.sharedCopy('coords', coords.subarray(0, 3 * n)),
    n,
    mode,
  };
}

/**
 * `key`: see kernels/vm-wasm.ts (nonzero only for factors that do not change while it is used).
 * A 'products' result (the appearance features, [n, 3 * comps]) is one reused buffer, valid until
 * the next 'products' forward: a step's is consumed by its backward before the next step's
 * forward, a render chunk's by its decoder (fresh memory of this size every step cost page
 * faults, which two threads writing it at once serialise on).
 */
export function vmForwardThreads(f: VMFactors, coords: Float32Array, n: number, mode: VMMode, key = 0, keepTaps = false): Float32Array {
  const threads = pool();
  const simd = wasmVmAvailable(f.comps);
  if (threads.size === 1 && !simd) return vmForward(f, coords, n, mode);
  const len = vmOutputLength(f, n, mode);
  // every entry of a 'products' result is written; a 'sum' one is added to and starts at 0
  const out = mode === 'products' ? scratch.f32('out.products', len) : sharedF32(len);
  const records = keepTaps ? tapRecords(f, n, mode) : undefined;
  if (threads.size === 1) {
    wasmVmForward(f, coords, mode, out, 0, n, key, records && { words: records, n });
    return out;
  }
  threads.run('vmForward', { ...sharedArgs(f, coords, n, mode), out, key, records }, n);
  return out;
}

/**
 * The tap records a forward with `keepTaps` leaves for the backward of the same points and mode
 * (one buffer per mode: valid until the next forward of that mode with keepTaps).
 */
function tapRecords(f: VMFactors, n: number, mode: VMMode): Int32Array {
  return scratch.i32(`records.${mode}`, 8 * f.planes.length * n);
}

/** `tapsKept`: the last forward of these points and this mode ran with keepTaps (its tap records are read). */
export function vmBackwardThreads(
  f: VMFactors,
  coords: Float32Array,
  n: number,
  mode: VMMode,
  dOut: Float32Array,
  tapsKept = false,
): VMGradients {
  const threads = pool();
  const simd = wasmVmAvailable(f.comps);
  const units = f.planes.length * Math.ceil(f.comps / COMPONENT_BLOCK);
  const records = simd && tapsKept ? tapRecords(f, n, mode) : undefined;
  if (threads.size === 1 && !simd) return vmBackward(f, coords, n, mode, dOut, vmGradientArrays(f, sharedF32));
  if (threads.size === 1) {
    const g = vmGradientArrays(f, sharedF32);
    wasmVmBackward(f, coords, n, mode, dOut, g.planes, g.lines, 0, units, COMPONENT_BLOCK, records);
    return g;
  }
  // the gradients of a mode reuse their buffers from step to step (a step's are consumed by its
  // Adam update before the next step's backward); fresh zeroed memory costs page faults, which two
  // threads touching it at once serialise on. Each unit zeroes its own entries (vmBackward task).
  let k = 0;
  const g = vmGradientArrays(f, (len) => scratch.f32(`grad.${mode}.${k++}`, len));
  const d = scratch.sharedCopy('dOut', dOut.subarray(0, vmOutputLength(f, n, mode)));
  const args = sharedArgs(f, coords, n, mode);
  // the SIMD kernels fill their tap records in each thread's own memory
  if (simd) {
    threads.run('vmBackward', { ...args, taps: [], dOut: d, gPlanes: g.planes, gLines: g.lines, records }, units);
    return g;
  }
  // every point's taps once, cut by points; then the components, each thread reading all the taps
  const taps = f.planes.map((_, p) => {
    let ints = 0; // tapArrays asks for two Int32Arrays (plane and line offsets): two buffers
    return tapArrays(f.reso, p, f.comps, n, {
      i32: (k) => scratch.i32(`taps${p}.i${ints++}`, k),
      f64: (k) => scratch.f64(`taps${p}.w`, k),
      f32: (k) => scratch.f32(`taps${p}.fl`, k),
    });
  });
  threads.run('vmTaps', { ...args, taps }, n);
  threads.run('vmBackward', { ...args, taps, dOut: d, gPlanes: g.planes, gLines: g.lines }, units);
  return g;
}
