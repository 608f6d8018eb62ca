/**
 * Writes a downscaled copy of a NeRF-synthetic scene (RGB composited on white, area average) with
 * transforms files restricted to the copied frames, small enough to carry to a device machine.
 *   node scripts/run.mjs scripts/device/small-scene.ts SRC DEST DOWNSCALE TRAIN_VIEWS TEST_VIEWS
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSplit, type SplitName } from '../../src/core/data/nerf-synthetic';
import { writePngRgb } from '../../src/core/io/png';

const [src, dest, ds, nTrain, nTest] = process.argv.slice(2);
const counts: Record<SplitName, number> = { train: Number(nTrain), val: 1, test: Number(nTest) };
for (const split of ['train', 'val', 'test'] as SplitName[]) {
  const t = JSON.parse(readFileSync(join(src, `transforms_${split}.json`), 'utf8'));
  const n = Math.min(counts[split], t.frames.length);
  const ids = Array.from({ length: n }, (_, i) => i);
  const s = loadSplit(src, split, { downscale: Number(ds), indices: ids });
  mkdirSync(join(dest, split), { recursive: true });
  s.images.forEach((im, i) => writePngRgb(join(dest, split, `r_${i}.png`), im.data, s.width, s.height));
  t.frames = t.frames.slice(0, n).map((f: { file_path: string }, i: number) => ({ ...f, file_path: `./${split}/r_${i}` }));
  writeFileSync(join(dest, `transforms_${split}.json`), JSON.stringify(t));
  console.log(`${split}: ${n} views at ${s.width}x${s.height}`);
}
