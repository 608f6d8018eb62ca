import { describe, expect, it } from 'vitest';
import { SchemaError } from '../../../src/core/errors';
import { decodeSnapshot, encodeSnapshot } from '../../../src/core/snapshot/snapshot-codec';
import { modelOfSnapshot, snapshotOf } from '../../../src/core/snapshot/snapshot-of';
import { fromHalfArray } from '../../../src/core/snapshot/half-float';
import { randomModel } from './random-model';

const plain = (s: object) => JSON.parse(JSON.stringify(s, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));

describe('model snapshot codec', () => {
  for (const decoder of ['mlp', 'siren', 'splitnet'] as const) {
    it(`${decoder}: encodes and decodes to the same snapshot, arrays as views`, () => {
      const { model, mask } = randomModel(decoder);
      const s = snapshotOf(model, mask, { iteration: 42, label: 'entry-1' });
      const bytes = encodeSnapshot(s);
      const d = decodeSnapshot(bytes);
      expect(plain(d)).toEqual(plain(s));
      expect(d.densityPlanes[0]).toBeInstanceOf(Uint16Array);
      expect(d.appLines[2]).toBeInstanceOf(Float32Array);
      expect(d.basis.buffer).toBe(bytes.buffer);
      expect(d.decoder.kind).toBe(decoder);
      if (decoder === 'siren') expect(d.decoder.omega).toBe(30);
      if (decoder === 'splitnet') expect(d.decoder.m).toBe(10);
    });
  }

  it('holds the planes in half floats within 2^-11 relative, the rest exactly', () => {
    const { model, mask } = randomModel('mlp');
    const s = snapshotOf(model, mask, { iteration: 1 });
    const p = model.field.appPlanes[1].data;
    const h = fromHalfArray(s.appPlanes[1] as Uint16Array);
    for (let i = 0; i < p.length; i++) expect(Math.abs(h[i] - p[i])).toBeLessThanOrEqual(Math.abs(p[i]) * 2 ** -11 + 2 ** -25);
    expect(Array.from(s.densityLines[0])).toEqual(Array.from(model.field.densityLines[0].data));
    const back = modelOfSnapshot(decodeSnapshot(encodeSnapshot(snapshotOf(model, mask, { iteration: 1, planes: 'f32' }))));
    for (let i = 0; i < 3; i++) expect(Array.from(back.model.field.appPlanes[i].data)).toEqual(Array.from(model.field.appPlanes[i].data));
    expect(Array.from(back.model.decoder.params[2].data)).toEqual(Array.from(model.decoder.params[2].data));
    expect(Array.from(back.mask!.data)).toEqual(Array.from(mask!.data));
  });

  it('encodes a model without a mask', () => {
    const { model } = randomModel('splitnet', 5, false);
    const d = decodeSnapshot(encodeSnapshot(snapshotOf(model, null, { iteration: 0 })));
    expect(d.mask).toBeNull();
    expect(d.maskData).toBeNull();
  });

  it('decodes from an unaligned buffer', () => {
    const { model, mask } = randomModel('mlp');
    const bytes = encodeSnapshot(snapshotOf(model, mask, { iteration: 3 }));
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeSnapshot(shifted.subarray(1)).iteration).toBe(3);
  });

  describe('refuses malformed snapshots with one SchemaError naming what is wrong', () => {
    const { model, mask } = randomModel('mlp');
    const good = encodeSnapshot(snapshotOf(model, mask, { iteration: 3 }));
    const headerLen = new DataView(good.buffer).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(good.subarray(12, 12 + headerLen)));
    /** The snapshot with its header replaced (re-padded; the arrays follow it unchanged). */
    const withHeader = (h: unknown): Uint8Array => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const padLen = ((12 + Math.max(json.length, headerLen) + 3) & ~3) - 12;
      const out = new Uint8Array(12 + padLen + (good.length - 12 - headerLen));
      out.set(good.subarray(0, 8));
      new DataView(out.buffer).setUint32(8, padLen, true);
      out.fill(0x20, 12, 12 + padLen);
      out.set(json, 12);
      out.set(good.subarray(12 + headerLen), 12 + padLen);
      return out;
    };
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['too short', () => good.subarray(0, 5), /too short/],
      ['wrong magic', () => Uint8Array.from(good, (b, i) => (i === 0 ? 0x41 : b)), /not a model snapshot/],
      ['truncated arrays', () => good.subarray(0, good.length - 8), /runs past the end/],
      [
        'header length past the end',
        () => {
          const b = good.slice();
          new DataView(b.buffer).setUint32(8, 1 << 30, true);
          return b;
        },
        /header length/,
      ],
      ['unknown field', () => withHeader({ ...header, extra: 1 }), /unknown field 'extra'/],
      ['grid side out of range', () => withHeader({ ...header, reso: [11, 9, 1] }), /snapshot\.reso\[2\]/],
      ['an array the grid does not imply', () => withHeader({ ...header, reso: [12, 9, 10] }), /snapshot\.arrays\[0\]/],
      [
        'a decoder kind we do not know',
        () => withHeader({ ...header, decoder: { ...header.decoder, kind: 'nerf' } }),
        /snapshot\.decoder\.kind/,
      ],
      ['an array count that does not match', () => withHeader({ ...header, arrays: header.arrays.slice(1) }), /snapshot\.arrays/],
      [
        'a misaligned offset',
        () => withHeader({ ...header, arrays: header.arrays.map((a: unknown[], i: number) => (i === 3 ? [a[0], a[1], 2, a[3]] : a)) }),
        /offset/,
      ],
    ];
    for (const [name, make, re] of cases) {
      it(name, () => {
        let err: unknown;
        try {
          decodeSnapshot(make());
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SchemaError);
        expect((err as Error).message).toMatch(re);
      });
    }
  });
});
