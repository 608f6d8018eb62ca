/** Small random models for the snapshot and shader-viewer tests: non-cubic box and grid, component counts that are not multiples of 4, and an alpha mask. */
import { DEFAULT_DECODER_OPTIONS } from '../../../src/core/decoders/defaults';
import { createDecoder } from '../../../src/core/decoders/decoder';
import type { AlphaMask } from '../../../src/core/field/alpha-mask';
import type { Box, Vec3 } from '../../../src/core/field/geometry';
import { createField } from '../../../src/core/field/vm';
import type { Model } from '../../../src/core/model';
import { Rng } from '../../../src/core/random';

export const RANDOM_BOX: Box = { min: [-1.2, -0.9, -0.7], max: [1.1, 1.0, 0.8] };

export function randomModel(decoder: 'mlp' | 'siren' | 'splitnet', seed = 3, withMask = true): { model: Model; mask: AlphaMask | null } {
  const rng = new Rng(seed);
  const reso: Vec3 = [11, 9, 10];
  const field = createField({ box: RANDOM_BOX, reso, densityComps: 3, appComps: 5, appDim: 27 }, rng);
  // density factors from a smooth bump plus noise, so that some rays turn opaque and others stay partly clear
  for (const p of [...field.densityPlanes, ...field.densityLines])
    for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(-0.4, 1.9);
  for (const p of [...field.appPlanes, ...field.appLines]) for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(-1, 1);
  const dec = createDecoder(decoder, { ...DEFAULT_DECODER_OPTIONS, width: 8 }, new Rng(seed + 1));
  let mask: AlphaMask | null = null;
  if (withMask) {
    const mreso: Vec3 = [7, 6, 8];
    const data = Uint8Array.from({ length: mreso[0] * mreso[1] * mreso[2] }, () => (rng.next() < 0.75 ? 1 : 0));
    mask = { box: RANDOM_BOX, reso: mreso, data };
  }
  return { model: { field, decoder: dec }, mask };
}
