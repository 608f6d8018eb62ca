/**
 * The VM sampling kernels (field/vm-kernels.ts) cut between the compute threads: the forward by
 * points, the backward by components (after the points' interpolation taps, computed once, cut by
 * points), in units of one pair's block of 8 components (tasks.ts COMPONENT_BLOCK), so every output entry is computed as on one thread and the
 * result has the same bits for any thread count. Factors that are not in shared memory yet are
 * copied there (the trainer's parameters already are: params.ts).
 */
import type { VMFactors, VMGradients, VMMode } from '../field/vm-kernels';
import { tapArrays, vmBackward, vmForward, vmGradientArrays, vmOutputLength } from '../field/vm-kernels';
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

export function vmForwardThreads(f: VMFactors, coords: Float32Array, n: number, mode: VMMode): Float32Array {
  const threads = pool();
  if (threads.size === 1) return vmForward(f, coords, n, mode);
  const out = sharedF32(vmOutputLength(f, n, mode));
  threads.run('vmForward', { ...sharedArgs(f, coords, n, mode), out }, n);
  return out;
}

export function vmBackwardThreads(f: VMFactors, coords: Float32Array, n: number, mode: VMMode, dOut: Float32Array): VMGradients {
  const threads = pool();
  if (threads.size === 1) return vmBackward(f, coords, n, mode, dOut, vmGradientArrays(f, sharedF32));
  // the gradients of a mode reuse their buffers from step to step (a step's are consumed by its
  // Adam update before the next step's backward); fresh zeroed memory costs page faults, which two
  // threads touching it at once serialise on. Each unit zeroes its own entries (vmBackward task).
  let k = 0;
  const g = vmGradientArrays(f, (len) => scratch.f32(`grad.${mode}.${k++}`, len));
  const d = scratch.sharedCopy('dOut', dOut.subarray(0, vmOutputLength(f, n, mode)));
  const args = sharedArgs(f, coords, n, mode);
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
  const units = f.planes.length * Math.ceil(f.comps / COMPONENT_BLOCK);
  threads.run('vmBackward', { ...args, taps, dOut: d, gPlanes: g.planes, gLines: g.lines }, units);
  return g;
}
