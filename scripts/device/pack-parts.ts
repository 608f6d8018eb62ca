/**
 * Writes the carry parts (parts.ts) for a lent GPU machine; pack.sh runs it:
 *   node scripts/run.mjs scripts/device/pack-parts.ts TOOLS_DIR SCENE_DIR OUT_DIR BUDGET_BYTES
 * TOOLS_DIR's files go to part 1 as tools/..., the scene's as lego/...; one line per part.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { mib, type PartFile, partFile, planParts, sceneFiles, writeParts } from './parts';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

const [toolsDir, sceneDir, out, budgetArg] = process.argv.slice(2);
const budget = Number(budgetArg);
if (!toolsDir || !sceneDir || !out || !(budget > 0)) {
  console.error('usage: pack-parts.ts TOOLS_DIR SCENE_DIR OUT_DIR BUDGET_BYTES');
  process.exit(2);
}
const tools: PartFile[] = walk(toolsDir).map((p) => partFile(join('tools', relative(toolsDir, p)), p));
const scene = sceneFiles(sceneDir);
const parts = planParts(tools, scene.files, budget);
const id = writeParts(parts, scene.early, out);
parts.forEach((fs, k) => {
  const bytes = fs.reduce((s, f) => s + f.bytes, 0);
  console.log(`part${k + 1}: ${fs.length} files, ${mib(bytes)}`);
});
console.log(`pack ${id}: ${parts.length} parts (at most ${mib(budget)} each)`);
