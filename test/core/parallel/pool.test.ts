/**
 * The compute threads (src/core/parallel): the range cut, the pool's protocol (every range run
 * once, errors from a worker reach the caller, unshared arrays refused), and every threaded kernel
 * held to its one-thread reference: the VM sampling forward and backward (the plain kernels, or
 * where components come in fours the SIMD ones, as on one thread) and the Adam update bit for bit, the decoder's forward bit for bit and its weight gradients to float rounding.
 */
import { statSync, utimesSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { workerScript } from '../../../src/core/parallel/worker-script';
import { splitRange } from '../../../src/core/parallel/split';
import { pool, startThreads, stopThreads } from '../../../src/core/parallel/threads';
import { sharedF32 } from '../../../src/core/shared-memory';
import { type VMMode, vmBackward, vmForward, type VMFactors, vmGradientArrays, vmOutputLength } from '../../../src/core/field/vm-kernels';
import { wasmVmAvailable, wasmVmBackward, wasmVmForward } from '../../../src/core/kernels/vm-wasm';
import { COMPONENT_BLOCK } from '../../../src/core/parallel/tasks';
import { vmBackwardThreads, vmForwardThreads } from '../../../src/core/parallel/vm';
import { planeShape, lineShape } from '../../../src/core/field/vm-kernels';
import type { Vec3 } from '../../../src/core/field/geometry';
import { Rng } from '../../../src/core/random';
import { type FusedSpec, inputDim } from '../../../src/core/decoders/fused-cpu';
import { decoderForwardThreads } from '../../../src/core/parallel/decoder';
import { adamStep, createAdam } from '../../../src/core/train/adam';

afterAll(async () => {
  await stopThreads();
});

describe('splitRange', () => {
  it('cuts 0..n into contiguous aligned ranges covering everything once', () => {
    for (const [n, parts, align] of [
      [10, 3, 1],
      [10, 3, 4],
      [3, 4, 1],
      [0, 2, 4],
      [1001, 2, 4],
    ]) {
      const r = splitRange(n, parts, align);
      expect(r.length).toBe(parts);
      expect(r[0][0]).toBe(0);
      expect(r[parts - 1][1]).toBe(n);
      for (let i = 1; i < parts; i++) expect(r[i][0]).toBe(r[i - 1][1]);
      for (const [lo] of r) if (lo < n) expect(lo % align).toBe(0);
    }
    expect(splitRange(10, 2, 4)).toEqual([
      [0, 4],
      [4, 10],
    ]);
  });
});

function randomFactors(rng: Rng, reso: Vec3, comps: number, shared: boolean): VMFactors {
  const alloc = (n: number) => (shared ? sharedF32(n) : new Float32Array(n));
  const fill = (a: Float32Array) => {
    for (let i = 0; i < a.length; i++) a[i] = rng.normal();
    return a;
  };
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    planes: [0, 1, 2].map((p) => fill(alloc(size(planeShape(reso, p, comps))))),
    lines: [0, 1, 2].map((p) => fill(alloc(size(lineShape(reso, p, comps))))),
    comps,
    reso,
  };
}

/** What one thread computes: the SIMD kernels where they run these components, else the plain ones. */
function oneThreadForward(f: VMFactors, coords: Float32Array, n: number, mode: VMMode): Float32Array {
  if (!wasmVmAvailable(f.comps)) return vmForward(f, coords, n, mode);
  const out = new Float32Array(vmOutputLength(f, n, mode));
  wasmVmForward(f, coords, mode, out, 0, n);
  return out;
}
function oneThreadBackward(f: VMFactors, coords: Float32Array, n: number, mode: VMMode, dOut: Float32Array) {
  if (!wasmVmAvailable(f.comps)) return vmBackward(f, coords, n, mode, dOut);
  const g = vmGradientArrays(f);
  wasmVmBackward(f, coords, n, mode, dOut, g.planes, g.lines, 0, 3 * Math.ceil(f.comps / COMPONENT_BLOCK), COMPONENT_BLOCK);
  return g;
}

function randomCoords(rng: Rng, n: number): Float32Array {
  const c = new Float32Array(3 * n);
  for (let i = 0; i < c.length; i++) c[i] = rng.uniform(-1, 1);
  return c;
}

