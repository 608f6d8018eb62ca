import { DEFAULT_DECODER_OPTIONS } from '../../../src/core/decoders/defaults';
import type { DecoderOptions } from '../../../src/core/decoders/types';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DECODERS, createDecoder, decode } from '../../../src/core/decoders/decoder';
import { branchVariances } from '../../../src/core/decoders/splitnet';
import { countParams, paramTensors } from '../../../src/core/params';
import { Rng } from '../../../src/core/random';
import { naiveDecode, naiveInput, naiveLinear } from './naive';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const opts = (o: Partial<DecoderOptions> = {}): DecoderOptions => ({ ...DEFAULT_DECODER_OPTIONS, ...o });

/** n random feature rows in U(-1, 1) and unit directions. */
function batch(n: number, seed: number, inFeatures = 27): { f: number[][]; d: number[][] } {
  const rng = new Rng(seed);
  const f = Array.from({ length: n }, () => Array.from({ length: inFeatures }, () => rng.uniform(-1, 1)));
  const d = Array.from({ length: n }, () => {
    const v = [rng.normal(), rng.normal(), rng.normal()];
    const l = Math.hypot(...v);
    return v.map((x) => x / l);
  });
  return { f, d };
}

describe('decoder registry', () => {
  it('lists the three decoders', () => {
    expect(Object.keys(DECODERS)).toEqual(['mlp', 'siren', 'splitnet']);
  });

  it('rejects an unknown name, listing the known ones', () => {
    expect(() => createDecoder('foo', opts(), new Rng(0))).toThrow("unknown decoder 'foo' (known: mlp, siren, splitnet)");
    expect(() => createDecoder('toString', opts(), new Rng(0))).toThrow(/unknown decoder/);
  });

  it('names parameters decoder.lN.{w,b} in the network group, weights [in, out]', () => {
    const dec = createDecoder('mlp', opts(), new Rng(0));
    expect(dec.params.map((p) => p.name)).toEqual([
      'decoder.l1.w',
      'decoder.l1.b',
      'decoder.l2.w',
      'decoder.l2.b',
      'decoder.l3.w',
      'decoder.l3.b',
    ]);
    expect(dec.params.map((p) => p.shape)).toEqual([[150, 128], [128], [128, 128], [128], [128, 3], [3]]);
    expect(dec.params.every((p) => p.group === 'network')).toBe(true);
  });
});

describe('parameter counts (thesis Table 6.2)', () => {
  const cases: [string, number, number, number][] = [
    ['mlp', 0, 128, 36227],
    ['mlp', 119, 119, 32609],
    ['siren', 0, 128, 36227],
    ['splitnet', 0, 45, 35598],
    ['splitnet', 42, 42, 32721],
  ];
  for (const [name, width, effective, count] of cases) {
    it(`${name} width ${width || 'default'} has ${count}`, () => {
      const dec = createDecoder(name, opts({ width }), new Rng(1));
      expect(dec.width).toBe(effective);
      expect(countParams(dec.params)).toBe(count);
    });
  }
});

describe('forward passes agree with naive loops', () => {
  for (const name of ['mlp', 'siren', 'splitnet']) {
    it(name, () => {
      const dec = createDecoder(name, opts(), new Rng(7));
      const { f, d } = batch(6, 3);
      const out = decode(dec, tf.tensor2d(f), tf.tensor2d(d)).arraySync();
      for (let r = 0; r < f.length; r++) {
        const want = naiveDecode(dec, f[r], d[r]);
        for (let c = 0; c < 3; c++) {
          expect(Math.abs(out[r][c] - want[c])).toBeLessThan(2e-5);
          expect(out[r][c]).toBeGreaterThan(0);
          expect(out[r][c]).toBeLessThan(1);
        }
      }
    });
  }

  it('splitnet honours m', () => {
    const dec = createDecoder('splitnet', opts({ splitnetM: 3, width: 8 }), new Rng(2));
    const { f, d } = batch(3, 4);
    const out = decode(dec, tf.tensor2d(f), tf.tensor2d(d)).arraySync();
    for (let r = 0; r < 3; r++) {
      const want = naiveDecode(dec, f[r], d[r], 3);
      for (let c = 0; c < 3; c++) expect(Math.abs(out[r][c] - want[c])).toBeLessThan(2e-5);
    }
  });

  it('does not leak tensors', () => {
    const dec = createDecoder('splitnet', opts(), new Rng(7));
    const { f, d } = batch(4, 3);
    const ft = tf.tensor2d(f);
    const dt = tf.tensor2d(d);
    const p = paramTensors(dec.params);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) dec.apply(p, ft, dt).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a parameter list of the wrong shape', () => {
    const dec = createDecoder('mlp', opts(), new Rng(7));
    const p = paramTensors(dec.params).reverse();
    expect(() => dec.apply(p, tf.zeros([1, 27]) as tf.Tensor2D, tf.zeros([1, 3]) as tf.Tensor2D)).toThrow(/shape/);
  });
});

