/**
 * Splitting what a lent GPU machine needs (the tools and the scene) into carry parts, each small
 * enough for one call of the device tool (README "On a lent GPU"). Part k is a folder
 * `partk/` holding:
 *   files/       the payload, laid out as it is staged on the device (tools/..., lego/...)
 *   SHA256SUMS   `sha256sum` lines of this part's files (verified before anything is staged)
 *   ALL.SHA256   the same lines for every file of every part (the scene is complete when all verify)
 *   PLAN.tsv     part, bytes and path of every file
 *   EARLY.list   the files the early benchmark needs (it starts before the last part arrives)
 *   PACK         `id=<hash of ALL.SHA256> parts=<n> part=<k>` (parts of different packs are never mixed)
 * scripts/device/stage.sh reads these on the device.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { framePath, readTransforms } from '../../src/core/data/nerf-synthetic';

export interface PartFile {
  /** Path inside the staged tree (and inside files/ of its part). */
  rel: string;
  /** Where it is read from here. */
  src: string;
  bytes: number;
}

export function partFile(rel: string, src: string): PartFile {
  return { rel, src, bytes: statSync(src).size };
}

/** Training views the early benchmark loads (bench-plan.ts: thesis-early has trainViews 10) and its one test view. */
export const EARLY_TRAIN_VIEWS = 10;

/**
 * The scene's files in the order they are carried: both transforms files, test view 0 and the
 * training views (what the early benchmark needs comes first), then the other test views. Every
 * image a transforms file lists, once; the val split is not used by training or evaluation.
 */
export function sceneFiles(dir: string, prefix = 'lego'): { files: PartFile[]; early: string[] } {
  const rel = (p: string) => join(prefix, relative(dir, p));
  const train = readTransforms(dir, 'train').frames.map((f) => framePath(dir, f.file));
  const test = readTransforms(dir, 'test').frames.map((f) => framePath(dir, f.file));
  const jsons = ['transforms_train.json', 'transforms_test.json'].map((f) => join(dir, f));
  const ordered = [...new Set([...jsons, ...test.slice(0, 1), ...train, ...test.slice(1)])];
  const early = [...jsons, ...test.slice(0, 1), ...train.slice(0, EARLY_TRAIN_VIEWS)].map(rel);
  return { files: ordered.map((p) => partFile(rel(p), p)), early };
}

/**
 * Parts of at most `budget` bytes each: the tools all in part 1 (it sets the machine up), then
 * the scene files in their order, a new part whenever the next file would not fit.
 */
export function planParts(tools: PartFile[], scene: PartFile[], budget: number): PartFile[][] {
  const toolBytes = tools.reduce((s, f) => s + f.bytes, 0);
  if (toolBytes > budget) throw new Error(`the tools take ${mib(toolBytes)}, more than one part may hold (${mib(budget)})`);
  const parts: PartFile[][] = [[...tools]];
  let used = toolBytes;
  for (const f of scene) {
    if (f.bytes > budget) throw new Error(`${f.src}: ${mib(f.bytes)}, more than one part may hold (${mib(budget)})`);
    if (used + f.bytes > budget) {
      parts.push([]);
      used = 0;
    }
    parts[parts.length - 1].push(f);
    used += f.bytes;
  }
  return parts;
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Writes part1/ .. partN/ under `out` (replacing them); returns the pack id. */
export function writeParts(parts: PartFile[][], early: string[], out: string): string {
  const hashes = new Map<string, string>();
  for (const f of parts.flat()) hashes.set(f.rel, sha256(f.src));
  const sums = (fs: PartFile[]) => fs.map((f) => `${hashes.get(f.rel)}  ${f.rel}\n`).join('');
  const all = sums(parts.flat());
  const id = createHash('sha256').update(all).digest('hex').slice(0, 16);
  const plan = parts.flatMap((fs, k) => fs.map((f) => `${k + 1}\t${f.bytes}\t${f.rel}\n`)).join('');
  parts.forEach((fs, k) => {
    const dir = join(out, `part${k + 1}`);
    rmSync(dir, { recursive: true, force: true });
    for (const f of fs) {
      const dest = join(dir, 'files', f.rel);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(f.src, dest);
    }
    writeFileSync(join(dir, 'SHA256SUMS'), sums(fs));
    writeFileSync(join(dir, 'ALL.SHA256'), all);
    writeFileSync(join(dir, 'PLAN.tsv'), plan);
    writeFileSync(join(dir, 'EARLY.list'), early.map((e) => `${e}\n`).join(''));
    writeFileSync(join(dir, 'PACK'), `id=${id} parts=${parts.length} part=${k + 1}\n`);
  });
  return id;
}
