/**
 * The fused decoder (decoders/fused-cpu.ts) cut between the compute threads by rows: each thread
 * runs the whole forward of its rows (input encoding, three GEMMs, bias, activations) and later
 * the whole backward of the same rows, with nothing exchanged in between. The weight gradients
 * are summed per thread and the partial sums added in thread order: the same bits for a given
 * thread count, and exactly the one-thread result with one. With WebAssembly SIMD each thread's
 * layers stay in its own WebAssembly memory between the two (decoders/fused-wasm.ts); without,
 * in shared row buffers reused from batch to batch.
 */
import { type DecoderRows, type DecoderWeights, type FusedSpec, gradientSizes, inputDim } from '../decoders/fused-cpu';
import { gemm } from '../kernels/gemm';
import { Scratch } from '../shared-memory';
import { pool } from './threads';
import { wasmDecoderAvailable } from '../decoders/fused-wasm';

/** GEMM tiles are 4 rows: cuts fall on multiples of 4 so every tile is the one-thread tile. */
const ROW_ALIGN = 4;

const scratch = new Scratch();
let generation = 0;

export interface DecoderPass {
  out: Float32Array; // [n, 3], a fresh array
  /**
   * From dL/dout [n, 3], once, before the next forward: dL/df [n, F] (with a head, dL/da [n, P]),
   * the decoder's weight gradients and, with a head, dL/dbasis.
   */
  backward(g: Float32Array): { df: Float32Array; dw: Float32Array[]; dBasis: Float32Array | null };
}

/** The appearance head in front of the decoder: f = a basis, a [n, P] and basis [P, F]. */
export interface HeadInput {
  a: Float32Array;
  basis: Float32Array;
  P: number;
}

/**
 * The forward of n rows of F features f [n, F] and directions d [n, 3] with weights [w1, b1, w2,
 * b2, w3, b3]; with `head` the features are a basis (f is then not read).
 */
export function decoderForwardThreads(
  spec: FusedSpec,
  weights: Float32Array[],
  shapes: number[][],
  f: Float32Array,
  d: Float32Array,
  n: number,
  F: number,
  head?: HeadInput,
): DecoderPass {
  const threads = pool();
  const [D0, Z1c] = shapes[0];
  const [H, Z2c] = shapes[2];
  if (D0 !== inputDim(F, spec.fePe, spec.viewPe)) throw new Error(`fused decoder: w1 has ${D0} rows for ${F} features`);
  const w: DecoderWeights = { w: weights.map((a, i) => scratch.sharedCopy(`w${i}`, a)), F, D0, Z1c, H, Z2c };
  const resident = wasmDecoderAvailable();
  // without WebAssembly SIMD the head runs before the decoder, on the calling thread
  const feats = head && !resident ? gemm(head.a, head.basis, n, head.P, F) : f;
  const wasmHead =
    head && resident
      ? { a: scratch.sharedCopy('a', head.a.subarray(0, n * head.P)), basis: scratch.sharedCopy('basis', head.basis), P: head.P }
      : undefined;
  // with WebAssembly SIMD the layers stay in each thread's own memory (fused-wasm.ts): no row buffers
  const rows = (name: string, c: number) => scratch.f32(name, resident ? 0 : n * c);
  const b: DecoderRows = {
    f: wasmHead ? scratch.f32('f', 0) : scratch.sharedCopy('f', feats.subarray(0, n * F)),
    d: scratch.sharedCopy('d', d.subarray(0, 3 * n)),
    x0: rows('x0', D0),
    z1: rows('z1', Z1c),
    h1: rows('h1', H),
    z2: rows('z2', Z2c),
    h2: rows('h2', H),
    out: scratch.f32('out', n * 3),
  };
  const mine = ++generation;
  threads.run('decoderForward', { spec, w, b, id: mine, head: wasmHead }, n, ROW_ALIGN);
  return {
    out: b.out.slice(),
    backward(gOut) {
      if (mine !== generation)
        throw new Error('fused decoder: a second forward ran before the backward of the first (its buffers are reused)');
      const { sizes: decoderSizes, total: decoderTotal } = gradientSizes(w);
      const sizes = wasmHead ? [...decoderSizes, wasmHead.P * F] : decoderSizes;
      const total = decoderTotal + (wasmHead ? wasmHead.P * F : 0);
      const g = scratch.sharedCopy('g', gOut);
      const df = scratch.f32('df', n * (wasmHead ? wasmHead.P : F));
      const partials = scratch.f32('partials', threads.size * total);
      threads.run('decoderBackward', { spec, w, b, id: mine, g, df, partials, total }, n, ROW_ALIGN);
      const flat = threads.size === 1 ? partials.slice(0, total) : sumParts(partials, threads.size, total);
      let o = 0;
      const dw = sizes.map((s) => {
        const a = flat.subarray(o, o + s);
        o += s;
        return a;
      });
      if (wasmHead) return { df: df.slice(), dw: dw.slice(0, 6), dBasis: dw[6] };
      if (!head) return { df: df.slice(), dw, dBasis: null };
      // the head's backward after the array decoder's: da = df basis^T, dbasis = a^T df
      return { df: gemm(df, head.basis, n, F, head.P, false, true), dw, dBasis: gemm(head.a, df, head.P, n, F, true) };
    },
  };
}

/** sum over parts of partials[p * total + i], in part order, in double. */
function sumParts(partials: Float32Array, parts: number, total: number): Float32Array {
  const acc = new Float64Array(total);
  for (let p = 0; p < parts; p++) for (let i = 0, o = p * total; i < total; i++) acc[i] += partials[o + i];
  return Float32Array.from(acc);
}