describe('initialisation', () => {
  const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

  it('mlp: U(+-1/sqrt(fan_in)), last bias 0', () => {
    const dec = createDecoder('mlp', opts(), new Rng(5));
    const [w1, b1, w2, , w3, b3] = dec.params;
    expect(maxAbs(w1.data)).toBeLessThanOrEqual(1 / Math.sqrt(150));
    expect(maxAbs(w1.data)).toBeGreaterThan(0.95 / Math.sqrt(150));
    expect(maxAbs(b1.data)).toBeLessThanOrEqual(1 / Math.sqrt(150));
    expect(maxAbs(w2.data)).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(maxAbs(w3.data)).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(Array.from(b3.data)).toEqual([0, 0, 0]);
  });

  for (const [flic, initc] of [
    [1, 6],
    [2, 40],
  ]) {
    it(`siren flic ${flic} initc ${initc}: W bounds`, () => {
      const dec = createDecoder('siren', opts({ sirenFlic: flic, sirenInitc: initc }), new Rng(5));
      const [w1, b1, w2, b2, w3] = dec.params;
      const hidden = Math.sqrt(initc / 128) / 30;
      expect(maxAbs(w1.data)).toBeLessThanOrEqual(flic / 150);
      expect(maxAbs(w1.data)).toBeGreaterThan((0.95 * flic) / 150);
      expect(maxAbs(w2.data)).toBeLessThanOrEqual(hidden);
      expect(maxAbs(w2.data)).toBeGreaterThan(0.95 * hidden);
      expect(maxAbs(w3.data)).toBeLessThanOrEqual(hidden);
      expect(maxAbs(b1.data)).toBeLessThanOrEqual(1 / Math.sqrt(150));
      expect(maxAbs(b2.data)).toBeLessThanOrEqual(1 / Math.sqrt(128));
      expect(maxAbs(b2.data)).toBeGreaterThan(0.5 / Math.sqrt(128));
    });
  }

  it('is deterministic in the seed', () => {
    const a = createDecoder('siren', opts(), new Rng(11));
    const b = createDecoder('siren', opts(), new Rng(11));
    const c = createDecoder('siren', opts(), new Rng(12));
    expect(a.params[2].data).toEqual(b.params[2].data);
    expect(a.params[2].data).not.toEqual(c.params[2].data);
  });

  it('splitnet default has no dataInit; lsuv does', () => {
    expect(createDecoder('splitnet', opts(), new Rng(0)).dataInit).toBeUndefined();
    expect(createDecoder('splitnet', opts({ splitnetInit: 'lsuv' }), new Rng(0)).dataInit).toBeTypeOf('function');
  });

  it('splitnet LSUV gives unit-variance branch pre-activations on the batch, layer by layer', () => {
    const dec = createDecoder('splitnet', opts({ splitnetInit: 'lsuv', width: 12 }), new Rng(9));
    const { f, d } = batch(64, 21);
    const ft = tf.tensor2d(f);
    const dt = tf.tensor2d(d);
    const before = tf.memory().numTensors;
    dec.dataInit!(ft, dt);
    expect(tf.memory().numTensors).toBe(before);
    // Naive: layer-1 and layer-2 pre-activations of every row with the rescaled parameters.
    const [w1, b1, w2, b2] = dec.params.map((p) => p.data);
    const pre1: number[] = [];
    const pre2: number[] = [];
    for (let r = 0; r < f.length; r++) {
      const p1 = naiveLinear(naiveInput(f[r], d[r]), w1, b1);
      pre1.push(...p1);
      const k = 12;
      const h1 = Array.from(
        { length: k },
        (_, j) => 10 * Math.tanh(p1[j]) * (1 / (1 + Math.exp(-p1[k + j]))) * Math.sin(p1[2 * k + j]) * Math.cos(p1[3 * k + j]),
      );
      pre2.push(...naiveLinear(h1, w2, b2));
    }
    for (const v of branchVariances(Float32Array.from(pre1), f.length, 12)) expect(v).toBeCloseTo(1, 4);
    for (const v of branchVariances(Float32Array.from(pre2), f.length, 12)) expect(v).toBeCloseTo(1, 4);
    // Outputs still valid colours.
    const out = decode(dec, ft, dt).dataSync();
    for (const v of out) expect(v > 0 && v < 1).toBe(true);
  });
});
