/**
 * The fused alpha-mask lookup (kernels/webgpu-mask.ts) against maskContainsTf (plain tf ops, run
 * on webgpu) and the host maskContains (field/alpha-mask.ts), masks of several sizes in a
 * row (the sizes are uniforms). Points: uniform over a box a little larger than the mask's (so some
 * fall outside), and points exactly on grid nodes and cell faces (trilinear weights of exactly 0,
 * which must not count). On the same device the fused kernel does the reference's float32
 * operations in the same order, so the two must agree on every point; against the float64 host
 * lookup, a point within float32 rounding of a cell face may fall either side, so
 * at most 1 in 1000 may differ there. Skipped with TENSORF_SKIP_WEBGPU=1 where WebGPU cannot start.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { type AlphaMask, maskContains } from '../../../src/core/field/alpha-mask';
import { maskContainsWebgpu } from '../../../src/core/kernels/webgpu-mask';
import { maskContainsTf, uploadMask } from '../../../src/core/render/device-slots';
import { Rng } from '../../../src/core/random';
import { requireWebgpu } from '../webgpu-session';
import { webgpuSuite } from './webgpu-suite';

function randomMask(rng: Rng, reso: [number, number, number], fill: number): AlphaMask {
  const data = Uint8Array.from({ length: reso[0] * reso[1] * reso[2] }, () => (rng.uniform(0, 1) < fill ? 1 : 0));
  return { box: { min: [-1.2, -1.3, -1.5], max: [1.5, 1.5, 1.3] }, reso, data };
}

/** P points: 3/4 uniform over the box grown by 10%, 1/4 on grid nodes and faces. */
function points(rng: Rng, m: AlphaMask, count: number): Float32Array {
  const out = new Float32Array(3 * count);
  for (let i = 0; i < count; i++) {
    for (let a = 0; a < 3; a++) {
      const lo = m.box.min[a];
      const span = m.box.max[a] - lo;
      const onGrid = i % 4 === 0 && a !== i % 3;
      out[3 * i + a] = onGrid ? lo + (rng.int(m.reso[a]) / (m.reso[a] - 1)) * span : lo + rng.uniform(-0.1, 1.1) * span;
    }
  }
  return out;
}

describe('maskContainsWebgpu', () => {
  const suite = webgpuSuite();

  const CASES: [[number, number, number], number, number][] = [
    [[32, 32, 32], 0.3, 5000],
    [[5, 7, 3], 0.5, 777],
    [[38, 39, 39], 0.1, 20000],
    [[2, 2, 2], 0.5, 64],
    [[32, 32, 32], 0.3, 1],
  ];

  it('matches maskContainsTf on the same device, and the host lookup up to rounding at cell faces', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const rng = new Rng(11);
    for (const [reso, fill, count] of CASES) {
      const m = randomMask(rng, reso, fill);
      const xs = points(rng, m, count);
      const dm = uploadMask(m);
      const x = tf.tensor2d(xs, [count, 3]);
      const fused = maskContainsWebgpu(dm, x);
      const plain = maskContainsTf(dm, x);
      const [got, same] = [await fused.data(), await plain.data()];
      tf.dispose([fused, plain, x, dm.data]);
      expect(Array.from(got), `${reso}: fused vs plain ops on webgpu`).toEqual(Array.from(same));
      let host = 0; // uniform points only: a grid-node point's float32 and float64 cell positions may differ
      for (let i = 1; i < count; i++) if (i % 4 && got[i] !== (maskContains(m, xs[3 * i], xs[3 * i + 1], xs[3 * i + 2]) ? 1 : 0)) host++;
      expect(host, `${reso}: points that differ from the host lookup`).toBeLessThanOrEqual(Math.floor(count / 1000));
      expect(got.some((v) => v === 1) || count < 100, `${reso}: some point is inside`).toBe(true);
    }
    expect(suite.watch?.programs().get('MaskContainsProgram')).toBe(1);
    expect(suite.watch?.clashes()).toEqual([]);
  });

  it('rejects points that are not [P, 3]', async (ctx) => {
    requireWebgpu(suite.session, ctx);
    const dm = uploadMask(randomMask(new Rng(1), [2, 2, 2], 1));
    const x = tf.zeros([4, 2]) as tf.Tensor2D;
    expect(() => maskContainsWebgpu(dm, x)).toThrow(/points must be \[P, 3\], got \[4,2\]/);
    tf.dispose([x, dm.data]);
  });
});