describe('thread pool', () => {
  it('starts two threads and runs a call on both', async () => {
    expect(await startThreads(2, (why) => expect.fail(why))).toBe(2);
    expect(pool().size).toBe(2);
  });

  it('refuses typed arrays that are not in shared memory', async () => {
    await startThreads(2);
    const f = randomFactors(new Rng(1), [4, 5, 6], 2, false);
    expect(() => pool().run('vmForward', { ...f, coords: new Float32Array(3), n: 1, mode: 'sum', out: sharedF32(1) }, 1)).toThrow(
      /not over shared memory/,
    );
  });

  it('passes an error thrown in a worker to the caller, and keeps working after it', async () => {
    await startThreads(2);
    expect(() => pool().run('ping', { throwInPart: 1 }, 2)).toThrow(/failed in a worker: .*ping failed in part 1/);
    expect(() => pool().run('ping', { throwInPart: 0 }, 2)).toThrow(/ping failed in part 0/);
    const f = randomFactors(new Rng(2), [4, 5, 6], 2, true);
    const coords = randomCoords(new Rng(3), 10);
    const out = vmForwardThreads(f, coords, 10, 'sum');
    expect(Array.from(out)).toEqual(Array.from(vmForward(f, coords, 10, 'sum')));
  });

  for (const [reso, comps, n] of [
    [[7, 9, 5], 3, 37],
    [[16, 12, 20], 16, 1000],
    [[5, 6, 7], 48, 3],
    [[9, 6, 11], 20, 300],
    [[9, 6, 11], 6, 300],
  ] as [Vec3, number, number][]) {
    it(`samples the VM factors like one thread, bit for bit (reso ${reso}, ${comps} comps, ${n} points)`, async () => {
      await startThreads(2);
      const rng = new Rng(comps * 100 + n);
      const f = randomFactors(rng, reso, comps, true);
      const coords = randomCoords(rng, n);
      for (const mode of ['sum', 'products'] as const) {
        const ref = oneThreadForward(f, coords, n, mode);
        const got = vmForwardThreads(f, coords, n, mode);
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(ref.buffer))).toBe(true);
        const dOut = new Float32Array(ref.length);
        for (let i = 0; i < dOut.length; i++) dOut[i] = rng.normal();
        const gRef = oneThreadBackward(f, coords, n, mode, dOut);
        const gGot = vmBackwardThreads(f, coords, n, mode, dOut);
        for (let p = 0; p < 3; p++) {
          expect(Array.from(gGot.planes[p])).toEqual(Array.from(gRef.planes[p]));
          expect(Array.from(gGot.lines[p])).toEqual(Array.from(gRef.lines[p]));
        }
        // a forward that keeps its taps for the backward, another forward (other points, not kept) in between
        const kept = vmForwardThreads(f, coords, n, mode, 0, true);
        expect(Array.from(kept)).toEqual(Array.from(ref));
        vmForwardThreads(f, randomCoords(rng, n), n, mode);
        const gKept = vmBackwardThreads(f, coords, n, mode, dOut, true);
        for (let p = 0; p < 3; p++) {
          expect(Array.from(gKept.planes[p])).toEqual(Array.from(gRef.planes[p]));
          expect(Array.from(gKept.lines[p])).toEqual(Array.from(gRef.lines[p]));
        }
      }
    });
  }
});

describe('threaded decoder and Adam', () => {
  const specs: FusedSpec[] = [
    { act: { kind: 'relu' }, fePe: 2, viewPe: 2 },
    { act: { kind: 'sine', omega: 30 }, fePe: 2, viewPe: 2 },
    { act: { kind: 'split', m: 2 }, fePe: 2, viewPe: 2 },
  ];
  for (const spec of specs) {
    for (const n of [1, 6, 203]) {
      it(`decodes ${n} rows with ${spec.act.kind} like one thread (outputs and dL/df bit for bit, weight gradients to rounding)`, async () => {
        const rng = new Rng(n + spec.act.kind.length);
        const F = 5;
        const H = 8;
        const Z = spec.act.kind === 'split' ? 4 * H : H;
        const D0 = inputDim(F, spec.fePe, spec.viewPe);
        const shapes = [[D0, Z], [Z], [H, Z], [Z], [H, 3], [3]];
        const weights = shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.uniform(-0.5, 0.5)));
        const f = Float32Array.from({ length: n * F }, () => rng.normal());
        const d = Float32Array.from({ length: n * 3 }, () => rng.normal());
        const g = Float32Array.from({ length: n * 3 }, () => rng.normal());
        await startThreads(1);
        const one = decoderForwardThreads(spec, weights, shapes, f, d, n, F);
        const oneOut = one.out;
        const oneBack = one.backward(g);
        await startThreads(2);
        const two = decoderForwardThreads(spec, weights, shapes, f, d, n, F);
        expect(Array.from(two.out)).toEqual(Array.from(oneOut));
        const twoBack = two.backward(g);
        expect(Array.from(twoBack.df)).toEqual(Array.from(oneBack.df));
        twoBack.dw.forEach((a, i) => {
          const ref = oneBack.dw[i];
          const scale = Math.max(1e-6, ...Array.from(ref, Math.abs));
          for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - ref[j]) / scale).toBeLessThan(1e-5);
        });
        // the same thread count repeats bit for bit
        const again = decoderForwardThreads(spec, weights, shapes, f, d, n, F).backward(g);
        again.dw.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(twoBack.dw[i])));
      });
    }
  }

  it('refuses a backward after a later forward reused the buffers', async () => {
    await startThreads(2);
    const spec = specs[0];
    const D0 = inputDim(1, 2, 2);
    const shapes = [[D0, 4], [4], [4, 4], [4], [4, 3], [3]];
    const weights = shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.1));
    const first = decoderForwardThreads(spec, weights, shapes, new Float32Array(2), new Float32Array(6), 2, 1);
    decoderForwardThreads(spec, weights, shapes, new Float32Array(2), new Float32Array(6), 2, 1);
    expect(() => first.backward(new Float32Array(6))).toThrow(/second forward/);
  });

  it('updates shared parameters with Adam like one thread, bit for bit', async () => {
    const rng = new Rng(9);
    const n = 200_000;
    const make = () => {
      const p = sharedF32(n);
      for (let i = 0; i < n; i++) p[i] = rng.normal();
      return { name: 'x', shape: [n], data: p, group: 'factors' as const };
    };
    const param = make();
    const grads = [sharedF32(n)];
    for (let i = 0; i < n; i++) grads[0][i] = rng.normal();
    const run = async (threads: number) => {
      await startThreads(threads);
      const p = { ...param, data: param.data.slice() };
      const pShared = { ...p, data: sharedF32(n) };
      pShared.data.set(p.data);
      const adam = createAdam([pShared], { factors: 0.02, network: 1e-3 });
      for (let s = 0; s < 3; s++) adamStep(adam, [pShared], grads);
      return pShared.data;
    };
    const one = await run(1);
    const two = await run(2);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
  });
});

describe('the workers script', () => {
  it('is marked used at each start, so that the hourly cleanup of .cache keeps it', async () => {
    const file = await workerScript();
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(file, old, old);
    expect(await workerScript()).toBe(file);
    expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(60_000);
  });
});
