import type { Decoder } from '../../../src/core/decoders/types';
/** Naive float64 reference forward passes of the decoders, written with plain loops (test helper). */

export function naivePE(x: number[], freqs: number): number[] {
  const pts: number[] = [];
  for (const v of x) for (let k = 0; k < freqs; k++) pts.push(v * 2 ** k);
  return [...pts.map(Math.sin), ...pts.map(Math.cos)];
}

export function naiveInput(f: number[], d: number[]): number[] {
  return [...f, ...d, ...naivePE(f, 2), ...naivePE(d, 2)];
}

/** y_j = sum_i x_i W[i, j] + b_j with W stored [fanIn, fanOut] row-major. */
export function naiveLinear(x: number[], w: Float32Array, b: Float32Array): number[] {
  const fanOut = b.length;
  const y: number[] = [];
  for (let j = 0; j < fanOut; j++) {
    let s = b[j];
    for (let i = 0; i < x.length; i++) s += x[i] * w[i * fanOut + j];
    y.push(s);
  }
  return y;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function naiveSplit(pre: number[], m: number): number[] {
  const k = pre.length / 4;
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    out.push(m * Math.tanh(pre[j]) * sigmoid(pre[k + j]) * Math.sin(pre[2 * k + j]) * Math.cos(pre[3 * k + j]));
  }
  return out;
}

/** rgb of one sample; `data` is one Float32Array per parameter (defaults to the decoder's own). */
export function naiveDecode(dec: Decoder, f: number[], d: number[], m = 10, data = dec.params.map((p) => p.data)): number[] {
  const x = naiveInput(f, d);
  let h1: number[];
  let h2: number[];
  if (dec.name === 'mlp') {
    h1 = naiveLinear(x, data[0], data[1]).map((v) => Math.max(0, v));
    h2 = naiveLinear(h1, data[2], data[3]).map((v) => Math.max(0, v));
  } else if (dec.name === 'siren') {
    h1 = naiveLinear(x, data[0], data[1]).map((v) => Math.sin(30 * v));
    h2 = naiveLinear(h1, data[2], data[3]).map((v) => Math.sin(30 * v));
  } else {
    h1 = naiveSplit(naiveLinear(x, data[0], data[1]), m);
    h2 = naiveSplit(naiveLinear(h1, data[2], data[3]), m);
  }
  return naiveLinear(h2, data[4], data[5]).map(sigmoid);
}
