/**
 * The VM sampling kernels (field/vm-kernels.ts) cut between the compute threads: the forward by
 * points, the backward by components, so every output entry is computed as on one thread and the
 * result has the same bits for any thread count. Factors that are not in shared memory yet are
 * copied there (the trainer's parameters already are: params.ts).
 */
import type { VMFactors, VMGradients, VMMode } from '../field/vm-kernels';
import { vmBackward, vmForward, vmGradientArrays, vmOutputLength } from '../field/vm-kernels';
import { Scratch, sharedF32 } from '../shared-memory';
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
  const g = vmGradientArrays(f, sharedF32);
  if (threads.size === 1) return vmBackward(f, coords, n, mode, dOut, g);
  const d = scratch.sharedCopy('dOut', dOut.subarray(0, vmOutputLength(f, n, mode)));
  threads.run('vmBackward', { ...sharedArgs(f, coords, n, mode), dOut: d, gPlanes: g.planes, gLines: g.lines }, f.comps);
  return g;
}
